"""Bad input, on public and console routes alike, gets a clear 4xx that says what was wrong: never
a 500, and never a 503 (which says the database is down) for a request that is only malformed.

Each attack is one request, as a browser, a script or a proxy could send it; the answer's status
and a phrase of its message are checked. tests/test_fuzz_routes.py sweeps every route the same
way without knowing the answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import Incident, TimelineEvent, Update, User
from statuspage.publicsite import render
from statuspage.services import accounts
from tests.console import World, act_as, csrf_token, make_world
from tests.factories import NOW, audience, make_published
from tests.helpers import form_time
from tests.worlds import ModuleWorld, shared_world

CONTROL = "holds a control character or bytes that are not UTF-8"


class Ids:
    """The console world's ids, and what the attacks' forms need besides."""

    def __init__(self, world: World) -> None:
        self.__dict__.update(world.__dict__)
        admin = db.session.get(User, world.users["admin"])
        incident = db.session.get(Incident, world.incident_id)
        make_published(incident, "customers", by=admin)  # on the public page too
        self.feed_token = accounts.rotate_feed_token(admin, now=utcnow())
        self.incident_version = incident.version
        self.update_version = db.session.get(Update, world.update_id).version
        self.customers_id = audience("customers").id
        self.viewer_id = world.users["viewer"]
        self.loaded_at = utcnow().isoformat()
        db.session.commit()


@dataclass(frozen=True)
class Attack:
    name: str
    method: str
    path: str  # formatted with the world's ids (w)
    status: int
    says: str  # a phrase of the answer
    who: str = "admin"
    data: dict[str, str] = field(default_factory=dict)  # a form; values formatted too
    json: object = None
    raw: bytes | None = None  # a body sent as it is, with content_type
    content_type: str | None = None
    path_bytes: str | None = None  # PATH_INFO as a server hands it over (bytes read as Latin-1)

    def send(self, client, ids: Ids):
        path = self.path.format(w=ids)
        kwargs: dict[str, object] = {"method": self.method}
        if self.path_bytes is not None:
            # The test client would decode the path itself; a real server hands the bytes over.
            kwargs["environ_overrides"] = {"PATH_INFO": self.path_bytes}
        if self.json is not None:
            return client.open(path, json=self.json, **kwargs)
        if self.raw is not None:
            return client.open(path, data=self.raw, content_type=self.content_type, **kwargs)
        form = {key.format(w=ids): value.format(w=ids) for key, value in self.data.items()}
        if self.method == "POST":
            form["csrf_token"] = csrf_token(client)
        return client.open(path, data=form, **kwargs)


def _future(hours: int) -> str:
    return form_time(NOW + timedelta(hours=hours))


VERSIONED = {"version": "{w.incident_version}", "loaded_at": "{w.loaded_at}"}
COMPOSE = "/admin/incidents/{w.incident_id}/compose"
PUBLISH_TO_CUSTOMERS = {
    **VERSIONED,
    "status": "identified",
    "action": "publish",
    "audience-{w.customers_id}-send": "on",
    "audience-{w.customers_id}-title": "Slow API",
    "audience-{w.customers_id}-body": "We found it.",
}
ROSTER = "/admin/incidents/{w.incident_id}/roster"

ATTACKS = [
    # NUL and other control characters, wherever they come in.
    Attack("NUL in the email of an anonymous sign-in", "POST", "/login", 400, CONTROL,
           who="anonymous", data={"email": "ann\x00@example.com", "password": "x"}),
    Attack("NUL as the token of an internal feed", "GET", "/internal/feeds/%00/updates.atom",
           400, CONTROL, who="anonymous"),
    Attack("NUL in a query parameter", "GET", "/history?page=%00", 400, CONTROL,
           who="anonymous"),
    Attack("NUL in the name of a form field", "POST", "/admin/incidents/{w.incident_id}/notes",
           400, CONTROL, data={"te\x00xt": "Rolled back"}),
    Attack("a bell character in a note", "POST", "/admin/incidents/{w.incident_id}/notes", 400,
           CONTROL, data={"text": "Rolled \x07back"}),
    Attack("CR/LF in the next of the sign-in page", "GET",
           "/login?next=/admin%0D%0ALocation:%20http://evil.example", 400, CONTROL,
           who="anonymous"),
    Attack("CR/LF in a single-line field", "POST", "/admin/incidents/{w.incident_id}/details",
           422, "not allowed", data={"title": "Slow\r\nBcc: x@example.com", **VERSIONED}),
    # Bodies that are not forms.
    Attack("NUL in a JSON body", "POST", "/admin/preview", 415, "takes forms",
           json={"text": "\x00"}),
    Attack("wrong types in a JSON body", "POST", "/subscribe", 415, "takes forms",
           who="anonymous", json={"email": ["ann@example.com"], "components": "all"}),
    Attack("a text/plain body", "POST", "/admin/preview", 415, "not text/plain",
           raw=b"text=hello", content_type="text/plain"),
    # Not UTF-8.
    Attack("invalid UTF-8 in a query parameter", "GET", "/admin/subscribers?q=%FF%FE", 400,
           CONTROL),
    Attack("invalid UTF-8 in the path", "GET", "/subscriptions/manage/x", 400, CONTROL,
           who="anonymous", path_bytes="/subscriptions/manage/\xff\xfe"),
    Attack("a broken percent-encoding in a query", "GET", "/history?page=%G1", 422,
           "whole number", who="anonymous"),
    # Ids no row can have.
    Attack("an id beyond PostgreSQL's integer on a public page", "GET", "/incidents/2147483648",
           404, "Not Found", who="anonymous"),
    Attack("an id beyond SQLite's integer in the console", "GET",
           "/admin/incidents/99999999999999999999", 404, "Not Found"),
    Attack("a negative id", "GET", "/incidents/-1", 404, "Not Found", who="anonymous"),
    Attack("an id of fullwidth digits beyond the range", "GET",
           "/admin/users/%EF%BC%99%EF%BC%99%EF%BC%99%EF%BC%99%EF%BC%99%EF%BC%99%EF%BC%99"
           "%EF%BC%99%EF%BC%99%EF%BC%99", 404, "Not Found"),
    Attack("a huge person in the roster form", "POST", ROSTER, 404, "no user",
           data={"role": "scribe", "user_id": "99999999999999999999", **VERSIONED}),
    Attack("a huge audience in the subscriber form", "POST", "/admin/subscribers/new", 400,
           "Invalid Choice", data={"kind": "email", "audience": "99999999999999999999",
                                       "address": "ops@example.com"}),
    Attack("a huge component in the subscribe form", "POST", "/subscribe", 400,
           "Invalid choice", who="anonymous",
           data={"email": "ann@example.com", "components": "2147483648"}),
    Attack("a superscript digit as a page number", "GET", "/history?page=%C2%B2", 422,
           "whole number", who="anonymous"),
    Attack("a huge version", "POST", "/admin/incidents/{w.incident_id}/status", 409,
           "changed", data={"status": "identified", "version": "99999999999999999999",
                            "loaded_at": "{w.loaded_at}"}),
    Attack("a huge cadence time", "POST", "/admin/cadence/{w.audience_id}", 422,
           "at most a year", data={"policies-0-is_owed": "y",
                                   "policies-0-update_interval": "99999999999999999999",
                                   "late_notice": "Running late."}),
    # Dates and times far from now.
    Attack("a promise in the year 9999", "POST", COMPOSE, 422, "between the years 2000 and 2099",
           data={**PUBLISH_TO_CUSTOMERS, "audience-{w.customers_id}-promise": "9999-12-31T23:59"}),
    Attack("a promise in the year 0001", "POST", "/admin/updates/{w.update_id}", 422,
           "between the years 2000 and 2099",
           data={"title": "Slow API", "body": "Still looking", "action": "save",
                 "next_update_due_at": "0001-01-01T00:00"}),
    Attack("a maintenance window in the year 9999", "POST", "/admin/maintenance/new", 422,
           "between the years 2000 and 2099",
           data={"title": "Upgrade", "scheduled_for": "9999-12-31T22:00",
                 "scheduled_until": "9999-12-31T23:59"}),
    Attack("a cadence report over the years 0001 to 9999", "GET",
           "/admin/reports/cadence?start=0001-01-01&end=9999-12-31", 422,
           "years 2000 to 2099"),
    Attack("its CSV over the same years", "GET",
           "/admin/reports/cadence.csv?start=0001-01-01&end=9999-12-31", 422,
           "years 2000 to 2099"),
    Attack("an audit filter in the year 9999", "GET", "/admin/audit?since=9999-12-31T23:59", 422,
           "between the years 2000 and 2099"),
    # Sizes.
    Attack("a body larger than the app takes", "POST", COMPOSE, 413, "at most 2 MB",
           data={**PUBLISH_TO_CUSTOMERS, "facts": "x" * (3 * 2**20)}),
    Attack("a multipart field larger than the app holds", "POST", "/admin/preview", 413,
           "500 kB in one field", raw=b"--b\r\nContent-Disposition: form-data; name=\"text\""
           b"\r\n\r\n" + b"x" * 600_000 + b"\r\n--b--\r\n",
           content_type="multipart/form-data; boundary=b"),
    Attack("facts longer than a message may be", "POST", COMPOSE, 422, "only the first 20,000",
           data={**PUBLISH_TO_CUSTOMERS, "action": "preview", "facts": "<" * 300_000}),
    Attack("a title longer than a message's", "POST", COMPOSE, 422, "Customers: the title had",
           data={**PUBLISH_TO_CUSTOMERS, "audience-{w.customers_id}-title": "T" * 301}),
    Attack("a template previewed with a body too long", "POST", "/admin/templates/preview",
           422, "The body had 20,001 characters",
           data={"title": "T", "body": "b" * 20_001, "status": "identified"}),
    Attack("a draft title too long", "POST", "/admin/updates/{w.update_id}", 422,
           "Title is too long", data={"title": "T" * 301, "body": "b", "action": "save",
                                      "version": "{w.update_version}"}),
    Attack("a note too long", "POST", "/admin/incidents/{w.incident_id}/notes", 422,
           "too long", data={"text": "n" * 5001}),
    Attack("a component name too long", "POST", "/admin/components/new", 422,
           "longer than 120", data={"name": "c" * 121, "group_id": "0",
                                    "visibility": "public"}),
    Attack("a webhook URL too long", "POST", "/admin/subscribers/new", 422, "too long",
           data={"kind": "webhook", "audience": "{w.audience_id}",
                 "address": "https://example.com/" + "u" * 3000}),
    # Values outside their list.
    Attack("an unknown status", "POST", "/admin/incidents/{w.incident_id}/status", 422,
           "not a status", data={"status": "exploded", **VERSIONED}),
    Attack("an unknown severity", "POST", "/admin/incidents/new", 422, "Not a valid choice",
           data={"title": "Login fails", "severity": "SEV9"}),
    Attack("an unknown component status", "POST", "/admin/incidents/{w.incident_id}/components",
           422, "not a component status",
           data={"component-{w.component_id}": "on_fire", **VERSIONED}),
    Attack("an unknown feed format", "GET", "/updates.json", 404, "atom or .rss",
           who="anonymous"),
    # The same parameter twice: every value is checked, not only the first.
    Attack("a clean first value and NUL in the second", "GET", "/history?page=1&page=%00", 400,
           CONTROL, who="anonymous"),
]  # fmt: skip


module_world, app = shared_world(lambda: Ids(make_world()))


@pytest.fixture
def ids(app: Flask, module_world: ModuleWorld[Ids]) -> Ids:
    return module_world.made


def test_the_attack_list_is_long_enough():
    assert len(ATTACKS) >= 20
    assert len({attack.name for attack in ATTACKS}) == len(ATTACKS)


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_each_attack_gets_a_clear_4xx(client, ids, attack):
    act_as(client, ids.users.get(attack.who))
    response = attack.send(client, ids)
    body = response.get_data(as_text=True)
    assert response.status_code == attack.status, body[:2000]
    assert attack.says in body
    # An answer stays bounded, whatever was sent: nothing is echoed without limit (an update for
    # six audiences, each text at its longest and escaped, shown with its previews, is the most).
    assert len(body) < 4 * 2**20


def test_a_problem_about_the_request_is_json_for_a_client_that_asks(client, ids):
    response = client.get("/history?page=%00", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert CONTROL in response.json["detail"]


def test_line_breaks_and_tabs_in_a_text_area_are_kept(app, client, ids):
    act_as(client, ids.users["admin"])
    text = "Rolled back.\r\n\tThen:\n- paged the DB team"
    response = client.post(
        f"/admin/incidents/{ids.incident_id}/notes",
        data={"csrf_token": csrf_token(client), "text": text},
    )
    assert response.status_code == 302
    with app.app_context():
        notes = db.session.scalars(sa.select(TimelineEvent.message)).all()
    assert any("\tThen:\n- paged the DB team" in note for note in notes)


def test_a_note_too_long_is_shown_again_as_typed(client, ids):
    act_as(client, ids.users["admin"])
    text = "n" * 5000 + "the end"
    response = client.post(
        f"/admin/incidents/{ids.incident_id}/notes",
        data={"csrf_token": csrf_token(client), "text": text},
    )
    assert response.status_code == 422
    assert text in response.get_data(as_text=True)


def test_a_promise_within_the_years_is_still_taken(client, ids):
    act_as(client, ids.users["admin"])
    form = {key.format(w=ids): value.format(w=ids) for key, value in PUBLISH_TO_CUSTOMERS.items()}
    form[f"audience-{ids.customers_id}-promise"] = _future(2)
    response = client.post(COMPOSE.format(w=ids), data={**form, "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_a_database_error_about_the_request_is_a_4xx_not_an_outage(client, ids, monkeypatch):
    def out_of_range(*args: object, **kwargs: object) -> None:
        raise sa.exc.DataError("SELECT", {}, Exception("integer out of range"))

    monkeypatch.setattr(render, "incident", out_of_range)
    response = client.get(f"/incidents/{ids.incident_id}")
    assert response.status_code == 400
    assert "out of the range this site can store" in response.get_data(as_text=True)
