"""Settings: safe defaults for a local run, overridden by STATUSPAGE_* environment variables.

This is the only module that reads the environment. Every setting is documented in the README.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

from statuspage.core.database import engine_options

# A key anyone can read in this file: fine on a laptop, refused in production.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-deploy"
MIN_SECRET_KEY_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 16
# An account's own failures may slow its sign-ins by a few seconds, never lock its owner out.
LONGEST_ACCOUNT_SLOWDOWN_SECONDS = 10

DEFAULTS: dict[str, Any] = {
    # production | development | testing. Production is the default so that a forgotten setting fails
    # closed: `make run` and the tests ask for the other modes explicitly.
    "ENV": "production",
    "SECRET_KEY": DEVELOPMENT_SECRET_KEY,
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "BASE_URL": "http://127.0.0.1:5000",
    "PAGE_NAME": "Status",
    "TIMEZONE": "Etc/UTC",
    # The public site's language (pages, feeds, subscriber emails): "en", or one in translations/.
    "LANGUAGE": "en",
    "SMTP_URL": None,
    "MAIL_FROM": "status@localhost",
    "LOG_LEVEL": "INFO",
    # The web server (`flask --app statuspage serve`): its address, and how long a stopping worker
    # may finish the requests in hand before it is killed. WEB_CONCURRENCY (worker processes) and
    # WEB_THREADS (threads per worker) are read without the prefix, as hosting platforms set them.
    "BIND": "127.0.0.1:8000",
    "GRACEFUL_TIMEOUT": 20,
    # How many reverse proxies sit in front of the app (X-Forwarded-For / -Proto hops to trust).
    "TRUSTED_PROXIES": 0,
    # Sign-in throttling (services/signin.py): failures slow down the account at that address and
    # the address after a few free ones, waiting SLOWDOWN and doubling up to MAX_SLOWDOWN; an
    # account's failures from everywhere only add a wait of at most MAX_ACCOUNT_SLOWDOWN. Failures
    # are forgotten after a window without one.
    "LOGIN_WINDOW_SECONDS": 900,
    "LOGIN_FREE_FAILURES_PER_ACCOUNT_ADDRESS": 5,
    "LOGIN_FREE_FAILURES_PER_ADDRESS": 20,
    "LOGIN_FREE_FAILURES_PER_ACCOUNT": 10,
    "LOGIN_SLOWDOWN_SECONDS": 1,
    "LOGIN_MAX_SLOWDOWN_SECONDS": 900,
    "LOGIN_MAX_ACCOUNT_SLOWDOWN_SECONDS": 3,
    # Waiting for the database, in seconds (see statuspage/core/database.py): to connect, for a
    # free pooled connection, and for one statement in a web request or command, in a scheduled
    # job, and in a migration (which may rewrite a table, or wait for another host's migration).
    "DATABASE_CONNECT_TIMEOUT": 3,
    "DATABASE_POOL_TIMEOUT": 3,
    "DATABASE_STATEMENT_TIMEOUT": 5,
    "SCHEDULER_STATEMENT_TIMEOUT": 60,
    "MIGRATION_STATEMENT_TIMEOUT": 3600,
    # Request sizes: a whole request body (413 beyond it), one multipart field held in memory, and
    # the fields of one form. The largest form, an update written for every audience at once, is
    # a few hundred kilobytes at most.
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1000,
    # Subscriptions: confirmation links expire; each address gets few subscription emails a day,
    # and each client address few subscription requests (Flask-Limiter, per process unless
    # RATELIMIT_STORAGE_URI points at a shared store such as redis://).
    "SUBSCRIPTION_CONFIRM_HOURS": 48,
    "SUBSCRIPTION_EMAILS_PER_ADDRESS_PER_DAY": 3,
    "SUBSCRIBE_RATE_LIMIT": "10 per minute;50 per hour",
    # The management API (/api/v1), counted per key as Statuspage counts it.
    "API_RATE_LIMIT": "60 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    # The outbox worker: how many deliveries it claims at once, how long a claim holds, retries.
    "SMTP_TIMEOUT_SECONDS": 30,
    "SMTP_CONNECTIONS": 4,
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    # Comma-separated networks webhooks may reach although they are not public (e.g. 127.0.0.0/8).
    "WEBHOOK_ALLOWED_NETWORKS": "",
    # Comma-separated hosts Slack and Teams hooks may be on besides the providers' own (plain
    # http only for a loopback host, e.g. a test's receiver on 127.0.0.1).
    "CHAT_HOOK_HOSTS": "",
    # Where escalations go for cadence policies with a PagerDuty routing key (Events API v2).
    "PAGERDUTY_EVENTS_URL": "https://events.pagerduty.com/v2/enqueue",
    "DELIVERY_BATCH_SIZE": 500,
    "DELIVERY_LEASE_SECONDS": 600,
    "DELIVERY_RUN_SECONDS": 20,  # short, so a stopping scheduler waits little for it
    "DELIVERY_MAX_ATTEMPTS": 10,
    "DELIVERY_RETRY_BASE_SECONDS": 30,
    "DELIVERY_RETRY_MAX_SECONDS": 3600,
    "SUBSCRIBER_DEACTIVATE_AFTER_DAYS": 3,
    # The scheduler: how often the cadence tick and the maintenance job run, how often a standby
    # tries to take the lead (PostgreSQL), and how long a monitoring incident may go without an
    # update before its commander is nudged.
    "CADENCE_TICK_SECONDS": 15,
    "SCHEDULER_LEADER_CHECK_SECONDS": 5,
    "STALE_INCIDENT_MINUTES": 120,
    # How often each expert on an incident's roster owes a timeline note, by severity (JSON in
    # the environment: STATUSPAGE_CHECKIN_MINUTES='{"SEV1": 15}'); a severity left out owes none.
    # Roles that sign in with a second factor (TOTP) after the password (JSON list in the
    # environment: STATUSPAGE_SECOND_FACTOR_ROLES='["admin", "commander"]').
    "SECOND_FACTOR_ROLES": ["admin"],
    # Single sign-on with OpenID Connect (services/identity/sso.py): the provider's issuer URL and
    # this service's client there; its name on the sign-in button (default: the issuer's host);
    # the ID token claim whose values map to roles (JSON in the environment:
    # STATUSPAGE_OIDC_ROLES='{"statuspage-admins": "admin"}'); whether someone it signs in gets an
    # account on first sign-in (else only invited addresses and existing accounts may sign in).
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    "OIDC_NAME": None,
    "OIDC_ROLE_CLAIM": "groups",
    "OIDC_ROLES": {},
    "OIDC_CREATE_ACCOUNTS": False,
    "OIDC_TIMEOUT_SECONDS": 10,
    # Password sign-in: switched off once single sign-on works, except for the break-glass admin
    # (an email address), who can still sign in with a password when the provider is down.
    "PASSWORD_SIGNIN": True,
    "BREAK_GLASS_ADMIN": None,
    # A signed-in browser left unused this long is signed out (its row in the profile's list goes).
    "SESSION_IDLE_HOURS": 24 * 14,
    # How long an invitation link works.
    "INVITATION_HOURS": 72,
    "CHECKIN_MINUTES": {"SEV1": 15, "SEV2": 30, "SEV3": 60},
    # Public responses: how often each process asks the database for the publication version.
    "PUBLIC_VERSION_CHECK_SECONDS": 0.25,
    # Snapshot mode: a folder each web host keeps equal to the public site, for nginx to serve.
    "SNAPSHOT_DIR": None,
    # /metrics answers only a request bearing this token (Prometheus: `authorization:
    # credentials`); without one it is off: its counters show console activity.
    "METRICS_TOKEN": None,
    # Who may declare an incident: everyone signed in to the console (whoever notices first), or
    # false: only commanders and admins.
    "ANYONE_MAY_DECLARE": True,
    # Alert receivers (/hooks/alerts/...): posts per integration (Flask-Limiter) and body size.
    "ALERT_RATE_LIMIT": "120 per minute",
    "ALERT_BODY_LIMIT": 256 * 1024,
    # How often the scheduler restores what resolved alerts set, once their hold-down has passed.
    "ALERT_RESTORE_SECONDS": 5,
}


TIMEOUTS = (
    "DATABASE_CONNECT_TIMEOUT",
    "DATABASE_POOL_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT",
    "SCHEDULER_STATEMENT_TIMEOUT",
    "MIGRATION_STATEMENT_TIMEOUT",
)


class ConfigurationError(RuntimeError):
    """The settings cannot run the app safely; the message says which one and why."""


# Settings `make run` keeps for its checkout (STATUSPAGE_ENV=development), so that later commands
# there (`flask --app statuspage set-password ...`) run as it does without exporting anything.
LOCAL_SETTINGS_FILE = "local.env"


def load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill app.config from defaults, then the checkout's local settings (not under test), then the
    environment, then the test mapping, and check it."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        local = read_local_settings(Path(app.instance_path) / LOCAL_SETTINGS_FILE)
        for name, value in local.items():
            app.config[name.removeprefix("STATUSPAGE_")] = _loaded(value)
    app.config.from_prefixed_env("STATUSPAGE")
    if test_config:
        app.config.from_mapping(test_config)
    # prometheus-client reads this variable itself; it is recorded here so the app can see it too.
    app.config.setdefault("METRICS_MULTIPROC_DIR", os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    app.config.setdefault("WEB_CONCURRENCY", _count("WEB_CONCURRENCY", default_web_workers()))
    app.config.setdefault("WEB_THREADS", _count("WEB_THREADS", 1))
    _derive(app)
    _check(app.config)


def read_local_settings(path: Path) -> dict[str, str]:
    """The STATUSPAGE_* lines (NAME=value) of a local settings file; none if there is no file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    settings = {}
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip().startswith("STATUSPAGE_"):
            raise ConfigurationError(f"{path}, line {number}: expected STATUSPAGE_NAME=value")
        settings[name.strip()] = value.strip()
    return settings


