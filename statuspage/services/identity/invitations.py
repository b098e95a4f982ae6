"""Invitations instead of passwords typed by an admin: the admin names an address and a role, the
person gets a signed link that expires and works once, and chooses their own password (and then,
where their role needs one, sets up their second factor before anything else)."""

from __future__ import annotations

from datetime import datetime

from statuspage.core.addresses import invitation_path
from statuspage.core.errors import InvalidLink, ValidationError
from statuspage.core.site import Site
from statuspage.core.tokens import InvitationTokens
from statuspage.extensions import db
from statuspage.models import Role, User
from statuspage.services.accounts import create_user, set_password
from statuspage.services.outbox.enqueue import OutgoingEmail, enqueue_emails
from statuspage.services.records import record_audit


def invite(
    email: str,
    *,
    name: str | None,
    role: Role,
    by: User,
    site: Site,
    tokens: InvitationTokens,
    valid_hours: int,
    now: datetime,
) -> User:
    """Create the account without a password and email its owner the link to choose one."""
    user = create_user(email, name=name, role=role, password=None, now=now)
    db.session.flush()
    link = site.url + invitation_path(tokens.invitation(user.id, user.session_generation))
    enqueue_emails(
        [
            OutgoingEmail(
                address=user.email,
                name=user.name,
                subject=f"You are invited to the {site.name} console",
                text=(
                    f"{by.name} invited you to the console of {site.name}, as {role.value}. "
                    f"Choose your password with the link below; it works once, for "
                    f"{valid_hours} hours."
                ),
                link=link,
                dedupe_key=f"invitation:{user.id}:{user.session_generation}",
            )
        ],
        now=now,
    )
    record_audit(by, "user.invite", "user", user.id, now=now, details={"role": str(role)})
    return user


def invited_user(token: str, *, tokens: InvitationTokens, valid_hours: int) -> User:
    """The account an invitation link is for, while it is still waiting to be accepted."""
    user_id, generation = tokens.read(token, max_age_seconds=valid_hours * 3600)
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidLink("This invitation was withdrawn. Ask an admin to invite you again.")
    if user.password_hash is not None or user.session_generation != generation:
        raise InvalidLink(InvitationTokens.USED)
    return user


def accept(user: User, password: str, confirmation: str, *, now: datetime) -> User:
    """Set the password the invited person chose (which also makes the link a used one)."""
    if password != confirmation:
        raise ValidationError("The two passwords differ.", field="confirmation")
    set_password(user, password)
    user.last_login_at = now
    record_audit(user, "user.invitation_accepted", "user", user.id, now=now)
    return user
