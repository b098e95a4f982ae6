"""Signing in and out."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import login_required, logout_user
from werkzeug.wrappers import Response

from statuspage.core.addresses import local_path
from statuspage.core.clock import utcnow
from statuspage.core.errors import InvalidLink, TooManyAttempts, ValidationError
from statuspage.core.tokens import InvitationTokens
from statuspage.extensions import csrf, db
from statuspage.models import User
from statuspage.services import accounts, signin
from statuspage.services.identity import invitations, sso
from statuspage.services.identity import second_factor as second_factors
from statuspage.views import sessions
from statuspage.views.access import me
from statuspage.views.forms import CodeForm, InvitationForm, LoginForm

bp = Blueprint("auth", __name__)
# The session key saying the password was right, and how long the code may take after it.
PASSWORD_PASSED = "password_passed"
CODE_WITHIN_SECONDS = 300
PASSWORD_OFF = "Sign in with single sign-on: passwords are for the break-glass admin only."


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # the form validates its own token, so a bad one is shown like any other form error
def login() -> Response | tuple[str, int, dict[str, str]]:
    form = LoginForm()
    if request.method == "GET":
        return _form(form, None, 200)
    if not form.validate_on_submit():
        return _form(form, signin.BAD_CREDENTIALS, 400)
    if not sso.password_allowed(
        form.email.data or "",
        enabled=bool(current_app.config["PASSWORD_SIGNIN"]),
        break_glass=current_app.config["BREAK_GLASS_ADMIN"],
    ):
        return _form(form, PASSWORD_OFF, 403)
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
    target = local_path(request.args.get("next")) or url_for("admin.dashboard")
    if user.has_second_factor:
        # The password was right; the session holds only that, for a few minutes, until a code.
        session[PASSWORD_PASSED] = {"id": user.get_id(), "at": now.timestamp(), "next": target}
        return redirect(url_for("auth.second_factor"))
    sessions.sign_in(user)
    return redirect(target)


@bp.route("/login/code", methods=["GET", "POST"])
@csrf.exempt  # the form validates its own token, as the sign-in form does
def second_factor() -> Response | tuple[str, int, dict[str, str]]:
    """After the password: a code from the authenticator app, or a recovery code."""
    now = utcnow()
    user, target = _password_passed(now)
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if request.method == "GET":
        return _code_form(form, None, 200)
    if not form.validate_on_submit():
        return _code_form(form, "Type the code from your app.", 400)
    try:
        # Counted like a password: a code guessed from here slows this client and address.
        attempt = signin.admit(
            f"second factor:{user.email}",
            address=request.remote_addr or "unknown",
            now=now,
            policy=signin.ThrottlePolicy.from_settings(current_app.config),
        )
    except TooManyAttempts as wait:
        db.session.rollback()
        return _code_form(form, str(wait), 429, {"Retry-After": str(wait.retry_after)})
    db.session.commit()
    if not second_factors.check_code(
        user, form.code.data or "", key=current_app.config["SECRET_KEY"], now=now
    ):
        return _code_form(form, "That code does not match. Try the one your app shows now.", 401)
    signin.forget_client(attempt)
    db.session.commit()
    session.pop(PASSWORD_PASSED, None)
    sessions.sign_in(user)
    return redirect(target)


@bp.post("/logout")
@login_required
def logout() -> Response:
    # Ends every session of the user: a copy of this session's cookie must stop working too.
    accounts.end_sessions(me())
    db.session.commit()
    logout_user()
    return redirect(url_for("public.index"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form validates its own token, as the sign-in form does
def accept_invitation(token: str) -> Response | tuple[str, int]:
    """An invited person chooses their password, and is signed in."""
    tokens = InvitationTokens(current_app.config["SECRET_KEY"])
    hours = int(current_app.config["INVITATION_HOURS"])
    try:
        user = invitations.invited_user(token, tokens=tokens, valid_hours=hours)
    except InvalidLink as error:
        return render_template("auth/invitation.html", form=None, problem=str(error)), 400
    if not current_app.config["PASSWORD_SIGNIN"]:  # the page offers single sign-on only
        return render_template("auth/invitation.html", form=None, user=user, problem=None), 200
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            invitations.accept(
                user, form.password.data or "", form.confirmation.data or "", now=utcnow()
            )
        except ValidationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            sessions.sign_in(user)
            return redirect(url_for("admin.dashboard"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("auth/invitation.html", form=form, user=user, problem=None), status


def _password_passed(now: datetime) -> tuple[User | None, str]:
    passed = session.get(PASSWORD_PASSED)
    if not isinstance(passed, dict) or now.timestamp() - passed.get("at", 0) > CODE_WITHIN_SECONDS:
        session.pop(PASSWORD_PASSED, None)
        return None, ""
    return accounts.user_for_session(str(passed.get("id"))), str(passed.get("next"))


def _code_form(
    form: CodeForm, error: str | None, status: int, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    if error:
        form.form_errors.append(error)
    return render_template("auth/code.html", form=form), status, headers or {}


def _form(
    form: LoginForm, error: str | None, status: int, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    if error:
        form.form_errors.append(error)
    return render_template("auth/login.html", form=form), status, headers or {}