def _loaded(value: str) -> Any:
    # As from_prefixed_env reads the environment: JSON where it parses, else the string.
    try:
        return json.loads(value)
    except ValueError:
        return value


def _count(name: str, default: int) -> int:
    """A count of processes or threads from the environment: a whole number from 1 to 256."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 256):
        raise ConfigurationError(f"{name} must be a whole number from 1 to 256, not {text[:20]!r}")
    return int(text)


def default_web_workers() -> int:
    """One web worker per core the process may use (at least two, so one busy worker never stops
    the site), each running one request at a time (WEB_THREADS 1).

    Measured with bench/run.py on 2 cores: threads of one process share the interpreter lock, and
    a second thread per worker, or a worker more than the cores, cost a sixth of the cache-hit
    rate and doubled its p99."""
    return max(2, len(os.sched_getaffinity(0)))


def _derive(app: Flask) -> None:
    config = app.config
    database_url = config["DATABASE_URL"] or _default_sqlite_url(app.instance_path)
    config["DATABASE_URL"] = normalise_database_url(database_url)
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(config["DATABASE_URL"], config)
    is_https = str(config["BASE_URL"]).startswith("https://")
    config.update(
        # from_prefixed_env parses values as JSON: a key of digits would arrive as a number.
        SECRET_KEY=str(config["SECRET_KEY"] or ""),
        METRICS_TOKEN=str(config["METRICS_TOKEN"]) if config["METRICS_TOKEN"] else None,
        BASE_URL=str(config["BASE_URL"]).rstrip("/"),
        TESTING=config["ENV"] == "testing",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=is_https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=is_https,
        PREFERRED_URL_SCHEME="https" if is_https else "http",
    )


def _default_sqlite_url(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'statuspage.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Point plain postgres:// and postgresql:// URLs at psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _check(config: Mapping[str, Any]) -> None:
    if config["ENV"] not in {"production", "development", "testing"}:
        raise ConfigurationError(
            f"STATUSPAGE_ENV must be production, development or testing, not {config['ENV']!r}"
        )
    try:
        ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigurationError(
            f"STATUSPAGE_TIMEZONE {config['TIMEZONE']!r} is not an IANA time zone"
        ) from error
    account_slowdown = float(config["LOGIN_MAX_ACCOUNT_SLOWDOWN_SECONDS"])
    if not 0 <= account_slowdown <= LONGEST_ACCOUNT_SLOWDOWN_SECONDS:
        raise ConfigurationError(
            "STATUSPAGE_LOGIN_MAX_ACCOUNT_SLOWDOWN_SECONDS must be between 0 and "
            f"{LONGEST_ACCOUNT_SLOWDOWN_SECONDS}: more would let anyone keep an account's owner out."
        )
    for name in TIMEOUTS:
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigurationError(f"STATUSPAGE_{name} must be a number of seconds above 0")
    smtp_url = config["SMTP_URL"]
    if smtp_url and urlsplit(str(smtp_url)).scheme not in {"smtp", "smtps"}:
        raise ConfigurationError(
            "STATUSPAGE_SMTP_URL must start with smtp:// (plain, or STARTTLS with ?starttls=true) "
            "or smtps:// (TLS from the start)."
        )
    if not config["PASSWORD_SIGNIN"] and not (
        config["OIDC_ISSUER"] and config["BREAK_GLASS_ADMIN"]
    ):
        raise ConfigurationError(
            "STATUSPAGE_PASSWORD_SIGNIN=false needs single sign-on (STATUSPAGE_OIDC_ISSUER) and a "
            "break-glass admin who may still use a password (STATUSPAGE_BREAK_GLASS_ADMIN)."
        )
    token = config["METRICS_TOKEN"]
    if token and len(token) < MIN_METRICS_TOKEN_LENGTH:
        raise ConfigurationError(
            f"STATUSPAGE_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters "
            '(python -c "import secrets; print(secrets.token_urlsafe(32))").'
        )
    if config["ENV"] == "production":
        key = config["SECRET_KEY"]
        if key == DEVELOPMENT_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                "Refusing to start in production without a real secret key: set "
                f"STATUSPAGE_SECRET_KEY to at least {MIN_SECRET_KEY_LENGTH} random characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))"), '
                "or STATUSPAGE_ENV=development on your own machine."
            )
