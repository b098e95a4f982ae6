"""OpenID providers for the single sign-on tests, both on 127.0.0.1.

`RealProvider` is npm oidc-provider (tests/oidc_provider.mjs, a certified implementation) in a
node process, whose sign-in and consent pages `authorize` fills in with plain HTTP. It issues
only correct tokens; `ForgingProvider` is a small provider in this process that signs the ID
tokens a test asks for with its own key, served from its own JWKS: another issuer, another
audience, expired, or unsigned (`alg: none`).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from statuspage.core.clock import utcnow
from statuspage.services.identity import sso
from tests.browser import skip_or_fail
from tests.processes import ROOT, RUNNING, ManagedProcess, free_port

CLIENT_ID = "statuspage"
CLIENT_SECRET = "statuspage-test-client-secret"
CALLBACK = "http://status.test/login/sso/callback"
ROLES = {
    "statuspage-admins": "admin",
    "statuspage-commanders": "commander",
    "statuspage-liaisons": "liaison",
    "everyone": "viewer",
}
# The people the providers know, by account id: email, name and groups (their role here).
ACCOUNTS = {
    role: {"email": f"{role}@corp.example", "name": f"SSO {role}", "groups": [group, "staff"]}
    for group, role in ROLES.items()
}
# One key for every forging provider of the run: making an RSA key takes a while.
FORGING_KEY = RSAKey.generate_key(2048, parameters={"kid": "t"})
ACCOUNTS["nobody"] = {"email": "nobody@corp.example", "name": "No Role", "groups": ["staff"]}


def provider_settings(issuer: str, **overrides: object) -> sso.Provider:
    """The app's view of a provider at this issuer, as the OIDC_* settings make it."""
    settings = {
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_NAME": "Corp ID",
        "OIDC_ROLES": ROLES,
        "OIDC_CREATE_ACCOUNTS": True,
        **overrides,
    }
    provider = sso.Provider.from_settings(settings)
    assert provider is not None
    return provider


def callback_path(location: str) -> str:
    """The path and query of the app's callback address a provider sent the browser to."""
    assert location.startswith(CALLBACK), location
    return location[len("http://status.test") :]


def begin(client: FlaskClient) -> str:
    """Press "Sign in with Corp ID": the provider's address the browser is sent to."""
    response = client.get("/login/sso")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


class RealProvider:
    """npm oidc-provider in a node process, issuing tokens for ACCOUNTS."""

    def __init__(self) -> None:
        node = shutil.which("node")
        module = ROOT / "node_modules" / "oidc-provider"
        if node is None or not module.is_dir():
            skip_or_fail("node and node_modules/oidc-provider are needed (make test installs them)")
        self.issuer = f"http://127.0.0.1:{free_port()}"
        self.process = ManagedProcess(
            [node, str(ROOT / "tests" / "oidc_provider.mjs")],
            env={
                "PATH": "/usr/bin:/bin",
                "OIDC_ISSUER": self.issuer,
                "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_REDIRECT_URI": CALLBACK,
                "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
            },
        )
        # It serves a whole test module: not one of the processes reaped after each test.
        RUNNING.remove(self.process)
        try:
            self.process.wait_for_line("listening on")
        except AssertionError:
            self.process.kill()
            raise

    def authorize(self, address: str, account: str) -> str:
        """Sign in at the provider as `account` and consent: the address it sends back to."""
        browser = requests.Session()
        answer = browser.get(address, allow_redirects=False, timeout=10)
        for _ in range(10):
            location = answer.headers.get("Location")
            if location and location.startswith(CALLBACK):
                return location
            if location:
                answer = browser.get(urljoin(self.issuer, location), allow_redirects=False)
                continue
            page = answer.text
            action = re.search(r'<form[^>]*action="([^"]+)"', page)
            assert action, page
            prompt = re.search(r'name="prompt" value="(\w+)"', page)
            fields = {"prompt": prompt.group(1) if prompt else "consent"}
            if fields["prompt"] == "login":
                fields.update(login=account, password="any")
            answer = browser.post(
                urljoin(self.issuer, action.group(1)), data=fields, allow_redirects=False
            )
        raise AssertionError(f"the provider never sent the browser back: {answer.text}")

    def stop(self) -> None:
        self.process.kill()


@dataclass
class ForgingProvider:
    """A provider that signs whatever ID token claims a test sets in `forged` (merged over
    correct ones), or none at all with `unsigned`."""

    key: RSAKey = field(default_factory=lambda: FORGING_KEY)
    forged: dict[str, Any] = field(default_factory=dict)
    unsigned: bool = False
    issuer: str = ""
    codes: dict[str, str] = field(default_factory=dict)  # code -> nonce
    accounts: dict[str, dict[str, Any]] = field(default_factory=lambda: dict(ACCOUNTS))

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/auth",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def authorize(self, address: str, account: str) -> str:
        """Sign `account` in at once: the address the browser is sent back to, with a code."""
        query = {name: values[0] for name, values in parse_qs(urlsplit(address).query).items()}
        code = secrets.token_urlsafe(16)
        self.codes[code] = json.dumps([query["nonce"], account])
        return f"{query['redirect_uri']}?code={code}&state={query['state']}"

    def id_token(self, code: str) -> str:
        nonce, account = json.loads(self.codes.pop(code))
        now = int(utcnow().timestamp())  # the app's clock: pinned in in-process tests
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": account,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.accounts[account],
            **self.forged,
        }
        if self.unsigned:
            return ".".join(
                (_b64({"alg": "none", "typ": "JWT"}), _b64(claims), "")
            )  # no signature at all
        return jwt.encode({"alg": "RS256", "kid": "t"}, claims, self.key)


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


@contextmanager
def forging_provider() -> Iterator[ForgingProvider]:
    """A ForgingProvider serving discovery, its JWKS and its token endpoint on 127.0.0.1."""
    provider = ForgingProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                self._json(provider.metadata())
            elif self.path == "/jwks":
                self._json({"keys": [provider.key.as_dict(private=False)]})
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            code = parse_qs(body).get("code", [""])[0]
            if code not in provider.codes:
                self._json({"error": "invalid_grant"}, 400)
                return
            token = provider.id_token(code)
            self._json({"access_token": "a", "token_type": "Bearer", "id_token": token})

        def _json(self, document: dict[str, Any], status: int = 200) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
