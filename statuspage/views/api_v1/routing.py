"""The management API's routes: each recorded once, with what the OpenAPI document says of it, and
served at its path with and without `.json` (as Statuspage answers both)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from flask import Blueprint

View = TypeVar("View", bound=Callable[..., object])


@dataclass(frozen=True)
class Operation:
    """One method of one path, as the OpenAPI document describes it."""

    rule: str
    method: str
    summary: str
    tag: str
    endpoint: str
    container: str | None = None  # the request body's envelope key (`incident`, `component`)
    fields: tuple[str, ...] = ()  # the keys the envelope may hold
    writes: bool = False
    paginated: bool = False
    query: tuple[str, ...] = field(default=())
    # The schema of a successful answer's body (schemas.py), `Name[]` for a list of them; None
    # for an operation that is always refused.
    returns: str | None = None
    created: bool = False  # answers 201, not 200


class ApiRoutes:
    """`@routes.route(rule, method(s), summary, ...)`: PATCH and PUT share a view, as
    Statuspage treats them alike."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.operations: list[tuple[Operation, Callable[..., object]]] = []

    def route(
        self,
        rule: str,
        methods: str | Sequence[str],
        summary: str,
        *,
        container: str | None = None,
        fields: Sequence[str] = (),
        paginated: bool = False,
        query: Sequence[str] = (),
        returns: str | None,
        created: bool = False,
    ) -> Callable[[View], View]:
        def record(view: View) -> View:
            for method in [methods] if isinstance(methods, str) else methods:
                operation = Operation(
                    rule=rule,
                    method=method,
                    summary=summary,
                    tag=self.tag,
                    endpoint=view.__name__,
                    container=container,
                    fields=tuple(fields),
                    writes=method != "GET",
                    paginated=paginated,
                    query=tuple(query),
                    returns=returns,
                    created=created,
                )
                self.operations.append((operation, view))
            return view

        return record

    def register(self, blueprint: Blueprint) -> None:
        for operation, view in self.operations:
            for rule in (operation.rule, operation.rule + ".json"):
                blueprint.add_url_rule(
                    rule, endpoint=operation.endpoint, view_func=view, methods=[operation.method]
                )
