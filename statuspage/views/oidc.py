"""Signing in with the company's OpenID provider: off to its sign-in page, and back with a code.

What the attempt needs on the way back (state, nonce, PKCE verifier) waits in the signed session,
and is used once. Someone signed in this way skips our second factor (views.sessions): their
provider asked for its own.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from statuspage.core.addresses import local_path
from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.services.identity import sso
from statuspage.views import sessions
from statuspage.views.forms import LoginForm

bp = Blueprint("oidc", __name__)
PENDING = "sso_pending"


@bp.get("/login/sso")
def start() -> Response | tuple[str, int]:
    provider = current_app.config["SSO_PROVIDER"]
    if provider is None:
        return redirect(url_for("auth.login"))  # no single sign-on here: the password form
    target = local_path(request.args.get("next")) or url_for("admin.dashboard")
    try:
        url, pending = sso.start(provider, redirect_uri=_callback(), target=target)
    except sso.SignInRefused as refusal:
        return _refused(str(refusal), refusal.status_code)
    session[PENDING] = pending.as_dict()
    return redirect(url)


@bp.get("/login/sso/callback")
def callback() -> Response | tuple[str, int]:
    provider = current_app.config["SSO_PROVIDER"]
    pending = sso.Pending.from_dict(session.pop(PENDING, None))
    if provider is None or pending is None:
        return _refused(sso.NOT_STARTED, sso.SignInRefused.status_code)
    now = utcnow()
    try:
        claims = sso.finish(provider, pending, request.args, redirect_uri=_callback(), now=now)
        user = sso.account_for(provider, claims, now=now)
    except sso.SignInRefused as refusal:
        db.session.rollback()
        return _refused(str(refusal), refusal.status_code)
    db.session.commit()
    sessions.sign_in(user, by="sso")
    return redirect(pending.target)


def _callback() -> str:
    return current_app.config["BASE_URL"] + url_for("oidc.callback")


def _refused(message: str, status: int) -> tuple[str, int]:
    form = LoginForm()
    form.form_errors.append(message)
    return render_template("auth/login.html", form=form), status
