"""Single sign-on with OpenID Connect (Authlib for the OAuth client, joserfc for the ID token).

The authorization code flow with PKCE (S256), `state` and `nonce`: `start` makes the provider's
address and what the caller keeps until the answer (in the signed session); `finish` checks the
answer's state, exchanges the code, and checks the ID token: signed (by a key of the provider's
JWKS, never `none` or a shared secret), by the configured issuer, for this client, not expired,
with the nonce sent. `account_for` maps a claim (groups) to a role and finds the account: created
on first sign-in only when the settings allow it, else only for invited addresses and existing
users. People who sign in this way use their provider's second factor, not ours.

Discovery and the JWKS are fetched once per process; the JWKS again when a token names a key
not seen yet (the provider rotated its keys).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from statuspage.core.config import ConfigurationError
from statuspage.core.errors import DomainError
from statuspage.models import Role, User
from statuspage.services.accounts import create_user, end_sessions, find_user, normalise_email
from statuspage.services.records import record_audit

# Only asymmetric signatures: `none` proves nothing, and an HMAC key would be the client secret.
SIGNATURE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
# Clocks of the provider and of this server may differ a little.
LEEWAY_SECONDS = 60
# When several of someone's groups map to roles, the most powerful one counts.
ROLE_RANK = (Role.ADMIN, Role.COMMANDER, Role.LIAISON, Role.VIEWER)
NOT_STARTED = "This sign-in was not started here, or already used: start again."
_discovered: dict[str, dict[str, Any]] = {}
_key_sets: dict[str, KeySet] = {}


class SignInRefused(DomainError):
    """The provider's answer does not sign anyone in; the message says why, in words."""

    status_code = 401


class ProviderUnreachable(SignInRefused):
    """The provider did not answer, or not with what OpenID Connect says it must."""

    status_code = 502


@dataclass(frozen=True)
class Provider:
    """The company's OpenID provider and what its answers mean here (from the OIDC_* settings)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    name: str
    role_claim: str = "groups"
    roles: Mapping[str, Role] = field(default_factory=dict)
    create_accounts: bool = False
    timeout: float = 10

    @classmethod
    def from_settings(cls, config: Mapping[str, Any]) -> Provider | None:
        """The configured provider, or None without an issuer; a wrong setting is refused."""
        issuer = str(config.get("OIDC_ISSUER") or "").rstrip("/")
        if not issuer:
            return None
        if not (config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET")):
            raise ConfigurationError(
                "STATUSPAGE_OIDC_ISSUER needs STATUSPAGE_OIDC_CLIENT_ID and _CLIENT_SECRET too."
            )
        mapping = config.get("OIDC_ROLES") or {}
        if not isinstance(mapping, Mapping):
            raise ConfigurationError('STATUSPAGE_OIDC_ROLES is JSON: {"group": "role", ...}.')
        try:
            roles = {str(group): Role(str(role)) for group, role in mapping.items()}
        except ValueError as error:
            names = ", ".join(role.value for role in Role)
            raise ConfigurationError(
                f"STATUSPAGE_OIDC_ROLES: {error}; the roles are {names}."
            ) from None
        return cls(
            issuer=issuer,
            client_id=str(config["OIDC_CLIENT_ID"]),
            client_secret=str(config["OIDC_CLIENT_SECRET"]),
            name=str(config.get("OIDC_NAME") or urlsplit(issuer).hostname or issuer),
            role_claim=str(config.get("OIDC_ROLE_CLAIM") or "groups"),
            roles=roles,
            create_accounts=bool(config.get("OIDC_CREATE_ACCOUNTS")),
            timeout=float(config.get("OIDC_TIMEOUT_SECONDS") or 10),
        )


@dataclass(frozen=True)
class Pending:
    """What the caller keeps between sending someone to the provider and their coming back."""

    state: str
    nonce: str
    verifier: str
    target: str

    def as_dict(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "verifier": self.verifier,
            "t": self.target,
        }

    @classmethod
    def from_dict(cls, kept: object) -> Pending | None:
        if not isinstance(kept, dict):
            return None
        values = [kept.get(key) for key in ("state", "nonce", "verifier", "t")]
        if not all(isinstance(value, str) and value for value in values):
            return None
        return cls(*values)


def start(provider: Provider, *, redirect_uri: str, target: str) -> tuple[str, Pending]:
    """The provider's sign-in address for this attempt, and what to keep until the answer."""
    pending = Pending(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),
        target=target,
    )
    url, _ = _client(provider, redirect_uri).create_authorization_url(
        _metadata(provider)["authorization_endpoint"],
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.verifier,
    )
    return url, pending


