"""Acceptance 5: a real browser declares a SEV1, writes to customers and executives from their
templates, previews both, publishes; a second commander approves the customers' update; the public
page shows customers only what is theirs, the internal page shows both."""

from __future__ import annotations

import re
import time

import pytest

from statuspage.extensions import db
from statuspage.models import Role
from statuspage.services.defaults import ensure_defaults
from tests.browser import sign_in
from tests.factories import NOW, PASSWORD, make_component, make_user
from tests.processes import start_web

pytestmark = pytest.mark.slow
FACTS = "A bad deploy of the checkout service is being rolled back."
EXECUTIVES_ONLY = "Revenue impact is about 40 orders a minute."
CUSTOMERS_TEMPLATE_TEXT = "The issue has been identified and a fix is being implemented."


@pytest.fixture
def server(app, database_url):
    with app.app_context():
        ensure_defaults(now=NOW)
        make_user(Role.COMMANDER, email="alice@example.com", name="Alice", password=PASSWORD)
        make_user(Role.COMMANDER, email="bob@example.com", name="Bob", password=PASSWORD)
        make_user(Role.ADMIN, email="ada@example.com", name="Ada", password=PASSWORD)
        make_component("Checkout API")
        make_component("Dashboard")
        db.session.commit()
    process = start_web(database_url)
    yield process
    process.stop()


def test_declare_compose_preview_publish_and_approve(browser, server, artifacts):
    from playwright.sync_api import expect

    base = server.url
    alice_context = browser.new_context(viewport={"width": 1280, "height": 900})
    alice = sign_in(alice_context, base, "alice@example.com")

    # Declare a SEV1 on two components.
    alice.get_by_role("link", name="Declare an incident").first.click()
    alice.get_by_label("Working title").fill("Checkout failing")
    alice.get_by_label("Severity").select_option("SEV1")
    alice.locator("label.component-choice", has_text="Checkout API").locator(
        "select"
    ).select_option("major_outage")
    alice.locator("label.component-choice", has_text="Dashboard").locator("select").select_option(
        "degraded_performance"
    )
    alice.get_by_role("button", name="Declare and write the first update").click()
    expect(alice.get_by_role("heading", name=re.compile("Write an update"))).to_be_visible()

    # Write the facts once; every audience's message follows them through its template.
    alice.get_by_label("Identified").check()
    alice.get_by_label(re.compile("The facts, written once")).fill(FACTS)
    customers = alice.locator("article.audience", has_text="Send to Customers")
    executives = alice.locator("article.audience", has_text="Send to Executives")
    expect(executives.locator("textarea")).to_have_value(re.compile(re.escape(FACTS)))
    for box in alice.locator("article.audience input[type=checkbox]").all():
        if box.is_checked():
            box.uncheck()
    customers.locator("input[type=checkbox]").check()
    executives.locator("input[type=checkbox]").check()
    expect(customers.locator("textarea")).to_have_value(
        re.compile(re.escape(CUSTOMERS_TEMPLATE_TEXT))
    )
    expect(executives.locator("textarea")).to_have_value(re.compile("Where we are"))
    executives_body = executives.locator("textarea")
    executives_body.fill(executives_body.input_value() + "\n\n" + EXECUTIVES_ONLY)

    # Preview both: as the page shows it and as the email reads.
    alice.get_by_role("button", name="Refresh previews").last.click()
    customers = alice.locator("article.audience", has_text="Send to Customers")
    executives = alice.locator("article.audience", has_text="Send to Executives")
    expect(customers.locator(".preview--page")).to_contain_text(FACTS)
    expect(customers.locator(".preview--email")).to_contain_text(CUSTOMERS_TEMPLATE_TEXT)
    expect(executives.locator(".preview--page")).to_contain_text(EXECUTIVES_ONLY)
    expect(executives.locator(".preview--email")).to_contain_text(EXECUTIVES_ONLY)
    for card in alice.locator("article.audience").all():
        if card.locator("input[type=checkbox]").is_checked():
            assert re.search("Send to (Customers|Executives)", card.inner_text())
    alice.screenshot(path=str(artifacts / "compose.png"), full_page=True)

    # Publish: executives at once; customers at SEV1 need a second person.
    alice.get_by_role("button", name="Publish to the ticked audiences").click()
    expect(alice.get_by_text("Published to Executives")).to_be_visible()
    expect(alice.get_by_text(re.compile("Sent for review.*Customers"))).to_be_visible()
    alice.goto(base + "/admin/")
    expect(alice.get_by_role("heading", name="Waiting for review")).to_be_visible()
    expect(alice.locator("[data-countdown]").first).to_have_text(re.compile("due in|overdue"))
    alice.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    # Bob, another commander, approves and publishes the customers' update.
    bob = sign_in(browser.new_context(), base, "bob@example.com")
    bob.get_by_role("link", name=re.compile("Customers")).first.click()
    bob.get_by_role("button", name="Approve and publish").click()
    expect(bob.get_by_text("Published to Customers")).to_be_visible()

    # The public surfaces: customers' text only, never the executives'. The page follows a
    # publication within a second (its version check), so reload until it has.
    public = browser.new_context().new_page()
    deadline = time.monotonic() + 20
    while True:
        public.goto(base + "/")
        if FACTS in public.content() or time.monotonic() > deadline:
            break
        public.wait_for_timeout(200)
    public.screenshot(path=str(artifacts / "public.png"), full_page=True)
    main = public.locator("main")
    expect(main).to_contain_text(FACTS)
    expect(main).to_contain_text(CUSTOMERS_TEMPLATE_TEXT)
    expect(main).to_contain_text("Checkout API")
    public.get_by_role("link", name="Checkout failing").first.click()
    expect(public.locator("main")).to_contain_text(FACTS)
    for html in (public.content(), public.request.get(base + "/").text()):
        assert EXECUTIVES_ONLY not in html and "Where we are" not in html

    # The internal page shows both audiences side by side.
    alice.goto(base + "/internal")
    expect(alice.locator(".audience-column", has_text="Customers")).to_contain_text(FACTS)
    expect(alice.locator(".audience-column", has_text="Executives")).to_contain_text(
        EXECUTIVES_ONLY
    )
    alice.screenshot(path=str(artifacts / "internal.png"), full_page=True)


