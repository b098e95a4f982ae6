"""Message templates: the list, editing one (saved only if it renders), and its live preview."""

from __future__ import annotations

from itertools import groupby

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.markdown import markdown_to_html
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import IncidentStatus, MessageTemplate
from statuspage.permissions import Permission
from statuspage.services import configuration
from statuspage.services.incidents.publishing import BODY_LENGTH, TITLE_LENGTH
from statuspage.services.templating import VARIABLES, check_template
from statuspage.views.access import me, permission_required
from statuspage.views.admin.formdata import read_text
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import TemplateForm

routes = Routes()


@routes.get("/templates")
@permission_required(Permission.MANAGE_CONFIGURATION)
def templates() -> str:
    # Grouped in audience order (Jinja's groupby would sort the audiences by name).
    groups = [
        (audience, list(items))
        for audience, items in groupby(configuration.list_templates(), key=lambda t: t.audience)
    ]
    return render_template("admin/templates.html", groups=groups)


@routes.route("/templates/<int:template_id>", ["GET", "POST"])
@permission_required(Permission.MANAGE_CONFIGURATION)
def edit_template(template_id: int) -> str | Response | tuple[str, int]:
    template = configuration.get_template(template_id)
    form = TemplateForm(obj=template)
    preview, error = None, None
    if form.validate_on_submit():
        title, body = form.title.data or "", form.body.data or ""
        try:
            if request.form.get("action") == "preview":
                preview = check_template(title, body, status=template.status, site=current_site())
            else:
                return _save(template, title, body)
        except ValidationError as refusal:
            db.session.rollback()
            error = str(refusal)
    elif request.method == "GET":
        preview = check_template(
            template.title, template.body, status=template.status, site=current_site()
        )
    code = 422 if error or (request.method == "POST" and form.errors) else 200
    return render_template(
        "admin/template_edit.html",
        template=template,
        form=form,
        preview=preview,
        error=error,
        variables=VARIABLES,
    ), code


def _save(template: MessageTemplate, title: str, body: str) -> Response:
    configuration.save_template(
        template, title=title, body=body, site=current_site(), by=me(), now=utcnow()
    )
    db.session.commit()
    flash(f"Saved the {template.audience.name} template for {template.status.label}.", "success")
    return redirect(url_for("admin.edit_template", template_id=template.id))


@routes.post("/templates/preview")
@permission_required(Permission.MANAGE_CONFIGURATION)
def preview_template() -> dict[str, str] | tuple[dict[str, str], int]:
    """The live preview: the sources rendered against the sample incident, or the refusal (422)."""
    errors: list[str] = []
    title, body = (
        read_text(request.form, name, limit=limit, label=f"The {name}", errors=errors)
        for name, limit in (("title", TITLE_LENGTH), ("body", BODY_LENGTH))
    )
    try:
        status = IncidentStatus(request.form.get("status", ""))
        if not errors:
            message = check_template(title, body, status=status, site=current_site())
    except ValueError:
        errors.append("Unknown status.")
    except ValidationError as refusal:
        errors.append(str(refusal))
    if errors:
        return {"error": " ".join(errors)}, 422
    return {"title": message.title, "html": str(markdown_to_html(message.body))}
