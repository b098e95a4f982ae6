"""Branding set in the console (admins): the page name, logo, favicon, accents, footer links and
"Powered by" on every public surface and in the export; everything an admin could get wrong is
refused in words (file types sniffed from the bytes, sizes, SVGs that script, faint colours,
links that are not web addresses), and only admins may change it."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import AuditEntry, Role
from statuspage.publicsite.export import export_site
from statuspage.services.branding import colours, files
from statuspage.services.branding import settings as branding
from tests.brand_files import BRAND, SCRIPTING_SVGS, SVG_LOGO
from tests.console import act_as, csrf_token
from tests.factories import make_incident, make_png, make_published, make_user
from tests.helpers import csrf_token_from
from tests.outbox import deliver

TYPED_FIELDS = (
    "page_name",
    "accent_light",
    "accent_dark",
    "home_url",
    "privacy_url",
    "support_url",
)


@pytest.fixture
def people(app):
    with app.app_context():
        ids = {role: make_user(role, name=role.value).id for role in (Role.ADMIN, Role.COMMANDER)}
        db.session.commit()
    return ids


@pytest.fixture
def admin(client, people):
    act_as(client, people[Role.ADMIN])
    return client


def save(client, *, logo=None, favicon=None, token=True, **fields):
    data = {"powered_by": "y", **fields}
    if token:
        data["csrf_token"] = csrf_token(client)
    for name, upload in (("logo", logo), ("favicon", favicon)):
        if upload is not None:
            data[name] = (io.BytesIO(upload[1]), upload[0])
    return client.post("/admin/branding", data=data, content_type="multipart/form-data")


def test_an_admin_brands_the_public_page(app, admin):
    typed = {name: getattr(BRAND, name) for name in TYPED_FIELDS}
    answer = save(
        admin,
        logo=("acme.svg", BRAND.logo),
        favicon=("icon.png", make_png()),
        **typed | {"accent_light": BRAND.accent_light.upper()},
    )
    assert answer.status_code == 302
    page = admin.get("/").text
    brand = _brand(app)
    assert "<title>Acme Cloud status</title>" in page
    assert f'<img class="site-logo" src="/brand/{brand.logo.name}"' in page
    assert f'href="/brand/{brand.favicon.name}" type="image/png"' in page
    assert f'<link rel="stylesheet" href="/brand/{brand.theme.name}">' in page
    assert '<a class="site-name" href="https://acme.example">' in page
    assert '<a href="https://acme.example/privacy">Privacy policy</a>' in page
    assert '<a href="https://help.acme.example/">Support</a>' in page
    assert "--link: #0a5c36" in admin.get(f"/brand/{brand.theme.name}").text


def test_the_page_name_titles_feeds_and_error_pages(admin):
    save(admin, page_name="Acme Cloud status")
    assert "<title>Acme Cloud status" in admin.get("/history.atom").text
    assert "Acme Cloud status" in admin.get("/incidents/999999").text


def test_saving_is_audited(app, admin):
    save(admin, page_name="Acme Cloud status", logo=("a.png", make_png()))
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "branding.save"))
    assert entry is not None and {"page_name", "logo"} <= set(entry.details["changed"])


def test_powered_by_is_shown_until_an_admin_turns_it_off(admin):
    assert "Powered by statuspage" in admin.get("/").text
    save(admin, powered_by="")
    assert "Powered by statuspage" not in admin.get("/").text


def test_a_brand_file_is_cached_for_a_year_and_revalidated_by_etag(app, admin):
    save(admin, logo=("a.png", make_png()))
    path = f"/brand/{_brand(app).logo.name}"
    answer = admin.get(path)
    assert answer.data == make_png() and answer.mimetype == "image/png"
    assert "max-age=31536000" in answer.headers["Cache-Control"]
    again = admin.get(path, headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_an_svg_logo_is_served_in_a_sandbox(app, admin):
    save(admin, logo=("a.svg", SVG_LOGO))
    answer = admin.get(f"/brand/{_brand(app).logo.name}")
    assert answer.mimetype == "image/svg+xml"
    assert "sandbox" in answer.headers["Content-Security-Policy"]
    assert "script-src" not in answer.headers["Content-Security-Policy"]


def test_a_replaced_logo_is_gone_from_its_old_address(app, admin):
    save(admin, logo=("a.png", make_png()))
    old = _brand(app).logo.name
    save(admin, logo=("b.png", make_png(3, 3)))
    answer = admin.get(f"/brand/{old}")
    assert answer.status_code == 404 and "no such brand file" in answer.text


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("logo.png", b"<!doctype html><script>alert(1)</script>", "must be a PNG or SVG"),
        ("logo.png", b"GIF89a" + b"\0" * 20, "must be a PNG or SVG"),
        ("logo.svg", b"", "is empty"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 200_000, "may be at most 200 kB"),
    ],
    ids=["html named png", "gif", "empty", "oversize"],
)
def test_a_logo_that_is_not_a_small_png_or_svg_is_refused(app, admin, name, data, words):
    answer = save(admin, logo=(name, data))
    assert answer.status_code == 422 and words in answer.text
    assert _brand(app).logo is None


@pytest.mark.parametrize("trick", SCRIPTING_SVGS)
def test_an_svg_that_could_script_or_load_is_refused(trick):
    with pytest.raises(ValidationError, match="script, links or embedded content"):
        files.checked_image("logo", SCRIPTING_SVGS[trick])


def test_a_faint_accent_is_refused_with_its_contrast(app, admin):
    answer = save(admin, accent_light="#8ab4f8")
    assert answer.status_code == 422
    assert "too faint on the light page background" in answer.text and "4.5:1" in answer.text
    assert _brand(app).theme is None


def test_a_dark_accent_is_checked_against_the_dark_background():
    assert colours.clean_accent("#79b8ff", scheme="dark") == "#79b8ff"
    with pytest.raises(ValidationError, match="dark page background"):
        colours.clean_accent("#0b57d0", scheme="dark")


def test_contrast_ratio_is_wcags():
    assert colours.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert colours.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(
    "link",
    ["javascript:alert(1)", "data:text/html,<script>x</script>", "ftp://acme.example", "acme"],
)
def test_a_footer_link_that_is_not_a_web_address_is_refused(app, admin, link):
    answer = save(admin, privacy_url=link)
    assert answer.status_code == 422
    assert "must be a web address starting with https://" in answer.text
    assert _brand(app).privacy_url is None


def test_only_admins_may_see_or_change_the_branding(client, people):
    act_as(client, people[Role.COMMANDER])
    assert client.get("/admin/branding").status_code == 403
    assert save(client, page_name="Hijacked").status_code == 403


def test_a_change_without_the_csrf_token_is_refused(app, admin):
    assert save(admin, page_name="Forged", token=False).status_code == 400
    assert "<title>Forged" not in admin.get("/").text


def test_the_export_holds_the_brand_files_linked_relatively(app, admin, tmp_path):
    save(admin, logo=("a.svg", SVG_LOGO), accent_light="#0a5c36")
    brand = _brand(app)
    with app.app_context():
        export_site(tmp_path, now=utcnow())
    assert (tmp_path / "brand" / brand.logo.name).read_bytes() == SVG_LOGO
    assert (tmp_path / "brand" / brand.theme.name).is_file()
    assert f'src="brand/{brand.logo.name}"' in (tmp_path / "index.html").read_text()


def _brand(app) -> branding.Brand:
    with app.app_context():
        return branding.current_brand()


def test_emails_are_sent_in_the_page_name(app, admin, mailing):
    save(admin, page_name="Acme Cloud status")
    anonymous = app.test_client()
    token = csrf_token_from(anonymous.get("/subscribe").text)
    anonymous.post("/subscribe", data={"email": "gus@example.com", "csrf_token": token})
    deliver(app)
    [message] = mailing.to("gus@example.com")
    assert message["Subject"] == "Confirm your subscription to Acme Cloud status"
    assert message["From"].startswith("Acme Cloud status")


def test_a_new_brand_redoes_every_page_of_an_incremental_export(app, admin, tmp_path, ctx):
    incident = make_published(make_incident(title="Search slow"))
    db.session.commit()
    first, second = tmp_path / "first", tmp_path / "second"
    export_site(first, now=utcnow())
    save(admin, page_name="Acme Cloud status")
    export_site(second, now=utcnow(), previous=first, changed_since=utcnow())
    page = (second / f"incidents/{incident.incident_id}.html").read_text()
    assert "Acme Cloud status" in page
