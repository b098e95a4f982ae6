"""Signed links for subscribers: a confirmation link that expires, and a manage/unsubscribe link.

The signature (itsdangerous, keyed by the app's secret key) makes the links unforgeable; what makes
a confirmation link work only once is the nonce inside it, which the subscriber row must still hold.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)

from statuspage.core.clock import utcnow
from statuspage.core.errors import InvalidLink

# Shown on public pages, so in the page's language (lazy: read when raised).
FORGED = _l(
    "This link is not valid: it may be incomplete or mistyped. Use the link from the email."
)
EXPIRED = _l("This confirmation link has expired. Subscribe again to get a new one.")


class _ClockSigner(TimestampSigner):
    """Stamps and ages tokens by statuspage's clock, the one every other expiry reads."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


class SubscriptionTokens:
    """Makes and reads the tokens in subscription emails."""

    def __init__(self, secret_key: str) -> None:
        self._confirm = URLSafeTimedSerializer(
            secret_key, salt="statuspage.subscription.confirm", signer=_ClockSigner
        )
        self._manage = URLSafeSerializer(secret_key, salt="statuspage.subscription.manage")

    def confirmation(self, subscriber_id: int, nonce: str) -> str:
        """The token of a confirmation link."""
        return self._confirm.dumps([subscriber_id, nonce])

    def read_confirmation(self, token: str, *, max_age_seconds: int) -> tuple[int, str]:
        """(subscriber id, nonce) from a confirmation token, or InvalidLink."""
        try:
            value = self._confirm.loads(token, max_age=max_age_seconds)
        except SignatureExpired as error:
            raise InvalidLink(str(EXPIRED)) from error
        except BadSignature as error:
            raise InvalidLink(str(FORGED)) from error
        return _pair(value)

    def signed_confirmation(self, token: str) -> tuple[int, str] | None:
        """(subscriber id, nonce) of a genuine confirmation token however old, or None: an expired
        link that was used may still say "already subscribed" rather than "expired"."""
        valid, value = self._confirm.loads_unsafe(token)
        if not valid:
            return None
        try:
            return _pair(value)
        except InvalidLink:
            return None

    def manage(self, subscriber_id: int, key: str) -> str:
        """The token of the manage and unsubscribe links (they do not expire)."""
        return self._manage.dumps([subscriber_id, key])

    def read_manage(self, token: str) -> tuple[int, str]:
        """(subscriber id, token key) from a manage token, or InvalidLink."""
        try:
            value = self._manage.loads(token)
        except BadSignature as error:
            raise InvalidLink(str(FORGED)) from error
        return _pair(value)


def _pair(value: object) -> tuple[int, str]:
    match value:
        case [int() as subscriber_id, str() as secret]:
            return subscriber_id, secret
    raise InvalidLink(str(FORGED))


class InvitationTokens:
    """The token of an invitation link: the account and its session generation when invited.

    Setting the password ends the account's sessions (raises the generation), so a used link, or
    one sent before a later invitation was accepted, names a generation that is gone.
    """

    USED = "This invitation was used already. Sign in with the password you chose."
    EXPIRED = "This invitation has expired. Ask an admin to invite you again."

    def __init__(self, secret_key: str) -> None:
        self._tokens = URLSafeTimedSerializer(
            secret_key, salt="statuspage.invitation", signer=_ClockSigner
        )

    def invitation(self, user_id: int, generation: int) -> str:
        return self._tokens.dumps([user_id, generation])

    def read(self, token: str, *, max_age_seconds: int) -> tuple[int, int]:
        """(user id, session generation) from an invitation token, or InvalidLink in words."""
        try:
            value = self._tokens.loads(token, max_age=max_age_seconds)
        except SignatureExpired as error:
            raise InvalidLink(self.EXPIRED) from error
        except BadSignature as error:
            raise InvalidLink(str(FORGED)) from error
        match value:
            case [int() as user_id, int() as generation]:
                return user_id, generation
        raise InvalidLink(str(FORGED))
