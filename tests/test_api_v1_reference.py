"""The management API's OpenAPI 3.1 document describes exactly the routes served, is valid, and
has a readable reference page."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

API_PREFIX = "/api/v1"
DESCRIPTION_ONLY = {"/openapi.json", "/docs"}


def _served(app) -> set[tuple[str, str]]:
    return {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(API_PREFIX) :]), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/")
        and rule.rule[len(API_PREFIX) :] not in DESCRIPTION_ONLY
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_the_document_describes_exactly_the_routes_served(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert described == _served(app)


@pytest.mark.slow  # the validator walks the whole schema: seconds of CPU, kept out of the fast suite
def test_the_document_is_valid_openapi_3_1(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_reference_page_lists_every_operation(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/pages/{page_id}/incidents/unresolved" in page
    assert "Authorization: OAuth &lt;key&gt;" in page or "OAuth <key>" in page
