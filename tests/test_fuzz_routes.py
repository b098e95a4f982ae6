"""Every route and method of the app, with malformed path values, query strings and forms: bad
input gets a 4xx, never a 500 (nor a 503, which says the database is down: here it is not), and
no answer grows without bound with what was sent.

The routes come from the app's own URL map, so a new route is fuzzed the day it is added. Valid
values for the path come from one console world; the forms posted are those the console's pages
show (read from the pages themselves), each field in turn made malformed, signed in as an admin
with a valid CSRF token so that the handlers behind the forms are reached.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule

from statuspage import create_app
from statuspage.core.clock import utcnow
from statuspage.core.site import Site
from statuspage.core.tokens import SubscriptionTokens
from statuspage.extensions import db
from statuspage.models import Incident, Subscriber, User
from statuspage.services import accounts, subscriptions
from statuspage.services.branding import settings as branding
from statuspage.services.branding.settings import BrandingChoice
from statuspage.services.public.api import page_id
from tests.console import World, act_as, csrf_token, make_world
from tests.factories import make_png, make_published
from tests.formparse import PageForm, read_page
from tests.helpers import TEST_SECRET_KEY, settings_for
from tests.worlds import ModuleWorld

# The rules, read from an app of our own at collection time (tests are parametrized by them).
# Malformed input, not the clock: CI's passes at awkward instants leave this module out.
pytestmark = pytest.mark.sweep

_APP = create_app(settings_for("sqlite://"))
# The management API serves each path with and without `.json` by the same view: one of the two
# is fuzzed here (tests/test_api_v1_fuzz.py sends both, with a key).
RULES = sorted(
    (
        rule
        for rule in _APP.url_map.iter_rules()
        if rule.endpoint == "api_v1.openapi"
        or not (rule.endpoint.startswith("api_v1.") and rule.rule.endswith(".json"))
    ),
    key=lambda rule: rule.rule,
)
PAGE_ID = page_id(Site.from_config(_APP.config))  # the management API's one page

# Text put into a URL as it is (percent-encoded where needed).
MALFORMED_IDS = ["2147483648", "99999999999999999999", "-1", "%00", "%EF%BC%91"]
MALFORMED_SEGMENTS = [
    "%00",
    "a%0D%0Ab",
    "x" * 2000,
    "%C3%BC%E2%80%AE%F0%9F%92%A5",  # ü, a right-to-left override, an emoji
    "%FF%FE",  # not UTF-8
    "%2E%2E%2F%2E%2E",
]
# Every value for the query names of the addresses whose pages use them; the first few elsewhere.
MALFORMED_QUERY_VALUES = [
    "%00",
    "99999999999999999999",
    "9999-12-31T23:59",
    "%C2%B2",  # a superscript two: a digit to str.isdigit, not to int()
    "a%0D%0Ab",
    "%FF",
    "2147483648",
    "-1",
    "0001-01-01",
    "9999-12-31",
    "y" * 3000,
]
QUICK_QUERY_VALUES = MALFORMED_QUERY_VALUES[:4]
# Form values (text, which the test client encodes): for every field, and for the fields that
# hold a number, a time or a text by the value their page put in them. NUL is refused at the
# door whatever the field, so it is sent once per form, in every field.
MALFORMED_ANY_FIELD = ["", "\u202e\U0001f4a5 \u00fc"]
MALFORMED_BY_KIND = {
    "number": ["2147483648", "-1", "99999999999999999999", "\u00b2"],
    "time": ["0001-01-01T00:00", "9999-12-31T23:59", "9999-12-31"],
    "text": ["z" * 100_001, "line\r\nBcc: x@example.com"],
}
# Query names the pages' own forms and links do not show (public pages, the sign-in redirect).
EXTRA_QUERY_NAMES = {"page", "component", "next", "status", "fmt"}


def _path(rule: Rule, values: dict[str, str]) -> str:
    return re.sub(
        r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>", lambda match: values[match.group(1)], rule.rule
    )


def _methods(rule: Rule) -> list[str]:
    """The methods the rule's view answers (HEAD and OPTIONS, which Flask answers for every
    rule, are sent once per address)."""
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def _identities(rule: Rule) -> list[str]:
    """Who sends: an admin everywhere; anonymous too outside the console (which only redirects
    anonymous readers to sign in, whatever they send)."""
    return ["admin"] if rule.endpoint.startswith("admin.") else ["anonymous", "admin"]


@dataclass(frozen=True)
class Fuzz:
    """The console world, what each path argument validly is, and what the pages send."""

    world: World
    feed_token: str
    confirm_token: str
    manage_token: str
    brand_file: str  # the logo's name under /brand/
    forms: dict[str, list[PageForm]]  # action path -> the forms that post there
    query_names: dict[str, set[str]]  # path -> the query names its pages' forms and links use

    def valid_arguments(self, rule: Rule) -> dict[str, str]:
        world, endpoint = self.world, rule.endpoint
        tokens = {"internal": self.feed_token, "subscriptions.confirm": self.confirm_token}
        values = {
            "token": tokens.get(endpoint, tokens.get(endpoint.split(".")[0], self.manage_token)),
            "update_id": world.published_update_id if "deliver" in endpoint else world.update_id,
            "user_id": world.users["viewer"],
            "fmt": "atom",
            "document": "summary",
            "filename": "css/app.css",
            "attachment_id": world.screenshot_id,
            "session_id": 1,
            "page_id": PAGE_ID,
            "name": self.brand_file,
        }
        return {
            name: str(values[name] if name in values else getattr(world, name))
            for name in rule.arguments
        }

    def valid_path(self, rule: Rule) -> str:
        return _path(rule, self.valid_arguments(rule))

    def every_query_name(self) -> list[str]:
        return sorted(set().union(EXTRA_QUERY_NAMES, *self.query_names.values()))


def _build() -> Fuzz:
    world = make_world()
    admin = db.session.get(User, world.users["admin"])
    # Public too, so that its public page is there to reach.
    make_published(db.session.get(Incident, world.incident_id), "customers", by=admin)
    feed_token = accounts.rotate_feed_token(admin, now=utcnow())
    subscriptions.request_subscription("pending@example.com", [], now=utcnow(), emails_per_day=9)
    pending = db.session.query(Subscriber).filter_by(address="pending@example.com").one()
    signer = SubscriptionTokens(TEST_SECRET_KEY)
    branding.save_branding(BrandingChoice(logo=make_png()), by=admin, now=utcnow())
    db.session.commit()
    return Fuzz(
        world=world,
        feed_token=feed_token,
        confirm_token=signer.confirmation(pending.id, pending.confirm_nonce or ""),
        manage_token=signer.manage(pending.id, pending.token_key),
        brand_file=branding.current_brand().files[0].name,
        forms={},
        query_names={},
    )


def _crawl(app: Flask, fuzz: Fuzz) -> Fuzz:
    """Every page an admin can GET, read for the forms it shows and the query names it uses."""
    client = app.test_client()
    act_as(client, fuzz.world.users["admin"])
    forms: dict[str, list[PageForm]] = {}
    names: dict[str, set[str]] = {}
    for rule in RULES:
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        url = fuzz.valid_path(rule)
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        page_forms, links = read_page(url, response.get_data(as_text=True))
        for path, linked in links.items():
            names.setdefault(path, set()).update(linked)
        for form in page_forms:
            if form.method == "GET":
                names.setdefault(form.action, set()).update(form.names())
            else:
                forms.setdefault(form.action, []).append(form)
    return Fuzz(**{**fuzz.__dict__, "forms": forms, "query_names": names})


@pytest.fixture(scope="module")
def module_world(database_url: str) -> Iterator[ModuleWorld[Fuzz]]:
    shared = ModuleWorld(database_url, _build)
    shared.made = _crawl(shared.fresh(), shared.made)
    yield shared
    shared.close()


@pytest.fixture
def app(module_world: ModuleWorld[Fuzz]) -> Flask:
    """The module's one app over its world as built (what one case posted, the next never sees)."""
    return module_world.fresh()


