"""Cross-cutting behaviour of every response: security headers, errors, logs."""

import io
import json
import logging

from statuspage import create_app
from statuspage.core.telemetry import json_formatter
from tests.helpers import settings_for


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/login", "/healthz", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_an_unknown_page_gets_a_readable_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Not Found" in response.get_data(as_text=True)


def test_api_errors_are_problem_documents(client):
    response = client.get("/api/v2/nothing-here.json")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 404


def test_an_unexpected_error_is_a_500_page_not_a_traceback(database_url):
    app = create_app(settings_for(database_url))  # its own app: it gains a route

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)


def test_log_records_are_one_json_line_each_even_with_a_traceback():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("test.one-line")
    logger.addHandler(handler)
    try:
        raise ValueError("line one\nline two")
    except ValueError:
        logger.exception("failed", extra={"job": "x"})
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert (
        record["message"] == "failed" and record["job"] == "x" and "line two" in record["exc_info"]
    )


def test_the_public_page_answers(client):
    response = client.get("/")
    assert response.status_code == 200 and "Acme Status" in response.get_data(as_text=True)
