"""Cadence in the console: the policy per audience and severity (with the audience's late notice),
and the report of promises kept and missed over a period, per audience and per liaison."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.core.times import INPUT_YEARS, in_zone, start_of_day
from statuspage.extensions import db
from statuspage.models import CadencePolicy, Severity
from statuspage.permissions import Permission
from statuspage.services import configuration
from statuspage.services.cadence.figures import PeriodFigures, period_figures
from statuspage.services.templating import check_late_notice
from statuspage.views.access import me, permission_required
from statuspage.views.admin.downloads import csv_download
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import CadenceForm, PeriodForm

routes = Routes()

SEVERITIES = list(Severity)
# The report reads every promise of the period at once: a year at most.
LONGEST_PERIOD = timedelta(days=366)
DEFAULT_PERIOD = timedelta(days=30)
REPORT_COLUMNS = [
    "scope",
    "name",
    "made",
    "kept",
    "missed",
    "open",
    "overdue",
    "cancelled",
    "worst_lateness_seconds",
    "median_lateness_seconds",
]


@routes.get("/cadence")
@permission_required(Permission.MANAGE_CONFIGURATION)
def cadence_policies() -> str:
    return render_template(
        "admin/cadence.html", rows=configuration.cadence_policies(), severities=SEVERITIES
    )


@routes.route("/cadence/<int:audience_id>", ["GET", "POST"])
@permission_required(Permission.MANAGE_CONFIGURATION)
def edit_cadence(audience_id: int) -> str | BaseResponse | tuple[str, int]:
    audience = configuration.get_audience(audience_id)
    policies = configuration.audience_policies(audience)
    form = CadenceForm(
        data={
            "policies": [_row(policies.get(severity)) for severity in SEVERITIES],
            "late_notice": audience.late_notice,
        }
    )
    preview, error = None, None
    saving = form.validate_on_submit() and request.form.get("action") != "preview"
    try:
        if not saving:
            # Shown on every view of the page: a notice that stopped rendering says so at once.
            preview = check_late_notice(form.late_notice.data or "", site=current_site())
        else:
            configuration.save_cadence(
                audience,
                policies=_settings(form),
                late_notice=form.late_notice.data or "",
                site=current_site(),
                by=me(),
                now=utcnow(),
            )
            db.session.commit()
            flash(f"Saved the cadence for {audience.name}.", "success")
            return redirect(url_for("admin.edit_cadence", audience_id=audience.id))
    except ValidationError as refusal:
        db.session.rollback()
        error = str(refusal)
    code = 422 if request.method == "POST" and (error or form.errors) else 200
    return render_template(
        "admin/cadence_edit.html",
        audience=audience,
        form=form,
        rows=zip(SEVERITIES, form.policies, strict=True),
        preview=preview,
        error=error,
    ), code


def _row(policy: CadencePolicy | None) -> dict[str, object]:
    """A policy as the form's row shows it, in minutes."""
    if policy is None:
        return {"is_owed": False}
    return {
        "is_owed": True,
        **configuration.describe_policy(policy),
        "pagerduty_routing_key": policy.pagerduty_routing_key,
    }


def _settings(form: CadenceForm) -> dict[Severity, configuration.PolicySettings | None]:
    """The submitted rows: settings for each severity owed updates, None for the others."""
    chosen: dict[Severity, configuration.PolicySettings | None] = {}
    for severity, row in zip(SEVERITIES, form.policies, strict=True):
        if not row.is_owed.data:
            chosen[severity] = None
            continue
        minutes = {name: row[name].data for name in configuration.POLICY_LIMITS}
        if any(value is None for value in minutes.values()):
            raise ValidationError(f"{severity}: fill in every time, in minutes.")
        chosen[severity] = configuration.PolicySettings(
            **{name: timedelta(minutes=value) for name, value in minutes.items()},
            requires_review=bool(row.requires_review.data),
            pagerduty_routing_key=row.pagerduty_routing_key.data,
        )
    return chosen


@routes.get("/reports/cadence")
@permission_required(Permission.VIEW_CONSOLE)
def cadence_report() -> str | tuple[str, int]:
    form = PeriodForm(formdata=request.args)
    try:
        report = _report(form)
    except ValidationError as refusal:
        form.form_errors.append(str(refusal))
        return render_template("admin/cadence_report.html", form=form, report=None), 422
    return render_template(
        "admin/cadence_report.html",
        form=form,
        report=report,
        csv_url=url_for("admin.cadence_report_csv", start=form.start.data, end=form.end.data),
    )


@routes.get("/reports/cadence.csv")
@permission_required(Permission.VIEW_CONSOLE)
def cadence_report_csv() -> Response:
    form = PeriodForm(formdata=request.args)
    report = _report(form)
    rows = [("audience", a.name, f) for a, f in report.by_audience] + [
        ("liaison", u.name if u else "", f) for u, f in report.by_liaison
    ]
    return csv_download(
        f"cadence-{form.start.data}-{form.end.data}.csv",
        REPORT_COLUMNS,
        (
            [
                scope,
                name,
                figures.made,
                figures.kept,
                figures.missed,
                figures.open,
                figures.overdue,
                figures.cancelled,
                _seconds(figures.worst_lateness),
                _seconds(figures.median_lateness),
            ]
            for scope, name, figures in rows
        ),
    )


def _report(form: PeriodForm) -> PeriodFigures:
    """The figures of the form's period: whole days in the page's zone, the last 30 by default.

    The form's dates are set to the period used, so the page shows what it counted.
    """
    if not form.validate():
        raise ValidationError(
            f"Dates are written like 2026-03-04. They fall in the years {INPUT_YEARS.start} to "
            f"{INPUT_YEARS.stop - 1}."
        )
    zone = current_site().zone
    now = utcnow()
    last = form.end.data or in_zone(now, zone).date()
    first = form.start.data or last - DEFAULT_PERIOD + timedelta(days=1)
    start, end = start_of_day(first, zone), start_of_day(last + timedelta(days=1), zone)
    if start >= end:
        raise ValidationError("The period must end on or after the day it starts.")
    if end - start > LONGEST_PERIOD:
        raise ValidationError("The period may be a year at most.")
    form.start.data, form.end.data = first, last
    return period_figures(start=start, end=end, now=now)


def _seconds(length: timedelta | None) -> int | str:
    return "" if length is None else int(length.total_seconds())
