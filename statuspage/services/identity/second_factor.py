"""The second factor: TOTP (RFC 6238, pyotp) enrolled with a QR code, checked at sign-in after the
password, with single-use recovery codes for a lost device and an audited reset by an admin.

The shared secret is stored encrypted (Fernet, a key derived from the app's secret key): a copy of
the database alone does not give anyone codes. Rotating the secret key therefore means everyone
enrols again. A code is good once: the time step it was accepted for is kept, and a code of that
step or an earlier one is refused (a code read over a shoulder cannot be replayed).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from collections.abc import Iterable
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
import sqlalchemy as sa

from statuspage.core.config import ConfigurationError
from statuspage.core.errors import InvalidTransition, ValidationError
from statuspage.core.sealing import seal, unseal
from statuspage.extensions import db
from statuspage.models import RecoveryCode, Role, User
from statuspage.services.accounts import end_sessions
from statuspage.services.records import record_audit

RECOVERY_CODES = 10
# A code typed a little early or late (clock drift, typing) still counts: one step either side.
DRIFT_STEPS = 1
_PURPOSE = b"statuspage second factor"


def new_secret() -> str:
    """A fresh shared secret (base32, 160 bits) for enrolment."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, user: User, *, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> bytes:
    """The address as an SVG QR code (paths only: nothing in it runs)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def roles_needing_it(setting: Iterable[str]) -> frozenset[Role]:
    """The SECOND_FACTOR_ROLES setting as roles; a name that is no role is refused at start."""
    if isinstance(setting, str):
        setting = [setting]
    try:
        return frozenset(Role(str(name)) for name in setting)
    except ValueError as error:
        roles = ", ".join(role.value for role in Role)
        raise ConfigurationError(
            f"STATUSPAGE_SECOND_FACTOR_ROLES: {error}; the roles are {roles}."
        ) from None


def required_for(user: User, roles: frozenset[Role]) -> bool:
    """Whether the user's role must sign in with a second factor."""
    return user.role in roles


def enrol(user: User, secret: str, code: str, *, key: str, now: datetime) -> list[str]:
    """Turn the second factor on once the user proves their app has the secret; returns their
    recovery codes, shown once (only their hashes are kept)."""
    if user.has_second_factor:
        raise InvalidTransition("A second factor is already set up; reset it first.")
    step = _accepted_step(secret, code, after=None, now=now)
    if step is None:
        raise ValidationError(
            "That code does not match: type the 6 digits your app shows now.", field="code"
        )
    user.totp_secret = seal(secret, key=key, purpose=_PURPOSE)
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    record_audit(user, "user.second_factor_enrolled", "user", user.id, now=now)
    return codes


def check_code(user: User, code: str, *, key: str, now: datetime) -> bool:
    """Whether the code signs the user in: a TOTP code not used before, or an unused recovery
    code (used up by this)."""
    code = "".join(code.split())
    if not user.has_second_factor or not code:
        return False
    # None: the secret key changed, so the user must be reset and enrol again.
    secret = unseal(user.totp_secret or "", key=key, purpose=_PURPOSE)
    step = _accepted_step(secret, code, after=user.totp_last_step, now=now) if secret else None
    if step is not None:
        user.totp_last_step = step
        return True
    return _use_recovery_code(user, code, now=now)


def reset(user: User, *, by: User, now: datetime) -> None:
    """Turn the user's second factor off (a lost device; audited) and end their sessions."""
    if not user.has_second_factor:
        raise InvalidTransition(f"{user.name} has no second factor to reset.")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user)
    record_audit(by, "user.second_factor_reset", "user", user.id, now=now)


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _accepted_step(secret: str, code: str, *, after: int | None, now: datetime) -> int | None:
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes


def _use_recovery_code(user: User, code: str, *, now: datetime) -> bool:
    # One UPDATE: two sign-ins racing with the same code cannot both use it.
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code.lower()),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(used.rowcount)


def _hash(code: str) -> str:
    # The codes are 64 random bits: a plain digest is enough (no password to slow guessing of).
    return hashlib.sha256(code.encode()).hexdigest()
