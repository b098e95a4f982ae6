"""Users and roles (admins only): invite, change role, deactivate, reset a password (by an
emailed link)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.core.tokens import InvitationTokens
from statuspage.extensions import db
from statuspage.models import Role
from statuspage.permissions import ROLE_PERMISSIONS, Permission
from statuspage.services import accounts
from statuspage.services.identity import invitations
from statuspage.views.access import me, permission_required
from statuspage.views.admin.formdata import form_status, submit_form
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import NewUserForm, UserForm

routes = Routes()


@routes.get("/users")
@permission_required(Permission.MANAGE_USERS)
def users() -> str:
    return render_template(
        "admin/users.html", users=accounts.list_users(), role_permissions=ROLE_PERMISSIONS
    )


@routes.route("/users/new", ["GET", "POST"])
@permission_required(Permission.MANAGE_USERS)
def new_user() -> str | Response | tuple[str, int]:
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = invitations.invite(
                form.email.data or "",
                name=form.name.data,
                role=Role(form.role.data),
                by=me(),
                site=current_site(),
                tokens=InvitationTokens(current_app.config["SECRET_KEY"]),
                valid_hours=int(current_app.config["INVITATION_HOURS"]),
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Invitation sent to {user.email}: they choose their own password.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form), form_status(form)


@routes.route("/users/<int:user_id>", ["GET", "POST"])
@permission_required(Permission.MANAGE_USERS)
def edit_user(user_id: int) -> str | Response | tuple[str, int]:
    user = accounts.get_user(user_id)
    form = UserForm(obj=user)
    saved = submit_form(
        form,
        lambda: accounts.update_user(
            user,
            name=form.name.data or "",
            role=Role(form.role.data),
            is_active=bool(form.is_active.data),
            by=me(),
            now=utcnow(),
        ),
        done=lambda saved: (f"Saved {saved.name}.", url_for("admin.users")),
    )
    return saved or (
        render_template("admin/user_edit.html", form=form, user=user),
        form_status(form),
    )


@routes.post("/users/<int:user_id>/password")
@permission_required(Permission.MANAGE_USERS)
def reset_password(user_id: int) -> Response:
    user = accounts.get_user(user_id)
    invitations.reset_password(
        user,
        by=me(),
        site=current_site(),
        tokens=InvitationTokens(current_app.config["SECRET_KEY"]),
        valid_hours=int(current_app.config["INVITATION_HOURS"]),
        now=utcnow(),
    )
    db.session.commit()
    flash(
        f"{user.name}'s password no longer works and their sessions ended: a link to choose a "
        f"new one is emailed to {user.email}.",
        "success",
    )
    return redirect(url_for("admin.edit_user", user_id=user_id))
