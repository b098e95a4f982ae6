"""The postmortem in the console: commanders and admins write it (first from a draft made of public
data only, with the internal timeline beside it for reference); an admin publishes it."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import Incident
from statuspage.permissions import Permission
from statuspage.services.incidents import writeup
from statuspage.services.incidents.edits import timeline
from statuspage.services.incidents.lifecycle import get_incident
from statuspage.services.incidents.postmortem import CURATED_KINDS
from statuspage.views.access import me, permission_required
from statuspage.views.admin.formdata import form_status, submit_form
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import PostmortemForm

routes = Routes()


@routes.route("/incidents/<int:incident_id>/postmortem", ["GET", "POST"])
@permission_required(Permission.MANAGE_INCIDENTS)
def edit_postmortem(incident_id: int) -> str | BaseResponse | tuple[str, int]:
    incident = get_incident(incident_id)
    form = PostmortemForm()
    response = submit_form(
        form,
        lambda: writeup.save_postmortem(incident, form.body.data, by=me(), now=utcnow()),
        done=lambda _: (
            "Postmortem saved.",
            url_for("admin.edit_postmortem", incident_id=incident_id),
        ),
    )
    if response is not None:
        return response
    if not form.is_submitted():
        form.body.data = writeup.text_to_edit(incident, site=current_site(), now=utcnow())
    return _page(incident, form), form_status(form)


def _page(incident: Incident, form: PostmortemForm) -> str:
    return render_template(
        "admin/postmortem.html",
        incident=incident,
        form=form,
        events=[event for event in timeline(incident) if event.kind in CURATED_KINDS],
    )


@routes.post("/incidents/<int:incident_id>/postmortem/publish")
@permission_required(Permission.PUBLISH_POSTMORTEMS)
def publish_postmortem(incident_id: int) -> BaseResponse | tuple[str, int]:
    return _switch(incident_id, writeup.publish_postmortem, "Postmortem published.")


@routes.post("/incidents/<int:incident_id>/postmortem/unpublish")
@permission_required(Permission.PUBLISH_POSTMORTEMS)
def unpublish_postmortem(incident_id: int) -> BaseResponse | tuple[str, int]:
    return _switch(
        incident_id, writeup.unpublish_postmortem, "Postmortem taken off the public page."
    )


def _switch(
    incident_id: int, change: Callable[..., object], done: str
) -> BaseResponse | tuple[str, int]:
    """Publish or unpublish (CSRF is checked app-wide); a refusal shows the page with the reason."""
    incident = get_incident(incident_id)
    try:
        change(incident, by=me(), now=utcnow())
    except ValidationError as error:
        db.session.rollback()
        form = PostmortemForm(formdata=None)
        form.body.data = writeup.text_to_edit(incident, site=current_site(), now=utcnow())
        form.form_errors.append(str(error))
        return _page(incident, form), 422
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("admin.edit_postmortem", incident_id=incident_id))
