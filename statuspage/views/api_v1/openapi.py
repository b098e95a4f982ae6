"""The OpenAPI 3.1 document of the management API, built from the routes as recorded (so it
describes exactly what is served: tests/test_api_v1_reference.py compares it with the URL map)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from statuspage.views.api_v1.routing import Operation
from statuspage.views.api_v1.schemas import SCHEMAS

ERROR = {"$ref": "#/components/schemas/Error"}
_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
REFUSALS = {
    "400": "A value out of the range this site can store",
    "401": "No working key (missing, unknown, revoked, or its user deactivated)",
    "403": "A read-only key writing, or a role without the right",
    "404": "Another page's id, or no such record",
    "409": "Something that cannot be done now: deleting what is kept, a duplicate name, a change "
    "the record's state does not allow",
    "422": "An unknown field, a wrong enum or an invalid value",
    "429": "Too many requests with this key: wait Retry-After seconds",
}
DESCRIPTION = (
    "Statuspage's management API (v1) shapes, so that Statuspage clients work when pointed at "
    "`<site>/api` instead of `https://api.statuspage.io`. Send a key (made on your profile, or "
    "with `flask --app statuspage create-api-key`) as `Authorization: OAuth <key>` or "
    "`Authorization: Bearer <key>`; it acts with its user's role. Every path also answers with "
    "`.json` at its end. Bodies are JSON or form-encoded (`incident[name]=...`). Errors are "
    '`{"error": "..."}`. An update goes to every audience the key\'s user may write to, '
    "through each audience's template (the body is the facts); audiences whose policy wants a "
    "second person wait for one (`awaiting_review`). Extra keys are ours: `updates`, `promises`, "
    "`next_update_at`, `severity`, `visibility`."
)


def openapi_path(rule: str) -> str:
    return _PARAMETER.sub(r"{\2}", rule)


def _parameters(operation: Operation, rule: str) -> list[dict[str, Any]]:
    parameters = []
    for converter, name in _PARAMETER.findall(rule):
        schema = {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    query = (*(("page", "per_page") if operation.paginated else ()), *operation.query)
    for name in query:
        numeric = name in ("page", "per_page", "limit")
        schema = {"type": "integer", "minimum": 1} if numeric else {"type": "string"}
        parameters.append({"name": name, "in": "query", "required": False, "schema": schema})
    return parameters


def _request_body(operation: Operation) -> dict[str, Any]:
    envelope = {
        "type": "object",
        "properties": {
            operation.container: {
                "type": "object",
                "additionalProperties": False,
                "properties": {name: {} for name in operation.fields},
            }
        },
    }
    return {
        "required": False,
        "content": {
            "application/json": {"schema": envelope},
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
        },
    }


def response_schema(returns: str) -> dict[str, Any]:
    """The schema of an operation's answer: `Name` or `Name[]` (schemas.py)."""
    name = returns.removesuffix("[]")
    one = {"$ref": f"#/components/schemas/{name}"}
    return {"type": "array", "items": one} if returns.endswith("[]") else one


def _operation(operation: Operation, rule: str, suffix: str) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if operation.returns is not None:
        responses["201" if operation.created else "200"] = {
            "description": "Created" if operation.created else "OK",
            "content": {"application/json": {"schema": response_schema(operation.returns)}},
        }
    for code, text in REFUSALS.items():
        responses[code] = {"description": text, "content": {"application/json": {"schema": ERROR}}}
    document: dict[str, Any] = {
        "operationId": f"{operation.method.lower()}_{operation.endpoint}{suffix}",
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": _parameters(operation, rule),
        "responses": responses,
    }
    if operation.container:
        document["requestBody"] = _request_body(operation)
    return document


def document(operations: Sequence[Operation]) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        for rule, suffix in ((operation.rule, ""), (operation.rule + ".json", "_json")):
            item = paths.setdefault(openapi_path(rule), {})
            item[operation.method.lower()] = _operation(operation, rule, suffix)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Statuspage management API (v1)",
            "version": "1.0.0",
            "description": DESCRIPTION,
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"oauth": []}, {"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "oauth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`OAuth <key>`, as Statuspage's clients send it",
                },
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": SCHEMAS,
        },
    }
