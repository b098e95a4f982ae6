"""The page's language (issue 15): with STATUSPAGE_LANGUAGE=de the public pages, feeds and subscriber
emails speak German with German dates, while the console and the JSON API stay English; the German
catalog translates every message and the template (.pot) matches what the code marks.

English pages are the other tests' business: they run with the default language, unchanged.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from statuspage import create_app
from statuspage.core.config import ConfigurationError
from statuspage.models import ComponentStatus
from tests.helpers import settings_for
from tests.mail import html_part, text_part
from tests.outbox import deliver
from tests.test_maintenance_lifecycle import READER, START, planned, run  # noqa: F401 (its fixture)
from tests.test_subscribe_follow import components, declare, follow, tell

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
# "1. Dez., 13:04": Babel's German day and abbreviated month, then the 24-hour time.
GERMAN_DATETIME = re.compile(
    r"\b\d{1,2}\. (Jan|Feb|März|Apr|Mai|Juni|Juli|Aug|Sept|Okt|Nov|Dez)\.?( \d{4})?, \d{2}:\d{2}\b"
)
ENGLISH_DATETIME = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{2}:\d{2}"
)
# English UI strings of the public pages that must not survive in the German ones.
ENGLISH_WORDS = (
    "Current status",
    "Subscribe to updates",
    "Skip to content",
    "Times are shown in",
    "Open incidents",
    "Past incidents",
    "Components",
    "No incidents reported",
    "Incident history",
    "Next update by",
    "Operational",
    "Major outage",
    "Investigating",
    "Identified",
    "Resolved",
    "uptime",
    "days ago",
    "Powered by",
    "Affected components",
    "Link to this incident",
    "Duration",
    "By email",
    "Email address",
    "Unsubscribe",
)


@pytest.fixture
def german(app):
    app.config["LANGUAGE"] = "de"
    return app


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def visible_text(html):
    """The page's words: without tags, scripts, and the attribute values machines read."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


def leftover_english(html):
    text = visible_text(html)
    return [word for word in ENGLISH_WORDS if re.search(rf"\b{re.escape(word)}\b", text)]


def test_the_status_page_speaks_german_with_german_dates(german, client, public_world):
    html = page(client, "/")
    assert '<html lang="de"' in html
    for words in ("Schwerer Dienstausfall", "Aktuelle Störungen", "Frühere Störungen"):
        assert words in html
    assert "Betriebsbereit" in html and "Schwerer Ausfall" in html
    assert "Nächste Meldung bis" in html and "Keine Störungen gemeldet." in html
    assert GERMAN_DATETIME.search(visible_text(html)), "no German date on the page"
    assert not ENGLISH_DATETIME.search(visible_text(html))
    assert leftover_english(html) == []


def test_an_incident_page_speaks_german(german, client, public_world):
    html = page(client, f"/incidents/{public_world.resolved_incident}")
    assert '<html lang="de"' in html
    assert "Behoben" in html and "Dauer" in html and "Nachbetrachtung" in html
    assert "Link zu dieser Störung" in html
    assert GERMAN_DATETIME.search(visible_text(html))
    assert leftover_english(html) == []


def test_the_history_names_its_months_in_german(german, client, public_world):
    html = page(client, "/history")
    assert "Störungsverlauf" in html
    months = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
    assert re.search(rf"<h2 id=\"month-1\">({months}) \d{{4}}</h2>", html)
    assert leftover_english(html) == []


def test_the_subscribe_page_speaks_german(german, client, mailing):
    html = page(client, "/subscribe")
    assert "Meldungen abonnieren" in html and "Per E-Mail" in html
    assert "Wartungskalender" in html
    assert leftover_english(html) == []


