"""Secrets the app must read back (a second factor's shared secret, an alert receiver's key),
encrypted with Fernet under a key derived from the app's secret key and the secret's purpose: a
copy of the database alone reveals none of them. Rotating the secret key makes them unreadable."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


def seal(text: str, *, key: str, purpose: bytes) -> str:
    """The text encrypted for storage."""
    return _fernet(key, purpose).encrypt(text.encode()).decode()


def unseal(token: str, *, key: str, purpose: bytes) -> str | None:
    """The text back, or None when it was sealed under another secret key."""
    try:
        return _fernet(key, purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def _fernet(key: str, purpose: bytes) -> Fernet:
    derived = hashlib.sha256(purpose + b"\x00" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))
