"""Screenshots on timeline notes: images only (sniffed from the bytes), size-capped, named safely,
served to staff as their sniffed type with nothing a browser could run, and never public."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import NoteAttachment, Role, RosterRole, Severity, TimelineEvent
from statuspage.services.incidents.attachments import (
    MAX_SCREENSHOT_BYTES,
    safe_filename,
    sniff_image_type,
)
from tests.console import act_as, csrf_token
from tests.factories import make_incident, make_png, make_user

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


@pytest.fixture
def world(app, client):
    """A commander signed in on a SEV2 incident with an expert on its roster."""
    with app.app_context():
        commander = make_user(Role.COMMANDER, name="Cora")
        expert = make_user(Role.VIEWER, name="Eve")
        incident = make_incident(
            severity=Severity.SEV2, by=commander, roster=[(RosterRole.EXPERT, expert)]
        )
        db.session.commit()
        ids = {"commander": commander.id, "expert": expert.id, "incident": incident.id}
    act_as(client, ids["commander"])
    return ids


def add_note(client, incident_id, *files, text="Dashboard at 14:02."):
    return client.post(
        f"/admin/incidents/{incident_id}/notes",
        data={
            "csrf_token": csrf_token(client),
            "text": text,
            "screenshot": [(io.BytesIO(data), name) for name, data in files],
        },
        content_type="multipart/form-data",
    )


def kept(app):
    with app.app_context():
        return [
            (a.filename, a.content_type, a.size)
            for a in db.session.scalars(sa.select(NoteAttachment).order_by(NoteAttachment.id))
        ]


def notes(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(TimelineEvent))


def test_a_screenshot_is_kept_on_the_note_and_shown_on_the_timeline(app, client, world):
    answer = add_note(client, world["incident"], ("grafana latency.png", make_png()))
    assert answer.status_code == 302
    assert kept(app) == [("grafana-latency.png", "image/png", len(make_png()))]
    page = client.get(f"/admin/incidents/{world['incident']}/timeline").text
    assert 'alt="Screenshot grafana-latency.png"' in page
    assert 'enctype="multipart/form-data"' in page


def test_a_screenshot_is_served_as_its_sniffed_type_with_nothing_to_run(app, client, world):
    add_note(client, world["incident"], ("shot.png", make_png()))
    with app.app_context():
        attachment_id = db.session.scalar(sa.select(NoteAttachment.id))
    answer = client.get(f"/admin/incidents/{world['incident']}/screenshots/{attachment_id}")
    assert answer.status_code == 200 and answer.data == make_png()
    assert answer.mimetype == "image/png"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert answer.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("evil.png", SVG),
        ("page.png", HTML),
        ("shot.svg", SVG),
        ("empty.png", b""),
        ("riff.webp", b"RIFF\x00\x00\x00\x00WAVEfmt "),
    ],
)
def test_anything_but_an_image_is_refused_and_the_note_text_is_kept(app, client, world, name, data):
    before = notes(app)
    answer = add_note(client, world["incident"], (name, data), text="Keep this text")
    assert answer.status_code == 422
    assert "not a PNG, JPEG, GIF or WebP image" in answer.text or "is empty" in answer.text
    assert "Keep this text" in answer.text
    assert kept(app) == [] and notes(app) == before


def test_a_screenshot_over_the_size_cap_is_refused_with_its_size(app, client, world):
    big = make_png() + b"\x00" * MAX_SCREENSHOT_BYTES
    answer = add_note(client, world["incident"], ("huge.png", big))
    assert answer.status_code == 422
    assert "may be at most 1.5 MB" in answer.text
    assert kept(app) == []


def test_more_screenshots_than_a_note_takes_are_refused(app, client, world):
    answer = add_note(client, world["incident"], *[(f"s{i}.png", make_png()) for i in range(5)])
    assert answer.status_code == 422 and "At most 4 screenshots per note" in answer.text


def test_a_screenshot_of_one_incident_is_not_served_under_another(app, client, world):
    add_note(client, world["incident"], ("shot.png", make_png()))
    with app.app_context():
        other = make_incident(severity=Severity.SEV3).id
        attachment_id = db.session.scalar(sa.select(NoteAttachment.id))
        db.session.commit()
    assert client.get(f"/admin/incidents/{other}/screenshots/{attachment_id}").status_code == 404


def test_screenshots_are_never_public(app, client, world):
    add_note(client, world["incident"], ("shot.png", make_png()))
    with app.app_context():
        attachment_id = db.session.scalar(sa.select(NoteAttachment.id))
    act_as(client, None)
    answer = client.get(f"/admin/incidents/{world['incident']}/screenshots/{attachment_id}")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    public = client.get(f"/incidents/{world['incident']}")
    assert f"screenshots/{attachment_id}" not in public.text


def test_an_expert_on_the_roster_may_attach_a_screenshot(app, client, world):
    act_as(client, world["expert"])
    assert add_note(client, world["incident"], ("mine.png", make_png())).status_code == 302
    assert len(kept(app)) == 1


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        (
            "C:\\Users\\me\\Bildschirmfoto 2026-12-04 um 14.02.png",
            "Bildschirmfoto-2026-12-04-um-14-02.png",
        ),
        ('"><img src=x onerror=alert(1)>.png', "img-src-x-onerror-alert-1.png"),
        ("shot.exe", "shot.png"),
        ("ünïcödé.png", "unicode.png"),
        ("\u202egnp.exe", "gnp.png"),
        ("", "screenshot.png"),
        ("x" * 500 + ".png", "x" * 116 + ".png"),
    ],
)
def test_filenames_are_made_safe_with_the_sniffed_extension(given, expected):
    assert safe_filename(given, "image/png") == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (make_png(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (SVG, None),
        (b"\x89PNX", None),
    ],
)
def test_the_type_is_sniffed_from_the_bytes(data, expected):
    assert sniff_image_type(data) == expected
