"""Console: subscribers and delivery status, for admins only, every change behind CSRF."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Delivery, DeliveryState, Role, Severity, Subscriber, SubscriberKind
from statuspage.services.defaults import ensure_defaults
from tests.factories import (
    NOW,
    PASSWORD,
    audience,
    make_component,
    make_incident,
    make_published,
    make_subscriber,
    make_user,
)
from tests.helpers import csrf_token_from, sign_in
from tests.outbox import deliver

READ_ROUTES = [
    "/admin/subscribers",
    "/admin/subscribers.csv",
    "/admin/subscribers/new",
    "/admin/deliveries",
]
WRITE_ROUTES = [
    "/admin/subscribers/new",
    "/admin/subscribers/1/active",
    "/admin/subscribers/1/delete",
    "/admin/deliveries/updates/1/retry",
    "/admin/deliveries/1/retry",
]


def signed_in(app, client, role):
    with app.app_context():
        ensure_defaults(now=NOW)
        user = make_user(role, password=PASSWORD)
        db.session.commit()
        email = user.email
    sign_in(client, email, PASSWORD)
    return client


@pytest.fixture
def admin(app, client):
    return signed_in(app, client, Role.ADMIN)


def form_token(client, path="/admin/subscribers/new"):
    return csrf_token_from(client.get(path).get_data(as_text=True))


@pytest.mark.parametrize("path", READ_ROUTES)
def test_anonymous_readers_are_sent_to_sign_in(client, path):
    answer = client.get(path)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.LIAISON, Role.COMMANDER])
@pytest.mark.parametrize("path", READ_ROUTES)
def test_only_admins_manage_subscribers(app, client, role, path):
    assert signed_in(app, client, role).get(path).status_code == 403


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COMMANDER])
@pytest.mark.parametrize("path", WRITE_ROUTES)
def test_non_admins_cannot_change_anything(app, client, role, path):
    client = signed_in(app, client, role)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("path", WRITE_ROUTES)
def test_changes_without_the_form_token_are_refused(admin, path):
    assert admin.post(path, data={}).status_code == 400


def add(admin, **fields):
    data = {
        "kind": "email",
        "audience": "",
        "address": "",
        "name": "",
        "csrf_token": form_token(admin),
    }
    data.update(fields)
    return admin.post("/admin/subscribers/new", data=data)


def audience_id(app, slug):
    with app.app_context():
        return audience(slug).id


def test_an_admin_adds_an_executives_list_that_receives_at_once(app, admin):
    answer = add(
        admin,
        address="exec-list@example.com",
        name="Executives",
        audience=audience_id(app, "executives"),
    )
    assert answer.status_code == 302
    with app.app_context():
        subscriber = db.session.scalar(sa.select(Subscriber))
        assert subscriber.receives and subscriber.name == "Executives"
        assert subscriber.audience.slug == "executives"


def test_an_admin_adds_a_webhook_and_sees_its_signing_secret(app, admin):
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    answer = add(
        admin,
        kind="webhook",
        address="http://127.0.0.1:9/hook",
        audience=audience_id(app, "customers"),
    )
    assert answer.status_code == 302
    page = admin.get(answer.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        secret = db.session.scalar(sa.select(Subscriber.signing_secret))
    assert secret and secret in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"address": "exec@example.com", "name": "Execs\r\nBcc: all@example.com"}, "not allowed"),
        ({"address": "exec@example.com", "name": "x" * 121}, "too long"),
        ({"address": "exec@example.com\nBcc: all@example.com"}, "not allowed"),
        ({"address": "x" * 300 + "@example.com"}, "too long"),
        ({"kind": "webhook", "address": "http://10.1.2.3/hook"}, "public addresses"),
        ({"kind": "webhook", "address": "http://169.254.169.254/"}, "public addresses"),
        ({"kind": "pigeon", "address": "exec@example.com"}, "Not a valid choice"),
    ],
)
def test_bad_subscribers_are_refused_with_a_message(app, admin, fields, message):
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = ""
    answer = add(admin, audience=audience_id(app, "executives"), **fields)
    assert answer.status_code in {400, 422}
    assert message in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_the_list_searches_and_counts_per_audience_and_component(app, admin):
    with app.app_context():
        api = make_component("API")
        make_subscriber("ann@example.com", components=[api])
        make_subscriber("bob@example.com")
        make_subscriber("ceo@example.com", "executives")
        db.session.commit()
    page = admin.get("/admin/subscribers?q=ann").get_data(as_text=True)
    assert "ann@example.com" in page and "bob@example.com" not in page
    assert "1 subscriber" in page
    counts = admin.get("/admin/subscribers").get_data(as_text=True)
    assert '<th scope="row">Customers</th><td>2</td><td>0</td>' in counts
    assert '<th scope="row">Executives</th><td>1</td><td>0</td>' in counts
    assert '<th scope="row">API</th><td>1</td>' in counts
    assert '<th scope="row">Every component</th><td>2</td>' in counts


def test_the_csv_export_lists_subscribers_and_defuses_formulas(app, admin):
    with app.app_context():
        make_subscriber("ann@example.com", name='=HYPERLINK("http://evil")')
        db.session.commit()
    answer = admin.get("/admin/subscribers.csv")
    assert answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [(r["address"], r["audience"], r["state"]) for r in rows] == [
        ("ann@example.com", "customers", "receiving")
    ]
    assert rows[0]["name"].startswith("'=")


def test_delivery_status_shows_failures_with_their_error_and_a_retry_sends_again(
    app, admin, mail_sink
):
    with app.app_context():
        make_subscriber("ann@example.com")
        update = make_published(make_incident(severity=Severity.SEV3), "customers")
        db.session.commit()
        update_id = update.id
    app.config["DELIVERY_MAX_ATTEMPTS"] = 1  # the server is not configured: fail at once
    deliver(app)
    status = admin.get("/admin/deliveries").get_data(as_text=True)
    assert "STATUSPAGE_SMTP_URL is not set" in status
    detail = admin.get(f"/admin/deliveries/updates/{update_id}").get_data(as_text=True)
    assert "failed" in detail and "STATUSPAGE_SMTP_URL is not set" in detail

    app.config["SMTP_URL"] = mail_sink.url
    retried = admin.post(
        f"/admin/deliveries/updates/{update_id}/retry",
        data={"csrf_token": form_token(admin, f"/admin/deliveries/updates/{update_id}")},
    )
    assert retried.status_code == 302
    deliver(app)
    assert len(mail_sink.to("ann@example.com")) == 1
    with app.app_context():
        assert (
            db.session.scalar(sa.select(Delivery.state).where(Delivery.update_id == update_id))
            is DeliveryState.SENT
        )


def test_switching_a_subscriber_off_and_removing_it(app, admin):
    with app.app_context():
        subscriber_id = make_subscriber("ann@example.com", "staff", kind=SubscriberKind.EMAIL).id
        db.session.commit()
    page = f"/admin/subscribers/{subscriber_id}"
    off = admin.post(f"{page}/active", data={"active": "0", "csrf_token": form_token(admin, page)})
    assert off.status_code == 302
    with app.app_context():
        assert db.session.get(Subscriber, subscriber_id).is_active is False
    gone = admin.post(f"{page}/delete", data={"csrf_token": form_token(admin, page)})
    assert gone.status_code == 302
    assert admin.get(page).status_code == 404