@pytest.fixture
def fuzz(app: Flask, module_world: ModuleWorld[Fuzz]) -> Fuzz:
    return module_world.made


# No answer echoes what it was sent without bound (the largest page, an update for every audience
# with each text at its longest, is under half of this).
LARGEST_ANSWER = 4 * 2**20


class Findings:
    """Requests answered with a server error (or without bound), said in one assertion at the end."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.errors: list[str] = []

    def send(self, method: str, url: str, *, what: str = "", **kwargs: object) -> int:
        shown = f"{method} {url[:120]}{'...' if len(url) > 120 else ''} {what}".rstrip()
        try:
            response = self.client.open(url, method=method, **kwargs)
        except Exception as error:  # noqa: BLE001 - an exception is what we are looking for
            self.errors.append(f"{shown} raised {error!r}"[:400])
            return 500
        if response.status_code >= 500:
            self.errors.append(f"{shown} -> {response.status_code}")
        elif len(response.get_data()) > LARGEST_ANSWER:
            self.errors.append(f"{shown} -> {len(response.get_data()):,} bytes")
        return response.status_code

    def check(self) -> None:
        assert not self.errors, "\n".join(["server errors:", *self.errors])


def _as(client: FlaskClient, fuzz: Fuzz, rule: Rule) -> Iterator[str]:
    """Sign the client in as each identity in turn; yield a CSRF token valid for it."""
    for who in _identities(rule):
        act_as(client, fuzz.world.users.get(who))
        yield csrf_token(client)


RULES_WITH_ARGUMENTS = [rule for rule in RULES if rule.arguments]
POST_RULES = [rule for rule in RULES if "POST" in (rule.methods or ())]


def _ids(rules: list[Rule]) -> list[str]:
    return [f"{rule.endpoint} {rule.rule}" for rule in rules]


def test_the_valid_values_reach_every_handler(app, client, fuzz):
    """The fuzz means something only if, without the malformed part, it reaches the views."""
    app.config["METRICS_TOKEN"] = "fuzz-metrics-token-0123"  # without one /metrics is off (404)
    act_as(client, fuzz.world.users["admin"])
    unreached = [
        f"{rule.rule} -> {status}"
        for rule in RULES
        if "GET" in (rule.methods or ())
        and (status := client.get(fuzz.valid_path(rule)).status_code) in {404, 405}
    ]
    assert unreached == []
    assert len(fuzz.forms) >= 20
    assert {"page", "since", "start", "q"} <= set(fuzz.every_query_name())


@pytest.mark.parametrize("rule", RULES_WITH_ARGUMENTS, ids=_ids(RULES_WITH_ARGUMENTS))
def test_malformed_path_values_never_answer_a_server_error(client, fuzz, rule):
    findings = Findings(client)
    for token in _as(client, fuzz, rule):
        for argument in rule.arguments:
            is_id = isinstance(rule._converters[argument], IntegerConverter)
            for number, value in enumerate(MALFORMED_IDS if is_id else MALFORMED_SEGMENTS):
                url = _path(rule, {**fuzz.valid_arguments(rule), argument: value})
                methods = sorted(rule.methods or ()) if number == 0 else _methods(rule)
                for method in methods:
                    findings.send(method, url, data={"csrf_token": token})
    findings.check()


@pytest.mark.parametrize("rule", RULES, ids=_ids(RULES))
def test_malformed_query_strings_never_answer_a_server_error(client, fuzz, rule):
    findings = Findings(client)
    url = fuzz.valid_path(rule)
    names = fuzz.every_query_name()
    uses_a_query = url in fuzz.query_names or rule.endpoint.startswith("public.")
    for token in _as(client, fuzz, rule):
        for value in MALFORMED_QUERY_VALUES if uses_a_query else QUICK_QUERY_VALUES:
            query = "&".join(f"{name}={value}" for name in names)
            for method in _methods(rule):
                findings.send(method, f"{url}?{query}", data={"csrf_token": token})
        # The same name twice, and names that are themselves malformed.
        findings.send("GET", f"{url}?page=1&page=2&since=x&since=&%00=1&a%0D%0Ab=2&=3&&")
    findings.check()


def _kind(value: str) -> str:
    """What a field holds, judged by the value its page put in it ("blank": could be anything)."""
    if re.fullmatch(r"-?\d+", value):
        return "number"
    if re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d)?", value):
        return "time"
    return "text" if value else "blank"


def _shape(name: str) -> str:
    """A field's name with its ids taken out: audience-3-title is read as audience-5-title is."""
    return re.sub(r"\d+", "N", name)


