"""Helpers for the management API's tests: a key per role, requests carrying one, and the check
that each answer is one the OpenAPI document describes (its status and its body's schema)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.exceptions import NotFound
from werkzeug.test import TestResponse

from statuspage.core.clock import utcnow
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import Role
from statuspage.services.api import keys
from statuspage.services.defaults import ensure_defaults
from statuspage.services.public.api import page_id
from statuspage.views.api_v1 import AREAS
from statuspage.views.api_v1.openapi import document, openapi_path
from tests.factories import make_user


@dataclass(frozen=True)
class Keys:
    """The page's id and a key for each role (and a read-only admin key)."""

    page: str
    admin: str
    commander: str
    liaison: str
    viewer: str
    read_only: str
    admin_id: int


def make_keys(app: Flask) -> Keys:
    with app.app_context():
        ensure_defaults(now=utcnow())
        made: dict[str, Any] = {}
        for role in Role:
            user = make_user(role, name=f"{role.value.capitalize()} Bot")
            made[role.value] = keys.create_key(user, name=f"{role} key", by=user, now=utcnow())[1]
            if role is Role.ADMIN:
                made["admin_id"] = user.id
                made["read_only"] = keys.create_key(
                    user, name="reader", read_only=True, by=user, now=utcnow()
                )[1]
        made["page"] = page_id(current_site())
        db.session.commit()
    return Keys(**made)


class Api:
    """Requests to /api/v1/pages/<page id>/... with a key, JSON in and out."""

    def __init__(self, client: FlaskClient, page: str, key: str | None) -> None:
        self.client, self.page, self.key = client, page, key

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"OAuth {self.key}"} if self.key else {}

    def url(self, path: str) -> str:
        return f"/api/v1/pages/{self.page}{path}"

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.send("GET", path, **kwargs)

    def send(self, method: str, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        answer = self.client.open(
            self.url(path), method=method, json=body, headers=self.headers(), **kwargs
        )
        problem = undescribed(self.client.application, method, self.url(path), answer)
        assert problem is None, problem
        return answer


@functools.cache
def _openapi() -> dict[str, Any]:
    return document([operation for area in AREAS for operation, _ in area.routes.operations])


def undescribed(app: Flask, method: str, path: str, answer: TestResponse) -> str | None:
    """What in this answer the OpenAPI document does not describe (None: all of it)."""
    try:
        rule, _ = app.url_map.bind("localhost").match(
            path.split("?")[0], method=method, return_rule=True
        )
    except NotFound:  # an id that is not a number: no route, the API's own 404
        error = (answer.get_json(silent=True) or {}).get("error")
        return None if answer.status_code == 404 and error else f"{path}: {answer.status_code}"
    described = openapi_path(rule.rule.removeprefix("/api/v1").removesuffix(".json"))
    responses = _openapi()["paths"][described][method.lower()]["responses"]
    response = responses.get(str(answer.status_code))
    if response is None:
        return f"{method} {path} answered {answer.status_code}, not in {sorted(responses)}"
    schema = response["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": _openapi()["components"]})
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(answer.get_json(silent=True))
    ]
    return f"{method} {path} {answer.status_code}: {errors[:5]}" if errors else None
