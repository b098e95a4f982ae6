"""Email subscriptions from the public side: subscribe, confirm, manage, one-click unsubscribe.

The links in emails carry signed tokens (statuspage.tokens); the manage and unsubscribe token is the
subscriber's key to their own subscription, so those pages need no sign-in.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from statuspage.core.addresses import CONFIRM_PATH, MANAGE_PATH, UNSUBSCRIBE_PATH
from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.tokens import SubscriptionTokens
from statuspage.extensions import csrf, db, limiter
from statuspage.models import Component, Subscriber
from statuspage.services import subscriptions
from statuspage.views.forms import ConfirmForm, PreferencesForm, SubscribeForm, options

bp = Blueprint("subscriptions", __name__)

Page = str | tuple[str, int]


def _subscribe_limit() -> str:
    return str(current_app.config["SUBSCRIBE_RATE_LIMIT"])


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(_subscribe_limit, methods=["POST"])
def subscribe() -> Page:
    form = SubscribeForm()
    audience = subscriptions.public_audience()
    form.components.choices = _choices(subscriptions.choosable_components(audience))
    if request.method == "GET":
        return render_template("subscriptions/subscribe.html", form=form)
    if not form.validate_on_submit():
        return render_template("subscriptions/subscribe.html", form=form), 400
    try:
        subscriptions.request_subscription(
            form.email.data or "",
            form.components.data or [],
            now=utcnow(),
            emails_per_day=current_app.config["SUBSCRIPTION_EMAILS_PER_ADDRESS_PER_DAY"],
        )
    except ValidationError as error:
        db.session.rollback()
        _field(form, error.field).errors.append(str(error))
        return render_template("subscriptions/subscribe.html", form=form), 422
    db.session.commit()
    # The same answer whether the address was new, waiting, or already subscribed.
    return render_template("subscriptions/requested.html")


@bp.route(CONFIRM_PATH + "<token>", methods=["GET", "POST"])
def confirm(token: str) -> Page:
    subscriber_id, nonce = _tokens().read_confirmation(
        token, max_age_seconds=int(current_app.config["SUBSCRIPTION_CONFIRM_HOURS"]) * 3600
    )
    form = ConfirmForm()
    if request.method == "GET":
        subscriptions.check_confirmation(subscriber_id, nonce)
        return render_template("subscriptions/confirm.html", form=form)
    if not form.validate_on_submit():
        return render_template("subscriptions/confirm.html", form=form), 400
    subscriber = subscriptions.confirm_subscription(subscriber_id, nonce, now=utcnow())
    db.session.commit()
    return render_template("subscriptions/confirmed.html", manage_url=_manage_url(subscriber))


@bp.route(MANAGE_PATH + "<token>", methods=["GET", "POST"])
def manage(token: str) -> Page:
    subscriber = subscriptions.subscriber_for_link(*_tokens().read_manage(token))
    form = PreferencesForm(
        data={"components": [component.id for component in subscriber.components]}
    )
    form.components.choices = _choices(subscriptions.choosable_components(subscriber.audience))
    status = 200
    saved = False
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        else:
            try:
                subscriptions.set_components(subscriber, form.components.data or [])
            except ValidationError as error:
                db.session.rollback()
                form.components.errors.append(str(error))
                status = 422
            else:
                db.session.commit()
                saved = True
    return render_template(
        "subscriptions/manage.html",
        form=form,
        subscriber=subscriber,
        state=subscriptions.subscriber_state(subscriber),
        unsubscribe_url=UNSUBSCRIBE_PATH + token,
        saved=saved,
    ), status


@bp.get(UNSUBSCRIBE_PATH + "<token>")
def unsubscribe_page(token: str) -> str:
    subscriber = subscriptions.subscriber_for_link(*_tokens().read_manage(token))
    return render_template("subscriptions/unsubscribe.html", subscriber=subscriber, done=False)


@bp.post(UNSUBSCRIBE_PATH + "<token>")
# RFC 8058 one-click: the mail provider POSTs "List-Unsubscribe=One-Click" with no session and no
# CSRF token; the signed token in the URL is what authorises it.
@csrf.exempt
def unsubscribe(token: str) -> Page:
    subscriber = subscriptions.subscriber_for_link(*_tokens().read_manage(token))
    try:
        subscriptions.unsubscribe(subscriber, now=utcnow())
    except subscriptions.ManagedByAdmins:
        # The page explains whom to ask instead.
        return render_template("subscriptions/unsubscribe.html", subscriber=subscriber), 403
    db.session.commit()
    return render_template("subscriptions/unsubscribe.html", subscriber=subscriber, done=True)


def _tokens() -> SubscriptionTokens:
    return SubscriptionTokens(current_app.config["SECRET_KEY"])


def _manage_url(subscriber: Subscriber) -> str:
    return MANAGE_PATH + _tokens().manage(subscriber.id, subscriber.token_key)


def _choices(components: list[Component]) -> list[SelectChoice]:
    return options((component.id, component.name) for component in components)


def _field(form: SubscribeForm, name: str | None) -> Field:
    return form.components if name == "components" else form.email
