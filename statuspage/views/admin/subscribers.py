"""Console: subscribers (search, counts, add, switch off, remove, CSV) and delivery status."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.core.errors import NotFound, ValidationError
from statuspage.extensions import db
from statuspage.models import Audience, DeliveryState, SubscriberKind
from statuspage.permissions import Permission
from statuspage.services import configuration, subscriptions
from statuspage.services import subscribers as subscriber_lists
from statuspage.services.outbox import status as delivery_status
from statuspage.services.outbox.chat import chat_hosts
from statuspage.services.outbox.webhooks import parse_networks
from statuspage.views.access import permission_required
from statuspage.views.admin.downloads import csv_download, spreadsheet_cell
from statuspage.views.admin.formdata import parse_int
from statuspage.views.admin.routing import Routes
from statuspage.views.forms import SubscriberForm, chosen_ids, options

routes = Routes()

PAGE_SIZE = 100


@routes.get("/subscribers")
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def subscribers() -> str:
    where = _filter()
    page = max(parse_int(request.args.get("page")) or 1, 1)
    rows, total = subscriber_lists.find_subscribers(
        where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render_template(
        "admin/subscribers/list.html",
        rows=[(row, subscriptions.subscriber_state(row)) for row in rows],
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        where=where,
        audiences=_audiences(),
        counts=subscriber_lists.count_subscribers(),
    )


@routes.get("/subscribers.csv")
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def export_subscribers() -> Response:
    rows, _ = subscriber_lists.find_subscribers(_filter())
    return csv_download(
        "subscribers.csv",
        ["id", "kind", "audience", "address", "name", "components", "state", "created_at"],
        (
            [
                row.id,
                row.kind,
                row.audience.slug,
                row.address,
                row.name or "",
                # Each name made safe, not only the first of the list.
                "; ".join(spreadsheet_cell(c.name) for c in row.components),
                subscriptions.subscriber_state(row),
                row.created_at.isoformat(),
            ]
            for row in rows
        ),
    )


@routes.route("/subscribers/new", ["GET", "POST"])
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def new_subscriber() -> str | tuple[str, int] | Response:
    form = SubscriberForm()
    audiences = _audiences()
    form.audience.choices = options((a.id, a.name) for a in audiences)
    chosen = db.session.get(Audience, form.audience.data) if form.audience.data else None
    audience = chosen or audiences[0]
    form.components.choices = options(
        (c.id, c.name) for c in subscriptions.choosable_components(_widest(audiences))
    )
    if request.method == "GET":
        return _new_page(form, audiences, 200)
    if not form.validate_on_submit():
        return _new_page(form, audiences, 400)
    try:
        subscriber = subscriptions.add_subscriber(
            kind=SubscriberKind(form.kind.data),
            audience=audience,
            address=form.address.data or "",
            name=form.name.data,
            component_ids=form.components.data or [],
            by=current_user,
            now=utcnow(),
            allowed_networks=parse_networks(current_app.config["WEBHOOK_ALLOWED_NETWORKS"]),
            chat_hosts=chat_hosts(current_app.config),
        )
    except ValidationError as error:
        db.session.rollback()
        field = {"name": form.name, "components": form.components}.get(
            error.field or "", form.address
        )
        field.errors.append(str(error))
        return _new_page(form, audiences, 422)
    db.session.commit()
    flash(f"Added {subscriber.address}.", "ok")
    return redirect(url_for("admin.subscriber", subscriber_id=subscriber.id))


def _new_page(form: SubscriberForm, audiences: list[Audience], status: int) -> tuple[str, int]:
    # Components as checkboxes grouped as the pages group them (subscriptions/_choices.html).
    return render_template(
        "admin/subscribers/new.html",
        form=form,
        groups=subscriptions.choosable_groups(_widest(audiences)),
        chosen=chosen_ids(form.components),
    ), status


@routes.get("/subscribers/<int:subscriber_id>")
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def subscriber(subscriber_id: int) -> str:
    found = subscriptions.get_subscriber(subscriber_id)
    return render_template(
        "admin/subscribers/detail.html",
        subscriber=found,
        state=subscriptions.subscriber_state(found),
        deliveries=delivery_status.recent_deliveries(found),
    )


@routes.post("/subscribers/<int:subscriber_id>/active")
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def set_subscriber_active(subscriber_id: int) -> Response:
    found = subscriptions.get_subscriber(subscriber_id)
    active = request.form.get("active") == "1"
    subscriptions.set_active(found, active, by=current_user, now=utcnow())
    db.session.commit()
    flash(f"{found.address} is {'back on' if active else 'switched off'}.", "ok")
    return redirect(url_for("admin.subscriber", subscriber_id=subscriber_id))


@routes.post("/subscribers/<int:subscriber_id>/delete")
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def delete_subscriber(subscriber_id: int) -> Response:
    found = subscriptions.get_subscriber(subscriber_id)
    subscriptions.remove_subscriber(found, by=current_user, now=utcnow())
    db.session.commit()
    flash("Subscriber removed.", "ok")
    return redirect(url_for("admin.subscribers"))


@routes.get("/deliveries")
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def deliveries() -> str:
    return render_template(
        "admin/subscribers/deliveries.html",
        updates=delivery_status.status_per_update(),
        problems=delivery_status.recent_problems(),
        states=list(DeliveryState),
    )


@routes.get("/deliveries/updates/<int:update_id>")
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def update_deliveries(update_id: int) -> str:
    rows = delivery_status.deliveries_of_update(update_id)
    if not rows:
        abort(404)
    return render_template(
        "admin/subscribers/update_deliveries.html", update_id=update_id, rows=rows
    )


@routes.post("/deliveries/updates/<int:update_id>/retry")
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def retry_update_deliveries(update_id: int) -> Response:
    count = delivery_status.retry(
        delivery_status.undelivered(update_id), by=current_user, now=utcnow()
    )
    db.session.commit()
    flash(f"{count} deliveries will be sent again.", "ok")
    return redirect(url_for("admin.update_deliveries", update_id=update_id))


@routes.post("/deliveries/<int:delivery_id>/retry")
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def retry_delivery(delivery_id: int) -> Response:
    found = delivery_status.get_deliveries([delivery_id])
    if not found:
        abort(404)
    count = delivery_status.retry(found, by=current_user, now=utcnow())
    db.session.commit()
    flash(f"{count} delivery will be sent again." if count else "Nothing to retry.", "ok")
    return redirect(request.referrer or url_for("admin.deliveries"))


def _filter() -> subscriber_lists.SubscriberFilter:
    kind = request.args.get("kind", "")
    return subscriber_lists.SubscriberFilter(
        query=request.args.get("q", "").strip()[:200],
        audience_id=parse_int(request.args.get("audience")),
        kind=SubscriberKind(kind) if kind in {k.value for k in SubscriberKind} else None,
    )


def _audiences() -> list[Audience]:
    audiences = configuration.list_audiences()
    if not audiences:
        raise NotFound("There are no audiences yet: run `flask --app statuspage setup`.")
    return audiences


def _widest(audiences: list[Audience]) -> Audience:
    # The form lists every component an internal audience may pick; the service narrows it to
    # public ones for a public audience and says so.
    return next((a for a in audiences if not a.is_public), audiences[0])
