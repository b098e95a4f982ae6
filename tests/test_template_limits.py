"""What an admin writes cannot hurt the process that renders it.

Huge work is refused before it is done, with the part and line, in well under two seconds; the
sandbox runs in processes of its own that never pass 200 MB, and one that overruns its time, its
processor time or its memory is killed and replaced, and the next render works.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from statuspage.core.confined import ConfinedPool, Limits, Overrun
from statuspage.core.errors import ValidationError
from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.models import IncidentStatus, Role
from statuspage.services.templating import check_template, rendering
from tests.console import act_as, csrf_token
from tests.factories import audience, make_user

SITE = Site("Acme Status", "http://status.test", "Etc/UTC")
MB = 2**20
HOGS = Path(__file__).with_name("sandbox_hogs.py")
# Legitimate work, just slow: some 30,000 replacements of 40,000 characters.
SLOW = "{% for i in range(30000) %}{% set x = ('x' * 40000)|replace('x', 'y') %}{% endfor %}done"
_NESTED = (
    "{% set a = [1] * 10000 %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
    "{% set c = [b, b, b, b, b, b, b, b, b, b] %}{% set d = [c, c, c, c, c, c, c, c, c, c] %}"
)

ATTACKS = {
    "nested powers": ("{{ ((((9**64)**64)**64)**64)**64 > 1 }}", "a power would be too large"),
    "a power just past 63 bits": ("{{ 3 ** 40 }}", "too large a number"),
    "powers in a recursive macro": (
        "{% macro p(n, k) %}{{ p(n ** 8, k - 1) if k else n }}{% endmacro %}{{ p(2, 10) }}",
        "a power would be too large",
    ),
    "a huge float power": ("{{ 10.0 ** 400 }}", "would be too large"),
    "squaring past 63 bits": ("{{ (10 ** 18) * (10 ** 18) }}", "too large a number"),
    "a huge literal": ("{{ 123456789012345678901234567890 }}", "the number is too large"),
    "doubling with ~ in a macro": (
        "{% macro d(s, n) %}{{ d(s ~ s, n - 1) if n else s|length }}{% endmacro %}{{ d('ab', 40) }}",
        "a '~' would make a text longer",
    ),
    "~ of two long texts": ("{% set s = 'x' * 50000 %}{{ s ~ s }}", "a '~' would make a text"),
    "doubling with caller() in nested calls": (
        "{% macro m() %}{{ caller() }}{{ caller() }}{% endmacro %}"
        + "{% call m() %}" * 16
        + "xx"
        + "{% endcall %}" * 16,
        "it ran",
    ),
    "a text repeated": ("{{ 'x' * 10_000_000 }}", "a repetition would be too long"),
    "a list repeated": ("{{ [0] * 10 ** 7 }}", "a repetition would be too long"),
    "the components repeated": ("{{ components * 100000 }}", "a repetition would be too long"),
    "two long texts added": ("{{ ('x' * 40000) + ('y' * 40000) }}", "a '+' would make"),
    "a huge range": ("{{ range(2 ** 40)|list }}", "is too large (at most 100,000)"),
    "a list of lists written out": (_NESTED + "{{ d }}", "a value is longer than"),
    "a list of lists as a string": (_NESTED + "{{ d|string }}", "a filter's value is too long"),
    "a list of lists joined": (_NESTED + "{{ d|join }}", "a filter's value is too long"),
    "a list of lists after ~": (_NESTED + "{{ 'x' ~ d }}", "a '~' would make a text"),
    "a long join": ("{{ (range(40000)|list)|join('ab') }}", "a join would be too long"),
    "chained replacements": (
        "{{ ('x' * 40000)|replace('x', 'yy')|replace('y', 'zz') }}",
        "a replacement would be too long",
    ),
    "a huge number as a string": ("{{ (2 ** 62 * 4)|string }}", "too large a number"),
    "a huge number parsed": ("{{ ('1' * 50000)|int(0, 2) }}", "too large a number"),
    "a huge float made an integer": ("{{ 1e308|int }}", "too large a number"),
    "a loop of loops (a comprehension)": (
        "{% for a in range(1000) %}{% for b in range(1000) %}{{ a }}{% endfor %}{% endfor %}",
        "steps",
    ),
    "a filter block around a long loop": (
        "{% filter upper %}{% for i in range(99999) %}xxxx{% endfor %}{% endfilter %}",
        "steps",
    ),
    "endless recursion": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "too deep"),
    "mutual recursion": (
        "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
        "too deep",
    ),
    "printf formatting": ("{{ '%0100000d' % 1 }}", "not available"),
    "str.format": ("{{ '{:>100000}'.format(1) }}", "unsafe"),
    "the format filter": ("{{ '%s'|format(1) }}", "No filter named 'format'"),
    "a huge truncation": ("{{ facts|truncate(10 ** 9) }}", "is too large"),
    "a walk to __class__": ("{{ components.__class__.__base__.__subclasses__() }}", "unsafe"),
    "a walk to __globals__": ("{{ range.__globals__ }}", "unsafe"),
    "a walk from self": ("{{ self.__init__.__globals__ }}", "unsafe"),
    "a walk from a method": ("{{ page.items.__self__ }}", "unsafe"),
}


def peak_kib(pid: int | str, field: str = "VmHWM") -> int:
    """A process's peak resident size (VmHWM) or address space (VmPeak), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def is_gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@pytest.mark.parametrize(("source", "reason"), ATTACKS.values(), ids=ATTACKS.keys())