Fields = list[tuple[str, str]]


def _variants(fuzz: Fuzz, url: str) -> list[tuple[Fields, Fields]]:
    """(fields, button) for each submit button of the forms that post to this address: every
    field once, as the pages fill them in. A few usual names when no page posts there."""
    forms = fuzz.forms.get(url, [])
    fields: dict[str, str] = {}
    for form in forms:
        for name, value in form.fields:
            fields.setdefault(name, value)
    fields.pop("csrf_token", None)
    if not forms:
        fields = {"text": "x", "title": "t", "body": "b", "status": "identified", "action": "save"}
    buttons = dict.fromkeys(button for form in forms for button in form.buttons) or {None: None}
    return [(list(fields.items()), [button] if button else []) for button in buttons]


@pytest.mark.parametrize("rule", POST_RULES, ids=_ids(POST_RULES))
def test_malformed_forms_never_answer_a_server_error(client, fuzz, rule):
    findings = Findings(client)
    act_as(client, fuzz.world.users["admin"])
    token = csrf_token(client)
    url = fuzz.valid_path(rule)
    variants = _variants(fuzz, url)
    # Every field of a kind malformed at once, with each submit button.
    for fields, button in variants:
        for kind, values in [("any", MALFORMED_ANY_FIELD), *MALFORMED_BY_KIND.items()]:
            if kind != "any" and not any(_kind(value) == kind for _, value in fields):
                continue
            for value in values:
                changed = [(n, value if kind in ("any", _kind(v)) else v) for n, v in fields]
                what = f"{button} every {kind} field {value!r:.30}"
                findings.send("POST", url, data=_form(changed + button, token), what=what)
    # Each field (of each shape) in turn, with the last button.
    fields, button = variants[-1]
    for name, valid in {_shape(name): (name, value) for name, value in fields}.values():
        kind = _kind(valid)
        kinds = list(MALFORMED_BY_KIND) if kind == "blank" else [kind]
        for value in MALFORMED_ANY_FIELD + [v for k in kinds for v in MALFORMED_BY_KIND[k]]:
            changed = [(n, value if n == name else v) for n, v in fields]
            what = f"{name}={value!r:.30}"
            findings.send("POST", url, data=_form(changed + button, token), what=what)
        twice = [*fields, (name, MALFORMED_BY_KIND[kinds[0]][0]), *button]
        findings.send("POST", url, data=_form(twice, token), what=f"{name} twice")
    # What no page sends: NUL in every field, JSON, and a body that is not a form.
    nul = [(name, "\x00") for name, _ in fields]
    findings.send("POST", url, data=_form(nul + button, token), what="NUL in every field")
    findings.send("POST", url, json={"csrf_token": token, "text": "\x00", "title": [1, {}]})
    findings.send("POST", url, data=b"\xff\xfe=\xff", content_type="text/plain")
    findings.check()


def _form(fields: Fields, token: str) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {"csrf_token": [token]}
    for name, value in fields:
        form.setdefault(name, []).append(value)
    return form
