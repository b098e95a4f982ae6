"""Every address the app links to, as a path: the public site's pages, feeds, JSON documents and
calendar, the links in subscription emails, the internal page, and the console pages an email
points people at; and `local_path`, which tells a path on this site from anything else.

It sits below the services so that everything that writes a link (emails, webhooks, feeds, the
API, message templates, reminders) builds it here, from the page's base URL and one of these
paths. The views' routes answer them; publicsite.urls maps them to exported files and links
relative to one.
"""

from __future__ import annotations

from urllib.parse import unquote, urlencode, urlsplit

FEED_FORMATS = ("atom", "rss")
API_DOCUMENTS = (
    "summary",
    "status",
    "components",
    "incidents",
    "incidents/unresolved",
    "scheduled-maintenances",
    "scheduled-maintenances/upcoming",
    "scheduled-maintenances/active",
)
# The links in subscription emails end with a signed token (core.tokens).
CONFIRM_PATH = "/subscriptions/confirm/"
MANAGE_PATH = "/subscriptions/manage/"
UNSUBSCRIBE_PATH = "/subscriptions/unsubscribe/"


def index_path() -> str:
    return "/"


def incident_path(incident_id: int) -> str:
    """The incident's stable public address (its permalink)."""
    return f"/incidents/{incident_id}"


def history_path(page: int = 1, component_id: int | None = None) -> str:
    """A page of the history, of every component or of one (`?component=`: the app's only)."""
    query = {"component": component_id} if component_id else {}
    query |= {"page": page} if page != 1 else {}
    return f"/history?{urlencode(query)}" if query else "/history"


def feed_path(kind: str, fmt: str, component_id: int | None = None) -> str:
    """The history or updates feed, as Atom or RSS, of every component or one."""
    query = f"?{urlencode({'component': component_id})}" if component_id else ""
    return f"/{kind}.{fmt}{query}"


def subscribe_path(incident_id: int | None = None) -> str:
    """The subscribe page (every way to follow), or its form following one incident only."""
    return f"/subscribe?{urlencode({'incident': incident_id})}" if incident_id else "/subscribe"


def api_path(document: str) -> str:
    return f"/api/v2/{document}.json"


def calendar_path() -> str:
    return "/maintenance.ics"


def webhook_documentation_path() -> str:
    """What webhook subscribers are sent and how to check it (every payload's meta.documentation)."""
    return "/docs/webhooks"


def internal_path() -> str:
    """The staff's page of every audience's updates."""
    return "/internal"


def console_incident_path(incident_id: int) -> str:
    return f"/admin/incidents/{incident_id}"


def console_compose_path(incident_id: int) -> str:
    """Where the incident's next update is written."""
    return f"/admin/incidents/{incident_id}/compose"


def console_update_path(update_id: int) -> str:
    """An update's page in the console: its draft, review and approval."""
    return f"/admin/updates/{update_id}"


def alert_receiver_path(integration_id: int, secret: str) -> str:
    """Where a monitoring integration posts its alerts: the secret is the last part."""
    return f"/hooks/alerts/{integration_id}/{secret}"


def invitation_path(token: str) -> str:
    """Where an invited person chooses their password (views.auth.accept_invitation)."""
    return f"/invitations/{token}"


def local_path(target: str | None) -> str | None:
    """The target if it is a plain path on this site (as after sign-in's `next`), else None.

    Browsers read a leading `//` or a backslash (also after `/./` or `/../`) as another host,
    drop tabs and newlines, and proxies may decode percent-escapes: so the target must pass both
    as sent and fully percent-decoded, with no control characters anywhere.
    """
    if not target or len(target) > 2000:
        return None
    decoded, previous = target, ""
    while decoded != previous:
        previous, decoded = decoded, unquote(decoded)
    return target if _plain_path(target) and _plain_path(decoded) else None


def _plain_path(target: str) -> bool:
    if "\\" in target or any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in target):
        return False
    parts = urlsplit(target)
    return (
        target.startswith("/")
        and not target.startswith("//")
        and not (parts.scheme or parts.netloc)
        and "//" not in parts.path
    )
