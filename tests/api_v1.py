"""Helpers for the management API's tests: a key per role, and requests carrying one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from statuspage.core.clock import utcnow
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import Role
from statuspage.services.api import keys
from statuspage.services.defaults import ensure_defaults
from statuspage.services.public.api import page_id
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
        return self.client.get(self.url(path), headers=self.headers(), **kwargs)

    def send(self, method: str, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.open(
            self.url(path), method=method, json=body, headers=self.headers(), **kwargs
        )
