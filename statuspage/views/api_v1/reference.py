"""The management API's description: the OpenAPI document and a page to read it, both public
(they describe; they do not act)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, render_template

from statuspage.views.api_v1 import openapi
from statuspage.views.api_v1.routing import Operation


def register(blueprint: Blueprint, operations: Sequence[Operation]) -> None:
    """Add /openapi.json and /docs, describing these operations."""
    described = openapi.document(operations)

    def openapi_document() -> Any:
        return described

    def reference() -> str:
        return render_template(
            "api/reference.html", document=described, operations=operations,
            path_of=openapi.openapi_path, refusals=openapi.REFUSALS,
        )  # fmt: skip

    blueprint.add_url_rule("/openapi.json", "openapi", openapi_document, methods=["GET"])
    blueprint.add_url_rule("/docs", "reference", reference, methods=["GET"])
