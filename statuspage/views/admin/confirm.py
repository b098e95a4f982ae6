"""Asking before a destructive action, without JavaScript: the first post of the form answers a
page that says what will happen and posts the same form again, confirmed."""

from __future__ import annotations

from flask import render_template, request

CONFIRMED = "confirmed"


def ask_first(question: str, consequence: str, *, verb: str, cancel: str) -> tuple[str, int] | None:
    """None once the person confirmed; until then the page that asks them (their form kept)."""
    if request.form.get(CONFIRMED) == "yes":
        return None
    kept = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in {"csrf_token", CONFIRMED}
    ]
    return render_template(
        "admin/confirm.html",
        question=question,
        consequence=consequence,
        verb=verb,
        fields=kept,
        action=request.path,
        cancel=cancel,
    ), 200
