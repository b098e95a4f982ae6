"""Invitation to second factor in a real browser: an admin invites a liaison, who chooses a password
from the emailed link, sets up the second factor their role needs, signs in again with a code,
and signing out ends their session in another browser too. Screenshots of the set-up page."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import Role
from statuspage.services.defaults import ensure_defaults
from tests.browser import sign_in
from tests.factories import NOW, PASSWORD, make_user
from tests.mail import text_part
from tests.outbox import deliver
from tests.processes import start_web

pytestmark = pytest.mark.slow
WIDTHS = {"wide": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
CHOSEN = "my own long password"


@pytest.fixture
def server(app, database_url, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url  # the outbox is sent from this process (deliver)
    with app.app_context():
        ensure_defaults(now=NOW)
        make_user(Role.ADMIN, email="ada@example.com", name="Ada", password=PASSWORD)
        db.session.commit()
    process = start_web(database_url, SECOND_FACTOR_ROLES='["liaison"]')
    yield process
    process.stop()


def code_after(secret: str, steps: int) -> str:
    """The app's code `steps` time steps from now (a code is good once, so each sign-in waits
    for, or here types, a later one)."""
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30 * steps))


def sign_in_with_code(page, base: str, code: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill("nina@example.com")
    page.get_by_label("Password").fill(CHOSEN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("textbox", name="Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/admin/$"))


def test_invite_set_password_enrol_sign_in_with_a_code_and_sign_out_everywhere(
    app, browser, server, mail_sink, artifacts
):
    from playwright.sync_api import expect

    base = server.url
    ada = sign_in(browser.new_context(viewport=WIDTHS["wide"]), base, "ada@example.com")
    ada.goto(base + "/admin/users/new")
    ada.get_by_label("Email").fill("nina@example.com")
    ada.get_by_label("Name").fill("Nina")
    ada.get_by_label("Role").select_option("liaison")
    ada.get_by_role("button", name="Send the invitation").click()
    expect(ada.get_by_text("Invitation sent to nina@example.com")).to_be_visible()

    deliver(app)
    [invitation] = mail_sink.to("nina@example.com")
    path = re.search(r"https?://\S+?(/invitations/\S+)", text_part(invitation)).group(1)
    nina = browser.new_context(viewport=WIDTHS["wide"]).new_page()
    nina.goto(base + path)
    nina.get_by_label("Choose a password").fill(CHOSEN)
    nina.get_by_label("The same again").fill(CHOSEN)
    nina.get_by_role("button", name="Set my password and sign in").click()

    # A liaison's role needs a second factor: the console asks for it before anything else.
    nina.wait_for_url(re.compile(r".*/admin/profile/second-factor$"))
    expect(nina.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    for width, viewport in WIDTHS.items():
        nina.set_viewport_size(viewport)
        nina.screenshot(path=str(artifacts / f"second-factor-{width}.png"), full_page=True)
    secret = nina.locator("code.totp-secret").inner_text()
    nina.get_by_label("Code from the app").fill(code_after(secret, 0))
    nina.get_by_role("button", name="Turn on the second factor").click()
    expect(nina.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    recovery = nina.locator("ul.recovery-codes code").all_inner_texts()
    assert len(recovery) == 10
    nina.get_by_role("link", name="Done").click()
    nina.get_by_role("button", name=re.compile("Sign out")).click()

    # Signing in again takes the password and then a code (a later one: each is good once).
    sign_in_with_code(nina, base, code_after(secret, 1))
    other = browser.new_context(viewport=WIDTHS["phone"]).new_page()
    sign_in_with_code(other, base, recovery[0])
    expect(other.get_by_role("button", name=re.compile("Sign out Nina"))).to_be_visible()

    # Signing out in one browser signs her out everywhere.
    nina.get_by_role("button", name=re.compile("Sign out")).click()
    other.goto(base + "/admin/")
    other.wait_for_url(re.compile(r".*/login"))
