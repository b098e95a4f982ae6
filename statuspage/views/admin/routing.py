"""The routes of one console area, recorded where each view is defined and put on the console's
one blueprint (views.admin) by name, so every endpoint is `admin.<view>`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import Blueprint

View = TypeVar("View", bound=Callable[..., object])


class Routes:
    """`@routes.get(path)`, `@routes.post(path)` and `@routes.route(path, methods)` for views."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, Callable[..., object], Sequence[str]]] = []

    def route(self, rule: str, methods: Sequence[str] = ("GET",)) -> Callable[[View], View]:
        def record(view: View) -> View:
            self._rules.append((rule, view, methods))
            return view

        return record

    def get(self, rule: str) -> Callable[[View], View]:
        return self.route(rule, ["GET"])

    def post(self, rule: str) -> Callable[[View], View]:
        return self.route(rule, ["POST"])

    def register(self, blueprint: Blueprint) -> None:
        """Add the recorded routes to the blueprint, each view's endpoint named after it."""
        for rule, view, methods in self._rules:
            blueprint.add_url_rule(rule, view_func=view, methods=list(methods))
