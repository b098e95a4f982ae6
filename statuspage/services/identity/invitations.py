"""Invitations instead of passwords typed by an admin: the admin names an address and a role, the
person gets a signed link that expires and works once, and chooses their own password (and then,
where their role needs one, sets up their second factor before anything else). An admin's
password reset sends the same link, so no admin ever sees or hands over a password."""

from __future__ import annotations

from datetime import datetime

from statuspage.core.addresses import invitation_path
from statuspage.core.errors import InvalidLink, ValidationError
from statuspage.core.site import Site
from statuspage.core.tokens import InvitationTokens
from statuspage.extensions import db
from statuspage.models import Role, User
from statuspage.services.accounts import create_user, end_sessions, set_password
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
    _email_link(
        user,
        subject=f"You are invited to the {site.name} console",
        text=(
            f"{by.name} invited you to the console of {site.name}, as {role.value}. "
            f"Choose your password with the link below; it works once, for {valid_hours} hours."
        ),
        site=site,
        tokens=tokens,
        now=now,
    )
    record_audit(by, "user.invite", "user", user.id, now=now, details={"role": str(role)})
    return user


def reset_password(
    user: User, *, by: User, site: Site, tokens: InvitationTokens, valid_hours: int, now: datetime
) -> None:
    """An admin's reset: the password stops working and every session ends at once, and its
    owner is emailed a link to choose a new one (nobody else ever sees a password)."""
    user.password_hash = None
    end_sessions(user)
    _email_link(
        user,
        subject=f"Choose a new password for the {site.name} console",
        text=(
            f"{by.name} reset your password for the console of {site.name}: the old one no "
            f"longer works. Choose a new one with the link below; it works once, for "
            f"{valid_hours} hours."
        ),
        site=site,
        tokens=tokens,
        now=now,
    )
    record_audit(by, "user.password.reset", "user", user.id, now=now)


def invited_user(token: str, *, tokens: InvitationTokens, valid_hours: int) -> User:
    """The account an invitation link is for, while it is still waiting to be accepted."""
    user_id, generation = tokens.read(token, max_age_seconds=valid_hours * 3600)
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidLink("This invitation was withdrawn. Ask an admin to invite you again.")
    if user.password_hash is not None or user.session_generation != generation:
        raise InvalidLink(InvitationTokens.USED)
    return user


def _email_link(
    user: User, *, subject: str, text: str, site: Site, tokens: InvitationTokens, now: datetime
) -> None:
    # The link names the session generation: choosing a password (or any later ending of the
    # sessions) raises it, so the link works once.
    link = site.url + invitation_path(tokens.invitation(user.id, user.session_generation))
    enqueue_emails(
        [
            OutgoingEmail(
                address=user.email,
                name=user.name,
                subject=subject,
                text=text,
                link=link,
                dedupe_key=f"invitation:{user.id}:{user.session_generation}",
            )
        ],
        now=now,
    )


def accept(user: User, password: str, confirmation: str, *, now: datetime) -> User:
    """Set the password the invited person chose (which also makes the link a used one)."""
    if password != confirmation:
        raise ValidationError("The two passwords differ.", field="confirmation")
    set_password(user, password)
    user.last_login_at = now
    record_audit(user, "user.invitation_accepted", "user", user.id, now=now)
    return user