def test_an_update_email_speaks_german(german, client, mailing):
    [api] = components(german, "Card API")
    follow(german, client, mailing, "ann@example.com")
    incident = declare(german, "Kartenzahlungen schlagen fehl", {api: ComponentStatus.MAJOR_OUTAGE})
    tell(german, incident, "Einige Karten werden abgelehnt.")
    deliver(german)
    message = mailing.to("ann@example.com")[-1]
    assert message["Subject"] == "[Wird untersucht] Kartenzahlungen schlagen fehl"
    for part in (text_part(message), html_part(message)):
        assert "Betroffene Komponenten" in part and "Card API: Schwerer Ausfall" in part.replace(
            "<strong>", ""
        ).replace("</strong>", "")
        assert "Nächste Meldung bis" in part and "Abbestellen" in part
        assert GERMAN_DATETIME.search(part)
        assert leftover_english(part) == []
    assert '<html lang="de">' in html_part(message)


def test_the_confirmation_email_speaks_german(german, client, mailing):
    confirmation = follow(german, client, mailing, "bea@example.com")
    assert confirmation["Subject"].startswith("Bestätigen Sie Ihr Abonnement")
    assert "läuft in" in text_part(confirmation)


def test_the_atom_feed_speaks_german_and_keeps_its_vars(german, client, public_world):
    feed = feedparser.parse(client.get("/history.atom").data)
    assert feed.feed.title.endswith("Störungsverlauf")
    assert feed.feed.get("language", "de") == "de"
    content = " ".join(entry.content[0].value for entry in feed.entries)
    assert re.search(r"<var>\d{1,2}</var>\. \w+\.?, <var>\d{2}:\d{2}</var>", content)
    assert "Behoben" in content and "Resolved" not in content


def test_the_console_and_the_json_api_stay_english(german, client, public_world):
    login = page(client, "/login")
    assert '<html lang="en">' in login
    status = client.get("/api/v2/status.json").get_json()
    assert status["status"]["description"] == "Major Service Outage"


def test_a_language_without_a_catalog_is_refused_at_start(database_url):
    with pytest.raises(ConfigurationError, match="STATUSPAGE_LANGUAGE 'fr' has no translation"):
        create_app(settings_for(database_url, LANGUAGE="fr"))


def test_every_message_has_a_german_translation():
    with (TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (not all(message.string) if isinstance(message.id, tuple) else not message.string)
    ]
    assert untranslated == []
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        wanted = {message.id for message in read_po(pot) if message.id}
    assert wanted <= {message.id for message in catalog if message.id}


def test_the_message_template_matches_what_the_code_and_templates_mark():
    method_map = [
        (line.strip("[] \n").split(": ")[1], line.strip("[] \n").split(": ")[0])
        for line in (ROOT / "babel.cfg").read_text().splitlines()
        if line.startswith("[")
    ]
    keywords = {
        "_": None,
        "N_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "lazy_gettext": None,
        "_l": None,
    }
    marked = {
        message[2]
        for message in extract_from_dir(str(ROOT), method_map, keywords=keywords)
        if message[2]
    }
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        written = {message.id for message in read_po(pot) if message.id}
    assert marked == written, "run: pybabel extract -F babel.cfg -k _l --no-location " + (
        "--sort-output --omit-header -o translations/messages.pot ."
    )


def test_a_public_error_page_speaks_german(german, client):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Unter dieser Adresse gibt es nichts" in html and "Zurück zur Statusseite" in html
    assert "The requested URL" not in html and "Back to the status page" not in html


def test_a_maintenance_reminder_speaks_german(german, mailing, request):
    request.getfixturevalue("planned")  # a window an hour from its reminder, with a reader
    due = START - timedelta(hours=1)
    run(german, "maintenance-reminders", due)
    deliver(german, now=due)
    [message] = [m for m in mailing.to(READER) if m["Subject"].startswith("Erinnerung")]
    assert message["Subject"] == "Erinnerung: Search upgrade beginnt in 1 Stunde"
    text = text_part(message)
    assert "Die geplante Wartung „Search upgrade“ beginnt in 1 Stunde" in text
    assert GERMAN_DATETIME.search(text) and "Abbestellen:" in text and "Gesendet von" in text
    assert leftover_english(text) == []
