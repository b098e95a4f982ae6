"""Branding (admins): the page name, logo, favicon, accent colours, footer links and "Powered by"."""

from __future__ import annotations

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.permissions import Permission
from statuspage.services.branding import settings as branding
from statuspage.views.access import me, permission_required
from statuspage.views.admin.formdata import form_status, submit_form
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import BrandingForm

routes = Routes()


@routes.route("/branding", ["GET", "POST"])
@permission_required(Permission.MANAGE_CONFIGURATION)
def branding_settings() -> str | Response | tuple[str, int]:
    saved = branding.site_settings()
    form = BrandingForm(obj=saved, powered_by=saved.powered_by if saved else True)
    response = submit_form(
        form,
        lambda: branding.save_branding(_choice(form), by=me(), now=utcnow()),
        done=lambda _: ("Saved the branding.", url_for("admin.branding_settings")),
    )
    return response or (
        render_template("admin/branding.html", form=form, brand=branding.current_brand()),
        form_status(form),
    )


def _choice(form: BrandingForm) -> branding.BrandingChoice:
    return branding.BrandingChoice(
        page_name=form.page_name.data,
        accent_light=form.accent_light.data,
        accent_dark=form.accent_dark.data,
        home_url=form.home_url.data,
        privacy_url=form.privacy_url.data,
        support_url=form.support_url.data,
        powered_by=bool(form.powered_by.data),
        logo=_uploaded("logo"),
        favicon=_uploaded("favicon"),
        remove_logo=bool(form.remove_logo.data),
        remove_favicon=bool(form.remove_favicon.data),
    )


def _uploaded(name: str) -> bytes | None:
    # No file chosen arrives as a part without a file name; a chosen empty file has one.
    upload = request.files.get(name)
    return upload.read() if upload is not None and upload.filename else None
