"""Flask commands: accounts, defaults and demo data, alert integrations, the web server, the
scheduler, and running a job by hand."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from statuspage import demo
from statuspage.core.addresses import alert_receiver_path
from statuspage.core.clock import utcnow
from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import IntegrationKind, IntegrationMode, Role
from statuspage.publicsite.export import export_site
from statuspage.publicsite.snapshot import start_in_background
from statuspage.scheduler import run_job_by_name, run_scheduler
from statuspage.services import accounts
from statuspage.services.alerts import integrations
from statuspage.services.api import keys
from statuspage.services.defaults import ensure_defaults
from statuspage.serving import serve as serve_forever


def init_app(app: Flask) -> None:
    for command in (
        create_user,
        create_api_key,
        set_password,
        create_integration,
        setup,
        seed_demo,
        scheduler,
        run_job,
        export,
        snapshot,
        serve,
    ):
        app.cli.add_command(command)


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.VIEWER.value,
    show_default=True,
)
@click.option("--name", help="Display name (default: the part of the email before the @).")
@click.option(
    "--generate-password",
    is_flag=True,
    help="Generate a password and print it once instead of prompting for one.",
)
@click.option("--if-missing", is_flag=True, help="Do nothing if the account already exists.")
def create_user(
    email: str, role: str, name: str | None, generate_password: bool, if_missing: bool
) -> None:
    """Create a console account (prompts for a password unless --generate-password)."""
    if accounts.find_user(email) is not None:
        if if_missing:
            click.echo(
                f"{accounts.normalise_email(email)} already exists; its password is "
                "unchanged (flask --app statuspage set-password to reset it)."
            )
            return
        raise click.ClickException(f"There is already an account for {email}.")
    password = _new_password(generate_password)
    try:
        user = accounts.create_user(
            email, name=name, role=Role(role), password=password, now=utcnow()
        )
    except ValidationError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")
    if generate_password:
        click.echo(f"Password (shown once): {password}")


@click.command("create-api-key")
@with_appcontext
@click.argument("email")
@click.option("--name", required=True, help="What the key is for (shown in the audit trail).")
@click.option("--read-only", is_flag=True, help="The key may only read.")
def create_api_key(email: str, name: str, read_only: bool) -> None:
    """Make an API key acting as the account; the key alone is printed on the last line."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    try:
        api_key, key = keys.create_key(user, name=name, read_only=read_only, by=user, now=utcnow())
    except ValidationError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    rights = "read-only" if api_key.read_only else f"acting as a {user.role}"
    click.echo(f"Made API key {api_key.name!r} for {user.email} ({rights}); it is shown once:")
    click.echo(key)


@click.command("set-password")
@with_appcontext
@click.argument("email")
@click.option("--generate-password", is_flag=True, help="Generate one and print it once.")
def set_password(email: str, generate_password: bool) -> None:
    """Set a new password for an existing account."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    password = _new_password(generate_password)
    try:
        accounts.set_password(user, password)
    except ValidationError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Password changed for {user.email}")
    if generate_password:
        click.echo(f"Password (shown once): {password}")


@click.command("create-integration")
@with_appcontext
@click.argument("kind", type=click.Choice([kind.value for kind in IntegrationKind]))
@click.option("--name", required=True, help="How the console and the timeline name it.")
@click.option(
    "--mode",
    type=click.Choice([mode.value for mode in IntegrationMode]),
    default=IntegrationMode.DRAFT.value,
    show_default=True,
)
def create_integration(kind: str, name: str, mode: str) -> None:
    """Create a monitoring integration and print its receiver URL (with its secret, shown once)
    alone on the last line."""
    settings = integrations.Settings(name=name, mode=IntegrationMode(mode))
    try:
        integration, secret = integrations.create_integration(
            IntegrationKind(kind), settings, key=current_app.config["SECRET_KEY"], by=None,
            now=utcnow(),
        )  # fmt: skip
    except ValidationError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created the {integration.kind.label} integration {integration.name!r} "
               f"({integration.mode}). Its receiver URL, shown once:")  # fmt: skip
    click.echo(current_site().url + alert_receiver_path(integration.id, secret))


@click.command("setup")
@with_appcontext
def setup() -> None:
    """Add the built-in audiences, templates and cadence policies that are missing."""
    ensure_defaults(now=utcnow())
    db.session.commit()
    click.echo("Defaults are in place.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only if there are no components or incidents yet.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo organisation (safe to run again: it only adds what is missing)."""
    if if_empty and demo.has_content():
        click.echo("The database already has content; demo data not loaded.")
        return
    demo.seed_demo(now=utcnow(), site=current_site())
    db.session.commit()
    click.echo("Demo data is in place.")


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the scheduler in the foreground (one per deployment on SQLite)."""
    run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("serve")
@with_appcontext
def serve() -> None:
    """Serve the app as production does: STATUSPAGE_BIND, WEB_CONCURRENCY workers (Ctrl-C stops)."""
    try:
        serve_forever(current_app)
    except ValueError as error:  # a setting it cannot use: said in a line, not a traceback
        raise click.ClickException(str(error)) from error


@click.command("run-job")
@with_appcontext
@click.argument("name")
def run_job(name: str) -> None:
    """Run one scheduled job now, e.g. `flask --app statuspage run-job purge-login-failures`."""
    try:
        result = run_job_by_name(current_app._get_current_object(), name)  # type: ignore[attr-defined]
    except KeyError as error:
        raise click.ClickException(str(error.args[0])) from error
    click.echo(f"{name}: {result!r}")


@click.command("export")
@with_appcontext
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export(folder: Path) -> None:
    """Write the whole public site into FOLDER as static files for any web server or CDN."""
    started = time.perf_counter()
    manifest = export_site(folder, now=utcnow())
    seconds = time.perf_counter() - started
    click.echo(
        f"Exported {manifest.written} files (version {manifest.version}) to {folder} in {seconds:.1f} s"
    )


@click.command("snapshot")
@with_appcontext
def snapshot() -> None:
    """Keep STATUSPAGE_SNAPSHOT_DIR equal to the public site, in the foreground (web workers do
    this themselves in snapshot mode; this is for hosts that run the app some other way).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    keeper = start_in_background(app)
    if keeper is None:
        raise click.ClickException("Set STATUSPAGE_SNAPSHOT_DIR to the folder nginx serves.")
    click.echo(f"Keeping {app.config['SNAPSHOT_DIR']} current; Ctrl-C stops.")
    try:
        while keeper.is_alive():
            keeper.join(1)
    except KeyboardInterrupt:
        keeper.stop()


def _new_password(generate: bool) -> str:
    if generate:
        return accounts.generate_password()
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)
