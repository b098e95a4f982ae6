"""Screenshots on timeline notes in the console: read from a note's form, and served to staff only,
as the type sniffed when they were kept, with nothing a browser could run."""

from __future__ import annotations

from flask import Response, request

from statuspage.permissions import Permission
from statuspage.services.incidents.attachments import MAX_SCREENSHOT_BYTES, Upload, get_attachment
from statuspage.views.access import permission_required
from statuspage.views.admin.routing import Routes

routes = Routes()


def uploads_in_request(field: str = "screenshot") -> list[Upload]:
    """The files chosen in the form's field (an empty file input sends none)."""
    return [
        Upload(upload.filename or "", upload.stream.read(MAX_SCREENSHOT_BYTES + 1))
        for upload in request.files.getlist(field)
        if upload.filename
    ]


@routes.get("/incidents/<int:incident_id>/screenshots/<int:attachment_id>")
@permission_required(Permission.VIEW_CONSOLE)
def screenshot(incident_id: int, attachment_id: int) -> Response:
    attachment = get_attachment(incident_id, attachment_id)
    response = Response(attachment.data, mimetype=attachment.content_type)
    response.headers["Content-Disposition"] = f'inline; filename="{attachment.filename}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
