"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from statuspage.core.addresses import local_path
from statuspage.core.clock import utcnow
from statuspage.core.errors import TooManyAttempts
from statuspage.extensions import csrf, db
from statuspage.services import accounts, signin
from statuspage.views.access import me
from statuspage.views.forms import LoginForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # the form validates its own token, so a bad one is shown like any other form error
def login() -> Response | tuple[str, int, dict[str, str]]:
    form = LoginForm()
    if request.method == "GET":
        return _form(form, None, 200)
    if not form.validate_on_submit():
        return _form(form, signin.BAD_CREDENTIALS, 400)
    now = utcnow()
    try:
        attempt = signin.admit(
            form.email.data or "",
            address=request.remote_addr or "unknown",
            now=now,
            policy=signin.ThrottlePolicy.from_settings(current_app.config),
        )
    except TooManyAttempts as wait:
        db.session.rollback()  # a refused attempt counts for nothing
        return _form(form, str(wait), 429, {"Retry-After": str(wait.retry_after)})
    db.session.commit()  # counted before the password is checked, for concurrent attempts to see
    try:
        user = signin.verify(attempt, form.password.data or "", now=now)
    except signin.InvalidCredentials as failure:
        return _form(form, str(failure), 401)
    db.session.commit()
    login_user(user)
    return redirect(local_path(request.args.get("next")) or url_for("admin.dashboard"))


@bp.post("/logout")
@login_required
def logout() -> Response:
    # Ends every session of the user: a copy of this session's cookie must stop working too.
    accounts.end_sessions(me())
    db.session.commit()
    logout_user()
    return redirect(url_for("public.index"))


def _form(
    form: LoginForm, error: str | None, status: int, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    if error:
        form.form_errors.append(error)
    return render_template("auth/login.html", form=form), status, headers or {}
