"""Error answers: a page for browsers, an RFC 9457 problem document for the JSON API, and
Statuspage's `{"error": ...}` under the management API (/api/v1)."""

from __future__ import annotations

import contextlib
import logging
from http import HTTPStatus

import sqlalchemy as sa
from flask import Flask, current_app, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from statuspage.core.addresses import index_path
from statuspage.core.database import RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS, DatabaseUnavailable
from statuspage.core.errors import DomainError
from statuspage.core.language import N_, SOURCE_LANGUAGE, current_language
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.publicsite.urls import Links
from statuspage.services.branding.settings import brand_or_default

log = logging.getLogger(__name__)


# Each status's heading in words: a page never shows an exception's class name. Marked for
# the catalog (N_) and translated where shown: public pages in the page's language, the rest English.
TITLES = {
    400: N_("That request could not be understood"),
    401: N_("Please sign in first"),
    403: N_("You may not do that"),
    404: N_("There is nothing at this address"),
    405: N_("This address does not take that kind of request"),
    409: N_("That clashes with a change made meanwhile"),
    410: N_("This is no longer here"),
    413: N_("The request is too large"),
    415: N_("That kind of request is not accepted here"),
    422: N_("Please check what you entered"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is not available right now"),
}
MANAGEMENT_API = "/api/v1/"
# Console addresses: their error pages keep the console's header and lead back to it.
CONSOLE_PREFIXES = ("/admin", "/internal", "/login", "/logout")
UNAVAILABLE_TITLE = N_("The database is not answering")
UNAVAILABLE_DETAIL = N_(
    "This status page cannot reach its database right now. It comes back by itself as soon as "
    "the database answers: please try again in a minute."
)
# A commit the database never confirmed may still have gone through.
UNAVAILABLE_WHILE_SAVING = N_(
    " If you were saving a change, check that it is there before you make it again."
)


def init_app(app: Flask) -> None:
    for unavailable in (*UNAVAILABLE_ERRORS, DatabaseUnavailable):
        app.register_error_handler(unavailable, _database_unavailable)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(StaleDataError, _stale_data)
    app.register_error_handler(sa.exc.DataError, _unstorable_value)
    app.register_error_handler(sa.exc.IntegrityError, _clashing_value)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def problem(status: int, title: str, detail: str) -> tuple[object, int, dict[str, str]]:
    """Answer in the client's format: JSON for the API, a page for everyone else."""
    if _wants_json():
        return _problem_document(status, title, detail)
    try:
        page = render_template(
            "errors/error.html", status=status, title=title, detail=detail, **_frame(status)
        )
    except UNAVAILABLE_ERRORS:
        # Finding who is signed in (for the header) needs the database, which is away: the page
        # without it still says what went wrong.
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.rollback()
        page = _page_without_database(status, title, detail)
    return page, status, {}


def title_for(status: int) -> str:
    """The heading of an error page (and the title of a problem document) for a status."""
    return gettext(TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400]))


def _frame(status: int) -> dict[str, object]:
    """Which header the page wears (the public site's or the console's), and the way back."""
    try:
        reason = HTTPStatus(status).phrase  # "Not Found": words, shown in the small print
    except ValueError:
        reason = ""
    if request.path.startswith(CONSOLE_PREFIXES):
        return {"reason": reason, "back": ("/admin/", "Back to the console")}
    return {
        "reason": reason,
        "back": (index_path(), gettext("Back to the status page")),
        "public_frame": True,
        "site": current_site(),
        "links": Links(),
        "brand": brand_or_default(),
    }


def _page_without_database(status: int, title: str, detail: str) -> str:
    # Straight from the Jinja environment: render_template's context processors would ask the
    # database who is signed in.
    return current_app.jinja_env.get_template("errors/unavailable.html").render(
        status=status,
        title=title,
        detail=detail,
        reason=HTTPStatus(status).phrase,
        back=(index_path(), gettext("Back to the status page")),
    )


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/hooks/"))
        or request.accept_mimetypes.best == "application/json"
    )


def _problem_document(status: int, title: str, detail: str) -> tuple[object, int, dict[str, str]]:
    if request.path.startswith(MANAGEMENT_API):
        # Statuspage's shape, which its clients read, for what views.api_v1 does not answer itself
        # (an address it has no route for, the database away).
        return {"error": detail or title}, status, {"Content-Type": "application/json"}
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return body, status, {"Content-Type": "application/problem+json"}


def _database_unavailable(error: Exception) -> object:
    # The connection is gone or already given up on; nothing is left to roll back if this fails.
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()
    log.warning(
        "database unavailable",
        extra={"path": request.path, "error": (str(error).splitlines() or [""])[0]},
    )
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    detail = gettext(UNAVAILABLE_DETAIL)
    if request.method not in ("GET", "HEAD"):
        detail += gettext(UNAVAILABLE_WHILE_SAVING)
    if _wants_json():
        body, status, problem_headers = _problem_document(503, gettext(UNAVAILABLE_TITLE), detail)
        return body, status, problem_headers | headers
    return _page_without_database(503, gettext(UNAVAILABLE_TITLE), detail), 503, headers


def _domain_error(error: DomainError) -> object:
    db.session.rollback()
    response = problem(error.status_code, title_for(error.status_code), str(error))
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response[2]["Retry-After"] = str(retry_after)
    return response


def _csrf_error(error: CSRFError) -> object:
    return problem(
        400,
        "The form has expired",
        "This form is missing its security token or the token has expired. Go back, reload the "
        "page and try again.",
    )


def _stale_data(error: StaleDataError) -> object:
    # The version check in the service passed, but another save landed before ours was written.
    db.session.rollback()
    return problem(
        409,
        "Someone else saved at the same moment",
        "Nothing of yours was saved. Reload the page to see their change, then make yours again.",
    )


def _unstorable_value(error: sa.exc.DataError) -> object:
    # Input the checks before the database let through (a number or a date out of its range):
    # about the request, so a 4xx, and never mistaken for an outage.
    db.session.rollback()
    log.warning("value refused by the database", extra={"path": request.path})
    return problem(
        400,
        "A value cannot be stored",
        "Something in the request is out of the range this site can store (a number or a date "
        "too large, or text it cannot hold). Nothing was saved.",
    )


def _clashing_value(error: sa.exc.IntegrityError) -> object:
    db.session.rollback()
    log.warning("change refused by a database constraint", extra={"path": request.path})
    return problem(
        409,
        "That clashes with what is already saved",
        "Something in the request duplicates or contradicts what is already saved (perhaps "
        "someone else saved it meanwhile). Nothing was saved: reload the page and try again.",
    )


def _too_large(error: RequestEntityTooLarge) -> object:
    config = current_app.config
    whole, field = config["MAX_CONTENT_LENGTH"] / 2**20, config["MAX_FORM_MEMORY_SIZE"] / 1000
    return problem(
        413,
        "The request is too large",
        f"This site takes at most {whole:g} MB in one request ({field:g} kB in one field). "
        "Shorten what you wrote, or split it, and send it again.",
    )


def _http_error(error: HTTPException) -> object:
    status = error.code or 500
    # Werkzeug's descriptions (and ours, raised with one) are plain words already; Werkzeug's own
    # are English, so a page in another language goes without them (its title says enough).
    description = error.description or ""
    if description == type(error).description and current_language() != SOURCE_LANGUAGE:
        description = ""
    return problem(status, title_for(status), description)


def _unexpected_error(error: Exception) -> object:
    db.session.rollback()
    log.exception("unhandled error", extra={"path": request.path})
    return problem(500, title_for(500), "It has been logged, and we will look into it.")