def finish(
    provider: Provider,
    pending: Pending,
    answer: Mapping[str, str],
    *,
    redirect_uri: str,
    now: datetime,
) -> dict[str, Any]:
    """The checked claims of the ID token the provider's answer leads to."""
    # The state first: a link someone else made must not put their words on our sign-in page.
    if not hmac.compare_digest(answer.get("state", ""), pending.state):
        raise SignInRefused(NOT_STARTED)
    if answer.get("error"):
        why = (answer.get("error_description") or answer["error"])[:200]
        raise SignInRefused(f"{provider.name} did not sign you in: {why}.")
    if answer.get("iss") not in (None, provider.issuer):  # RFC 9207: answers from another issuer
        raise SignInRefused("The answer came from another provider: start again.")
    client = _client(provider, redirect_uri)
    try:
        token = client.fetch_token(
            _metadata(provider)["token_endpoint"],
            code=answer.get("code", ""),
            code_verifier=pending.verifier,
            timeout=provider.timeout,
        )
    except (AuthlibBaseError, requests.RequestException, ValueError) as error:
        raise SignInRefused(f"{provider.name} refused the sign-in code ({error}).") from None
    return verify_id_token(provider, token.get("id_token") or "", nonce=pending.nonce, now=now)


def verify_id_token(provider: Provider, id_token: str, *, nonce: str, now: datetime) -> dict:
    """The claims of an ID token signed by the provider for this client, current, with the nonce."""
    try:
        token = jwt.decode(id_token, _key_set(provider, id_token), algorithms=SIGNATURE_ALGORITHMS)
        jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as error:
        raise SignInRefused(f"The sign-in from {provider.name} is not valid ({error}).") from None
    audiences = token.claims["aud"]
    several = isinstance(audiences, list) and len(audiences) > 1
    if several and token.claims.get("azp") != provider.client_id:
        raise SignInRefused(f"The sign-in from {provider.name} was made for another service.")
    return dict(token.claims)


def role_for(provider: Provider, claims: Mapping[str, Any]) -> Role | None:
    """The most powerful role the claim's values (groups) map to, if any does."""
    values = claims.get(provider.role_claim) or []
    if isinstance(values, str):
        values = [values]
    mapped = {provider.roles[value] for value in values if value in provider.roles}
    return next((role for role in ROLE_RANK if role in mapped), None)


def account_for(provider: Provider, claims: Mapping[str, Any], *, now: datetime) -> User:
    """The account the checked claims sign in, with the role they map to (created if allowed)."""
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is False:
        raise SignInRefused(f"{provider.name} did not tell a verified email address.")
    role = role_for(provider, claims)
    if role is None:
        raise SignInRefused(f"None of your groups at {provider.name} has a role here.")
    user = find_user(email)
    if user is None:
        if not provider.create_accounts:
            raise SignInRefused(f"There is no account for {email}: ask an admin to invite you.")
        user = create_user(email, name=claims.get("name"), role=role, now=now)
        record_audit(user, "user.sso_created", "user", user.id, now=now)
    if not user.is_active:
        raise SignInRefused(f"The account for {email} is deactivated.")
    if user.password_hash is None and user.last_login_at is None:
        end_sessions(user)  # invited, and here for the first time: the invitation link is used
    if user.role is not role:
        # The provider's groups decide the role; sessions under the old role end with it.
        record_audit(
            user, "user.sso_role", "user", user.id, now=now, details={"before": str(user.role)}
        )
        user.role = role
        end_sessions(user)
    user.last_login_at = now
    return user


def password_allowed(email: str, *, enabled: bool, break_glass: str | None) -> bool:
    """Whether a password may sign this address in: always, or (once single sign-on is the way
    in) only the break-glass admin's, for when the provider is down."""
    return enabled or (bool(break_glass) and normalise_email(email) == normalise_email(break_glass))


def _client(provider: Provider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope="openid email profile " + provider.role_claim,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def _metadata(provider: Provider) -> dict[str, Any]:
    if provider.issuer not in _discovered:
        metadata = _fetch_json(provider, provider.issuer + "/.well-known/openid-configuration")
        if metadata.get("issuer") != provider.issuer:
            raise ProviderUnreachable(f"{provider.name}'s discovery names another issuer.")
        _discovered[provider.issuer] = metadata
    return _discovered[provider.issuer]


def _key_set(provider: Provider, id_token: str) -> KeySet:
    kid = _header(id_token).get("kid")
    keys = _key_sets.get(provider.issuer)
    if keys is None or (kid and all(key.kid != kid for key in keys)):
        keys = KeySet.import_key_set(_fetch_json(provider, _metadata(provider)["jwks_uri"]))
        _key_sets[provider.issuer] = keys
    return keys


def _header(id_token: str) -> dict[str, Any]:
    try:
        return jws.extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError):
        return {}  # jwt.decode says what is wrong with it


def _fetch_json(provider: Provider, url: str) -> dict[str, Any]:
    try:
        answer = requests.get(url, timeout=provider.timeout)
        answer.raise_for_status()
        document = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnreachable(f"{provider.name} cannot be reached now ({error}).") from None
    if not isinstance(document, dict):
        raise ProviderUnreachable(f"{provider.name} answered {url} with something else than JSON.")
    return document
