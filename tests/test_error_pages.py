"""Every error page in words (issue 15): each status the app can answer, on a public address and a
console one, has a heading in words, a way back and the public or console frame, and never an
exception's class name (NotFound, BadRequest, InvalidLink ...). The HTTP reason phrase may show in
the small print ("Error 404 (Not Found)"): it is words, not a class.
"""

from __future__ import annotations

import inspect
from http import HTTPStatus

import pytest
import werkzeug.exceptions
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError

from statuspage.core import errors
from statuspage.core.database import DatabaseUnavailable
from statuspage.services.subscriptions import ManagedByAdmins
from statuspage.views.errors import TITLES

STATUSES = (400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500, 503)
PATHS = {"public": "/incidents/1", "console": "/admin/incidents/1"}
CLASS_NAMES = {
    cls.__name__
    for module in (werkzeug.exceptions, errors)
    for _, cls in inspect.getmembers(module, inspect.isclass)
    if issubclass(cls, Exception)
} | {
    "InvalidLink",
    "CSRFError",
    "StaleDataError",
    "IntegrityError",
    "DataError",
    "OperationalError",
    "DatabaseUnavailable",
    "ManagedByAdmins",
    "RuntimeError",
    "Traceback",
}


def raised_for(status: int) -> Exception:
    """Something a request can raise that ends in this status."""
    return {
        400: errors.InvalidLink("This link is not valid."),
        403: errors.PermissionDenied("Only admins may do that."),
        404: errors.NotFound("There is no incident 1."),
        409: errors.Conflict("Someone else saved first."),
        422: errors.ValidationError("Title is required.", field="title"),
        429: errors.TooManyAttempts("Too many attempts.", retry_after=30),
        500: RuntimeError("boom"),
        503: DatabaseUnavailable(),
    }.get(status) or werkzeug.exceptions.default_exceptions[status]()


def answer(app, path, error):
    with app.test_request_context(path):
        try:
            raise error
        except Exception as raised:  # noqa: BLE001 - handed to the app's handlers, as Flask does
            return app.make_response(app.handle_user_exception(raised))


def names_shown(html: str, status: int) -> set[str]:
    phrase = HTTPStatus(status).phrase
    return {name for name in CLASS_NAMES if name in html and name != phrase}


@pytest.mark.parametrize("where", PATHS)
@pytest.mark.parametrize("status", STATUSES)
def test_each_error_page_is_in_words_with_a_way_back(app, where, status):
    response = answer(app, PATHS[where], raised_for(status))
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert names_shown(html, status) == set()
    assert f"Error {status}" in html
    if status != 503:  # the outage page asks the database nothing, so keeps the minimal frame
        assert TITLES[status] in html
        back = "Back to the console" if where == "console" else "Back to the status page"
        assert back in html
        # The public frame on public addresses, the console's on console ones.
        assert ("Sign in" in html) == (where == "console")


@pytest.mark.parametrize(
    "error",
    [
        CSRFError(),
        StaleDataError(),
        ManagedByAdmins.__new__(ManagedByAdmins),
        werkzeug.exceptions.RequestEntityTooLarge(),
    ],
    ids=lambda error: type(error).__name__,
)
def test_the_special_cases_name_no_class_either(app, error):
    if isinstance(error, ManagedByAdmins):
        errors.PermissionDenied.__init__(error, "Ask the admins.")
    for path in PATHS.values():
        response = answer(app, path, error)
        html = response.get_data(as_text=True)
        assert 400 <= response.status_code < 500
        assert names_shown(html, response.status_code) == set()


def test_a_real_request_for_nothing_is_answered_in_words(client):
    for path in ("/no-such-page", "/admin/no-such-page"):
        response = client.get(path)
        assert response.status_code == 404
        assert TITLES[404] in response.text and "NotFound" not in response.text


def test_a_wrong_method_is_answered_in_words(client):
    response = client.put("/")
    assert response.status_code == 405
    assert TITLES[405] in response.text and "MethodNotAllowed" not in response.text


def test_the_api_problem_documents_are_titled_in_words_too(client):
    response = client.get("/api/v2/nothing.json")
    assert response.status_code == 404
    assert response.json["title"] == TITLES[404]
