"""Audiences: who messages are for, who writes to them, and in which order they are shown."""

from __future__ import annotations

from flask import render_template, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.models import RosterRole
from statuspage.permissions import Permission
from statuspage.services import configuration
from statuspage.views.access import me, permission_required
from statuspage.views.admin.formdata import form_status, submit_form
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import AudienceForm

routes = Routes()


@routes.get("/audiences")
@permission_required(Permission.MANAGE_CONFIGURATION)
def audiences() -> str:
    return render_template("admin/audiences.html", audiences=configuration.list_audiences())


@routes.route("/audiences/new", ["GET", "POST"])
@routes.route("/audiences/<int:audience_id>", ["GET", "POST"])
@permission_required(Permission.MANAGE_CONFIGURATION)
def edit_audience(audience_id: int | None = None) -> str | Response | tuple[str, int]:
    audience = configuration.get_audience(audience_id) if audience_id else None
    form = AudienceForm(obj=audience)
    saved = submit_form(
        form,
        lambda: configuration.save_audience(
            audience,
            slug=form.slug.data,
            name=form.name.data or "",
            description=form.description.data,
            is_public=bool(form.is_public.data),
            liaison_role=RosterRole(form.liaison_role.data),
            position=form.position.data or 0,
            maintenance_reminders=form.maintenance_reminders.data or "",
            by=me(),
            now=utcnow(),
        ),
        done=lambda saved: (f"Saved the audience {saved.name}.", url_for("admin.audiences")),
    )
    return saved or (
        render_template("admin/audience_edit.html", form=form, audience=audience),
        form_status(form),
    )