def test_an_attack_is_refused_with_its_line_quickly_and_in_little_memory(source, reason):
    before = peak_kib("self")
    started = time.monotonic()
    with pytest.raises(ValidationError) as refusal:
        check_template("Title", "Fine\n" + source, status=IncidentStatus.IDENTIFIED, site=SITE)
    assert time.monotonic() - started < 2
    assert str(refusal.value).startswith("Template body, line 2: ")
    assert reason in str(refusal.value)
    assert peak_kib("self") - before < 50 * 1024  # nothing grew in the test's own process
    for pid in rendering.SANDBOX.pids():
        assert peak_kib(pid, "VmPeak") <= 200 * 1024


def test_the_attacks_are_many():
    assert len(ATTACKS) >= 20


@pytest.fixture
def confined():
    """Pools with small limits, closed after the test."""
    pools = []

    def make(handler: Path, **limits) -> ConfinedPool:
        pool = ConfinedPool(handler, size=1, limits=Limits(**limits))
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def test_a_process_past_its_time_is_killed_and_the_next_call_gets_a_fresh_one(confined):
    pool = confined(HOGS, seconds=0.3)
    first = pool.call({"do": "nothing"})["pid"]
    started = time.monotonic()
    with pytest.raises(Overrun, match="it took longer than 0.3 s"):
        pool.call({"do": "sleep", "seconds": 60})
    assert time.monotonic() - started < 1
    assert is_gone(first)
    assert pool.call({"do": "nothing"})["pid"] != first


def test_a_process_stuck_in_c_is_killed_by_its_processor_limit(confined):
    pool = confined(HOGS, seconds=30, cpu_seconds=1)
    first = pool.call({"do": "nothing"})["pid"]
    started = time.monotonic()
    with pytest.raises(Overrun, match="it used more than 1 s of processor time"):
        pool.call({"do": "spin"})
    assert time.monotonic() - started < 5
    assert is_gone(first)
    assert pool.call({"do": "nothing"})["pid"] != first


def test_a_process_asking_for_too_much_memory_is_refused_and_replaced(confined):
    pool = confined(HOGS, memory_bytes=100 * MB)
    first = pool.call({"do": "nothing"})["pid"]
    with pytest.raises(Overrun, match="it needed more than 100 MB of memory"):
        pool.call({"do": "allocate", "bytes": 500 * MB})
    assert is_gone(first)
    assert pool.call({"do": "nothing"})["pid"] != first


def test_a_process_that_grew_large_answers_then_leaves_its_place_to_a_fresh_one(confined):
    pool = confined(HOGS, memory_bytes=100 * MB)
    grown = pool.call({"do": "keep", "bytes": 60 * MB})["pid"]
    assert pool.call({"do": "nothing"})["pid"] != grown
    assert is_gone(grown)


def test_a_forked_process_starts_children_of_its_own_and_leaves_the_parents_alone(confined):
    pool = confined(HOGS)
    parents = pool.call({"do": "nothing"})["pid"]
    forked = os.fork()  # as a web server forks its workers
    if forked == 0:
        try:
            os._exit(0 if pool.call({"do": "nothing"})["pid"] != parents else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(forked, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert pool.call({"do": "nothing"})["pid"] == parents


@pytest.fixture
def tight_sandbox(confined, monkeypatch):
    """The message sandbox with a 0.2 s wall clock, as if the machine were slower than SLOW."""
    pool = confined(rendering.SANDBOX_FILE, seconds=0.2)
    # A worker ready first: on a loaded machine, starting one may take the whole 0.2 s.
    pool.call({"source": "Warm.", "context": {}}, deadline=time.monotonic() + 30)
    monkeypatch.setattr(rendering, "SANDBOX", pool)
    return pool


def test_a_template_that_overruns_is_stopped_and_the_next_render_works(tight_sandbox):
    started = time.monotonic()
    with pytest.raises(ValidationError, match="^Template body: stopped because it took longer"):
        check_template("Title", SLOW, status=IncidentStatus.IDENTIFIED, site=SITE)
    assert time.monotonic() - started < 1
    message = check_template("Title", "Fine.", status=IncidentStatus.IDENTIFIED, site=SITE)
    assert message.body == "Fine."


@pytest.fixture
def admin(app, client):
    """An admin signed in; the id of a template they may edit."""
    with app.app_context():
        user_id = make_user(Role.ADMIN).id
        template_id = audience("customers").templates[0].id
        db.session.commit()
    act_as(client, user_id)
    return template_id


def live_preview(client, body):
    return client.post(
        "/admin/templates/preview",
        data={"csrf_token": csrf_token(client), "title": "T", "body": body, "status": "identified"},
    )


def test_the_live_preview_answers_a_pathological_template_with_a_4xx_at_once(client, admin):
    started = time.monotonic()
    response = live_preview(client, "{{ ((((9**64)**64)**64)**64)**64 > 1 }}")
    assert time.monotonic() - started < 2
    assert response.status_code == 422
    assert response.get_json()["error"].startswith("Template body, line 1: a power would be")


def test_the_live_preview_of_a_template_that_overruns_is_a_4xx_too(client, admin, tight_sandbox):
    started = time.monotonic()
    response = live_preview(client, SLOW)
    assert time.monotonic() - started < 2
    assert response.status_code == 422
    assert "stopped because it took longer than 0.2 s" in response.get_json()["error"]
    assert live_preview(client, "Fine.").status_code == 200


def test_the_editor_preview_refuses_a_pathological_template_with_a_form_error(client, admin):
    started = time.monotonic()
    response = client.post(
        f"/admin/templates/{admin}",
        data={
            "csrf_token": csrf_token(client),
            "title": "T",
            "body": "Fine\n{% macro d(s) %}{{ d(s ~ s) }}{% endmacro %}{{ d('ab') }}",
            "action": "preview",
        },
    )
    assert time.monotonic() - started < 2
    assert response.status_code == 422
    assert "Template body, line 2: a &#39;~&#39; would make a text" in response.get_data(
        as_text=True
    )
