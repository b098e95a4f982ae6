"""Signing in and out."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import TooManyAttempts
from statuspage.extensions import csrf, db
from statuspage.services import signin
from statuspage.views.forms import LoginForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # the form validates its own token, so a bad one is shown like any other form error
def login() -> Response | tuple[str, int, dict[str, str]] | tuple[str, int]:
    form = LoginForm()
    if request.method == "GET":
        return render_template("auth/login.html", form=form), 200
    if not form.validate_on_submit():
        form.form_errors.append(signin.BAD_CREDENTIALS)
        return render_template("auth/login.html", form=form), 400
    try:
        user = signin.sign_in(
            form.email.data or "",
            form.password.data or "",
            address=request.remote_addr or "unknown",
            now=utcnow(),
            policy=_throttle_policy(),
        )
    except signin.InvalidCredentials as failure:
        db.session.commit()  # the failure must count even though the request fails
        time.sleep(failure.delay)
        form.form_errors.append(str(failure))
        return render_template("auth/login.html", form=form), 401
    except TooManyAttempts as refusal:
        form.form_errors.append(str(refusal))
        headers = {"Retry-After": str(refusal.retry_after)}
        return render_template("auth/login.html", form=form), 429, headers
    db.session.commit()
    login_user(user)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("public.index"))


def _throttle_policy() -> signin.ThrottlePolicy:
    config = current_app.config
    return signin.ThrottlePolicy(
        window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]),
        max_failures_per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        max_failures_per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        slowdown_seconds=config["LOGIN_SLOWDOWN_SECONDS"],
    )


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so the login page cannot bounce people elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("admin.dashboard")
