"""Following the page from the public side: the one subscribe page (email, feeds, calendar,
webhooks, a Slack or Teams channel), following one incident, confirm, manage, one-click unsubscribe.

The links in emails carry signed tokens (statuspage.tokens); the manage and unsubscribe token is the
subscriber's key to their own subscription, so those pages need no sign-in. These pages wear the
public site's frame (templates/public/layout.html), so each is given the site and its links.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import Field

from statuspage.core.addresses import CONFIRM_PATH, MANAGE_PATH, UNSUBSCRIBE_PATH
from statuspage.core.clock import utcnow
from statuspage.core.errors import InvalidLink, NotFound, ValidationError
from statuspage.core.site import current_site
from statuspage.core.tokens import SubscriptionTokens
from statuspage.extensions import csrf, db, limiter
from statuspage.models import Incident, Subscriber, SubscriberKind
from statuspage.publicsite.urls import Links
from statuspage.services import subscriptions
from statuspage.services.branding.settings import current_brand
from statuspage.services.outbox.chat import chat_hosts
from statuspage.services.outbox.messages import following
from statuspage.views.forms import (
    ChatSubscribeForm,
    ConfirmForm,
    PreferencesForm,
    SubscribeForm,
    chosen_ids,
    options,
)

bp = Blueprint("subscriptions", __name__)

Page = str | tuple[str, int]
NO_SUCH_INCIDENT = _l("There is no such incident on this status page.")


@bp.context_processor
def _public_frame() -> dict[str, object]:
    return {"site": current_site(), "links": Links(), "brand": current_brand()}


@bp.errorhandler(InvalidLink)
def _invalid_link(error: InvalidLink) -> tuple[str, int]:
    # Forged, expired or stale: said in words, with the way to subscribe again.
    db.session.rollback()
    return render_template("subscriptions/invalid_link.html", message=str(error)), 400


def _subscribe_limit() -> str:
    return str(current_app.config["SUBSCRIBE_RATE_LIMIT"])


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(_subscribe_limit, methods=["POST"])
def subscribe() -> Page:
    form = SubscribeForm()
    incident, notice = _incident_to_follow()
    if request.method == "GET" or notice:
        return _subscribe_page(form, incident, notice, 200 if request.method == "GET" else 422)
    if not form.validate_on_submit():
        return _subscribe_page(form, incident, None, 400)
    try:
        subscriptions.request_subscription(
            form.email.data or "",
            form.components.data or [],
            now=utcnow(),
            emails_per_day=current_app.config["SUBSCRIPTION_EMAILS_PER_ADDRESS_PER_DAY"],
            incident_id=incident.id if incident else None,
        )
    except ValidationError as error:
        db.session.rollback()
        _field(form, error.field).errors.append(str(error))
        return _subscribe_page(form, incident, None, 422)
    db.session.commit()
    # The same answer whether the address was new, waiting, or already subscribed.
    return render_template("subscriptions/requested.html", incident=incident)


@bp.post("/subscribe/chat")
@limiter.limit(_subscribe_limit)
def subscribe_chat() -> Page:
    form = ChatSubscribeForm()
    if not form.validate_on_submit():
        return _subscribe_page(SubscribeForm(), None, None, 400, chat_form=form)
    try:
        subscriber = subscriptions.request_chat_subscription(
            SubscriberKind(form.channel.data),
            form.hook_url.data or "",
            [],
            now=utcnow(),
            chat_hosts=chat_hosts(current_app.config),
        )
    except ValidationError as error:
        db.session.rollback()
        form.hook_url.errors = [*form.hook_url.errors, str(error)]
        return _subscribe_page(SubscribeForm(), None, None, 422, chat_form=form)
    db.session.commit()
    return render_template("subscriptions/chat_requested.html", subscriber=subscriber)


def _incident_to_follow() -> tuple[Incident | None, str | None]:
    """The incident the form follows (from the page's link, then the form), or why it cannot be
    followed (resolved since: the page offers every update instead)."""
    raw = request.form.get("incident") if request.method == "POST" else request.args.get("incident")
    if not raw:
        return None, None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise NotFound(str(NO_SUCH_INCIDENT))
    try:
        return subscriptions.followable_incident(int(raw)), None
    except ValidationError as error:
        return None, str(error)


def _subscribe_page(
    form: SubscribeForm,
    incident: Incident | None,
    notice: str | None,
    status: int,
    *,
    chat_form: ChatSubscribeForm | None = None,
) -> tuple[str, int]:
    audience = subscriptions.public_audience()
    return render_template(
        "subscriptions/subscribe.html",
        form=form,
        chat_form=chat_form or ChatSubscribeForm(formdata=None),
        incident=incident,
        notice=notice,
        groups=subscriptions.choosable_groups(audience),
        chosen=chosen_ids(form.components),
    ), status


@bp.route(CONFIRM_PATH + "<token>", methods=["GET", "POST"])
def confirm(token: str) -> Page:
    subscriber_id, nonce, already = _read_confirmation(token)
    if already is not None:
        # A used link (opened again, or by a mail scanner first): no error, the manage link.
        return _confirmed_page(already, already=True)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        subscriber = subscriptions.check_confirmation(subscriber_id, nonce)
        status = 200 if request.method == "GET" else 400
        return render_template(
            "subscriptions/confirm.html", form=form, following=following(subscriber)
        ), status
    subscriber = subscriptions.confirm_subscription(subscriber_id, nonce, now=utcnow())
    db.session.commit()
    return _confirmed_page(subscriber, already=False)


def _read_confirmation(token: str) -> tuple[int, str, Subscriber | None]:
    """The link's subscriber id and nonce, and its subscriber if the link was used already (also
    once expired: that it was used is the news). InvalidLink if forged, or expired unused."""
    tokens = _tokens()
    try:
        subscriber_id, nonce = tokens.read_confirmation(
            token, max_age_seconds=int(current_app.config["SUBSCRIPTION_CONFIRM_HOURS"]) * 3600
        )
    except InvalidLink:
        signed = tokens.signed_confirmation(token)
        already = subscriptions.already_subscribed(*signed) if signed else None
        if already is None:
            raise
        return already.id, "", already
    return subscriber_id, nonce, subscriptions.already_subscribed(subscriber_id, nonce)


def _confirmed_page(subscriber: Subscriber, *, already: bool) -> str:
    return render_template(
        "subscriptions/confirmed.html",
        manage_url=_manage_url(subscriber),
        following=following(subscriber),
        already=already,
    )


@bp.route(MANAGE_PATH + "<token>", methods=["GET", "POST"])
def manage(token: str) -> Page:
    subscriber = subscriptions.subscriber_for_link(*_tokens().read_manage(token))
    form = PreferencesForm(
        data={"components": [component.id for component in subscriber.components]}
    )
    form.components.choices = options(
        (c.id, c.name) for c in subscriptions.choosable_components(subscriber.audience)
    )
    status, saved = 200, False
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
    return _manage_page(form, subscriber, token, saved=saved), status


def _manage_page(form: PreferencesForm, subscriber: Subscriber, token: str, *, saved: bool) -> str:
    return render_template(
        "subscriptions/manage.html",
        form=form,
        subscriber=subscriber,
        state=subscriptions.subscriber_state(subscriber),
        following=following(subscriber),
        groups=subscriptions.choosable_groups(subscriber.audience),
        chosen=chosen_ids(form.components),
        unsubscribe_url=UNSUBSCRIBE_PATH + token,
        saved=saved,
    )


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


def _field(form: SubscribeForm, name: str | None) -> Field:
    return form.components if name == "components" else form.email