def test_the_template_editor_previews_live_and_names_the_line(browser, server):
    from playwright.sync_api import expect

    ada = sign_in(browser.new_context(), server.url, "ada@example.com")
    ada.goto(server.url + "/admin/templates")
    customers = ada.locator("section", has=ada.get_by_role("heading", name="Customers"))
    customers.get_by_role("link", name="Identified").click()
    expect(ada.get_by_role("heading", name="Customers: Identified")).to_be_visible()
    ada.wait_for_load_state("load")  # the live preview's script runs once the page has loaded
    body = ada.get_by_label("Body")
    body.fill("Line one\n{{ incident.nope }}")
    expect(ada.locator("#template-error")).to_contain_text("Template body, line 2")
    body.fill("Working on **{{ incident.title }}**")
    expect(ada.locator("#template-error")).to_be_hidden()
    expect(ada.locator("#template-preview-body strong")).to_have_text(
        "Elevated error rates on the API"
    )


def test_the_compose_preview_follows_the_text(browser, server):
    from playwright.sync_api import expect

    alice = sign_in(browser.new_context(), server.url, "alice@example.com")
    alice.get_by_role("link", name="Declare an incident").first.click()
    alice.get_by_label("Working title").fill("Search slow")
    alice.get_by_role("button", name="Declare and write the first update").click()
    customers = alice.locator("article.audience", has_text="Send to Customers")
    expect(customers).to_be_visible()
    alice.wait_for_load_state("load")  # the live preview's script runs once the page has loaded
    customers.locator("textarea").fill("Searches take *seconds*.")
    expect(customers.locator(".preview--email [data-preview-body] em")).to_have_text("seconds")
