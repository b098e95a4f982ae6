"""Domain exceptions, raised by services and turned into clear 4xx answers by the views."""

from __future__ import annotations


class DomainError(Exception):
    """Something the caller asked for cannot be done; the message is fit to show a user."""

    status_code = 400


class ValidationError(DomainError):
    """Input is malformed or out of range."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """The object asked for does not exist (or is not visible to the caller)."""

    status_code = 404


class InvalidTransition(DomainError):
    """The object is not in a state that allows this change."""

    status_code = 409


class Conflict(DomainError):
    """Someone else changed the object since the caller loaded it."""

    status_code = 409


class PermissionDenied(DomainError):
    """The caller's role or duties do not allow this action."""

    status_code = 403


class InvalidLink(DomainError):
    """A signed link (confirmation, manage, unsubscribe) is forged, expired or already used."""

    status_code = 400


class TooManyAttempts(DomainError):
    """Too many failed attempts; try again after `retry_after` seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
