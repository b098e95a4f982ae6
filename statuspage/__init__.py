"""statuspage: a status page that keeps the promises made during an incident.

create_app() is the only place that wires the pieces together; worker_app() is the app one web
server worker serves (statuspage/serving.py starts the server).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config, Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from statuspage import cli
from statuspage.core import database, language, security, telemetry
from statuspage.core.config import ConfigurationError, load_config
from statuspage.core.site import PAGE_NAME_SOURCE
from statuspage.extensions import csrf, db, limiter, login_manager, migrate
from statuspage.publicsite import cache as public_cache
from statuspage.publicsite.snapshot import start_in_background
from statuspage.services import accounts
from statuspage.services.branding import settings as branding
from statuspage.services.identity import second_factor, sso
from statuspage.services.incidents import checkins
from statuspage.views import (
    admin,
    api,
    api_v1,
    auth,
    errors,
    filters,
    health,
    hooks,
    inputs,
    internal,
    oidc,
    public,
    sessions,
    subscriptions,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Templates, static files and migrations live beside the package, not inside it: the app runs from
# a source checkout or an editable install (the Dockerfile installs it that way).
TEMPLATE_FOLDER = PROJECT_ROOT / "templates"
STATIC_FOLDER = PROJECT_ROOT / "static"
MIGRATIONS_FOLDER = PROJECT_ROOT / "migrations"
TRANSLATIONS_FOLDER = PROJECT_ROOT / "translations"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers and commands."""
    if not (TEMPLATE_FOLDER / "base.html").is_file():
        raise ConfigurationError(
            f"Templates not found in {TEMPLATE_FOLDER}: install statuspage from a source checkout "
            "with `pip install -e .` (see README)."
        )
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(TEMPLATE_FOLDER),
        static_folder=str(STATIC_FOLDER),
    )
    load_config(app, test_config)
    _read_domain_settings(app.config)
    if app.config["ENV"] != "testing":
        telemetry.configure_logging(app.config["LOG_LEVEL"])
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    # Before the CSRF check and the routes: see views.inputs.
    inputs.init_app(app)
    language.init_app(app, TRANSLATIONS_FOLDER)
    db.init_app(app)
    with app.app_context():
        database.guard(db.engine, app.config)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_FOLDER), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to see that page."
    login_manager.user_loader(accounts.user_for_session)
    sessions.init_app(app)
    app.extensions[PAGE_NAME_SOURCE] = branding.page_name

    for blueprint in (
        public.bp,
        api.bp,
        api_v1.bp,
        auth.bp,
        oidc.bp,
        admin.bp,
        internal.bp,
        health.bp,
        subscriptions.bp,
        hooks.bp,
    ):
        app.register_blueprint(blueprint)
    errors.init_app(app)
    filters.init_app(app)
    telemetry.init_app(app)
    security.init_app(app)
    public_cache.init_app(app)
    cli.init_app(app)
    return app


def _read_domain_settings(config: Config) -> None:
    """Settings the domain reads, checked at start like the others (the tick, the incident page
    and sign-in read the results)."""
    config["CHECKIN_INTERVALS"] = checkins.checkin_intervals(config["CHECKIN_MINUTES"])
    config["SECOND_FACTOR_ROLES"] = second_factor.roles_needing_it(config["SECOND_FACTOR_ROLES"])
    config["SSO_PROVIDER"] = sso.Provider.from_settings(config)


def worker_app() -> Flask:
    """The app one production web worker serves: built in the worker process itself (nothing
    connected is shared across a fork) and, in snapshot mode, keeping the host's snapshot folder."""
    app = create_app()
    start_in_background(app)
    # Whoever stops the server soon after start (tests, deploy scripts) can wait for one of these
    # lines per worker: a worker still building its app would hold the stop up.
    app.logger.info("worker ready", extra={"pid": os.getpid()})
    return app
