"""The second factor in the console: enrolling one's authenticator app (QR code, a code to
prove it, recovery codes shown once), and an admin resetting someone's after a lost device."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.permissions import Permission
from statuspage.services.accounts import get_user
from statuspage.services.identity import second_factor
from statuspage.views.access import me, permission_required
from statuspage.views.admin.routing import Routes
from statuspage.views.sessions import SIGNED_IN_BY

routes = Routes()
# The secret being enrolled lives in the signed session until a code proves it (then the user row).
PENDING = "enrolling_totp"


@routes.route("/profile/second-factor", ["GET", "POST"])
@permission_required(Permission.VIEW_CONSOLE)
def enrol_second_factor() -> str | BaseResponse | tuple[str, int]:
    user = me()
    if user.has_second_factor:
        left = second_factor.recovery_codes_left(user)
        return render_template("admin/second_factor.html", user=user, left=left)
    secret = session.get(PENDING) or second_factor.new_secret()
    session[PENDING] = secret
    if request.method == "POST":
        try:
            codes = second_factor.enrol(
                user, secret, request.form.get("code", ""), key=_key(), now=utcnow()
            )
        except ValidationError as error:
            db.session.rollback()
            return _enrolment(secret, error=str(error)), 422
        db.session.commit()
        session.pop(PENDING, None)
        flash("Second factor set up: from now on you sign in with a code from your app.", "success")
        return render_template("admin/second_factor.html", user=user, codes=codes)
    return _enrolment(secret)


@routes.get("/profile/second-factor/qr.svg")
@permission_required(Permission.VIEW_CONSOLE)
def second_factor_qr() -> Response:
    if me().has_second_factor:
        return Response("Your second factor is already set up.", 404, mimetype="text/plain")
    secret = session.setdefault(PENDING, second_factor.new_secret())
    uri = second_factor.provisioning_uri(secret, me(), issuer=current_site().name)
    response = Response(second_factor.qr_svg(uri), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@routes.post("/users/<int:user_id>/second-factor/reset")
@permission_required(Permission.MANAGE_USERS)
def reset_second_factor(user_id: int) -> BaseResponse:
    user = get_user(user_id)
    second_factor.reset(user, by=me(), now=utcnow())
    db.session.commit()
    flash(f"{user.name}'s second factor is reset and their sessions ended.", "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


def second_factor_missing() -> BaseResponse | None:
    """Send someone whose role needs a second factor to set one up before anything else."""
    user = me()
    roles = current_app.config["SECOND_FACTOR_ROLES"]
    if user.has_second_factor or not second_factor.required_for(user, roles):
        return None
    if session.get(SIGNED_IN_BY) == "sso":
        return None  # their provider asked for its own second factor
    if request.endpoint in {"admin.enrol_second_factor", "admin.second_factor_qr"}:
        return None
    flash("Your role signs in with a second factor: set it up to go on.", "error")
    return redirect(url_for("admin.enrol_second_factor"))


def _enrolment(secret: str, *, error: str | None = None) -> str:
    return render_template(
        "admin/second_factor.html", user=me(), secret=secret, error=error, codes=None
    )


def _key() -> str:
    return current_app.config["SECRET_KEY"]
