"""Declare, mobilize and review in a real browser, with the emails at a real SMTP server: the
roster is told at once, the reviewer is asked at once, and the reviewer approves late without
the promise losing any of its interval. Screenshots of
compose, review and the timeline at 1280 and 390 px wide land in tests/artifacts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Promise, Role, Update
from statuspage.services.defaults import ensure_defaults
from tests.browser import sign_in
from tests.factories import NOW, PASSWORD, make_user
from tests.mail import text_part
from tests.outbox import deliver
from tests.processes import start_web

pytestmark = pytest.mark.slow
WIDTHS = {"wide": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def server(app, database_url, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url  # the outbox is sent from this process (deliver)
    with app.app_context():
        ensure_defaults(now=NOW)
        make_user(Role.COMMANDER, email="alice@example.com", name="Alice", password=PASSWORD)
        make_user(Role.LIAISON, email="lia@example.com", name="Lia", password=PASSWORD)
        make_user(Role.COMMANDER, email="ben@example.com", name="Ben", password=PASSWORD)
        db.session.commit()
    process = start_web(database_url)
    yield process
    process.stop()


def shoot(page, artifacts, name: str) -> None:
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)


def wait_in_review(app, update_id: int, waited: timedelta) -> None:
    """As if the update had waited `waited` for its reviewer: written and submitted that long ago,
    with the next-update time its writer saw then."""
    with app.app_context():
        update = db.session.get(Update, update_id)
        assert update.promise_seconds, "the writer chose an interval, not a time"
        for column in ("created_at", "updated_at", "submitted_at", "next_update_due_at"):
            if getattr(update, column) is not None:
                setattr(update, column, getattr(update, column) - waited)
        db.session.commit()


def test_declare_tells_the_roster_and_review_asks_the_reviewer(
    app, browser, server, mail_sink, artifacts
):
    from playwright.sync_api import expect

    base = server.url
    alice = sign_in(browser.new_context(viewport=WIDTHS["wide"]), base, "alice@example.com")
    alice.get_by_role("link", name="Declare an incident").first.click()
    alice.get_by_label("Working title").fill("Card payments failing")
    alice.get_by_label("Severity").select_option("SEV1")
    alice.get_by_label("Customer liaison").select_option(label="Lia (liaison)")
    alice.get_by_label("Deputy").select_option(label="Ben (commander)")
    alice.get_by_role("button", name="Declare and write the first update").click()
    expect(alice.get_by_role("heading", name=re.compile("Write an update"))).to_be_visible()
    shoot(alice, artifacts, "compose")

    deliver(app)
    [to_lia] = mail_sink.to("lia@example.com")
    assert to_lia["Subject"] == "You are customer liaison on Card payments failing (SEV1)"
    assert "/admin/incidents/" in text_part(to_lia)
    assert [m["Subject"] for m in mail_sink.to("ben@example.com")] == [
        "You are deputy on Card payments failing (SEV1)"
    ]

    # Lia writes to customers; at SEV1 a second person must approve.
    lia = sign_in(browser.new_context(viewport=WIDTHS["wide"]), base, "lia@example.com")
    lia.get_by_role("link", name="Card payments failing").first.click()
    lia.get_by_role("link", name=re.compile("Write an update")).first.click()
    lia.get_by_label(re.compile("The facts, written once")).fill("The card processor times out.")
    lia.get_by_role("button", name="Publish to the ticked audiences").click()
    expect(lia.get_by_text(re.compile("Sent for review.*Customers"))).to_be_visible()

    deliver(app)
    [review] = [m for m in mail_sink.to("alice@example.com") if m["Subject"].startswith("Review")]
    link = re.search(r"http://\S+/admin/updates/\d+", text_part(review)).group(0)
    update_id = int(link.rsplit("/", 1)[1])
    wait_in_review(app, update_id, timedelta(minutes=40))
    alice.goto(base + "/admin" + link.split("/admin", 1)[1])
    expect(alice.get_by_role("button", name="Approve and publish")).to_be_visible()
    shoot(alice, artifacts, "review")
    alice.set_viewport_size(WIDTHS["wide"])
    alice.get_by_role("button", name="Approve and publish").click()
    expect(alice.get_by_text("Published to Customers")).to_be_visible()
    # Approved 40 minutes after it was written, the promise still runs its whole interval from
    # publication: the review ate none of it, and nothing was refused as past.
    with app.app_context():
        update = db.session.get(Update, update_id)
        assert update.published_at - update.submitted_at >= timedelta(minutes=40)
        promise = db.session.scalar(sa.select(Promise).filter_by(made_by_update_id=update_id))
        assert promise.due_at == update.published_at + timedelta(seconds=update.promise_seconds)

    alice.get_by_role("link", name=re.compile("timeline", re.IGNORECASE)).first.click()
    expect(alice.get_by_text(re.compile("Alice approved the Customers update"))).to_be_visible()
    shoot(alice, artifacts, "timeline")
