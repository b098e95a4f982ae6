"""Flask commands: accounts, defaults, demo data and running a job by hand."""

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Audience, Component, Role
from statuspage.services.accounts import check_password, find_user


def test_create_user_with_a_generated_password_prints_it_once(app, runner):
    result = runner.invoke(
        args=["create-user", "Admin@Example.com", "--role", "admin", "--generate-password"]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("Password (shown once): ")[1].strip()
    with app.app_context():
        user = find_user("admin@example.com")
        assert user.role is Role.ADMIN and check_password(user, password)


def test_create_user_prompts_for_a_password(app, runner):
    secret = "a long enough password"
    result = runner.invoke(
        args=["create-user", "viewer@example.com"], input=f"{secret}\n{secret}\n"
    )
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    with app.app_context():
        user = find_user("viewer@example.com")
        assert user.role is Role.VIEWER and check_password(user, secret)


def test_create_user_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-user", "v@example.com"], input="short\nshort\n")
    assert result.exit_code != 0 and "at least 12 characters" in result.output


def test_create_user_refuses_a_duplicate_unless_told_to_skip_it(runner):
    runner.invoke(args=["create-user", "a@example.com", "--generate-password"])
    assert (
        runner.invoke(args=["create-user", "a@example.com", "--generate-password"]).exit_code == 1
    )
    again = runner.invoke(
        args=["create-user", "a@example.com", "--generate-password", "--if-missing"]
    )
    assert again.exit_code == 0 and "already exists" in again.output
    assert "shown once" not in again.output


def test_set_password_replaces_the_password(app, runner):
    runner.invoke(args=["create-user", "a@example.com", "--generate-password"])
    result = runner.invoke(args=["set-password", "a@example.com", "--generate-password"])
    password = result.output.split("Password (shown once): ")[1].strip()
    with app.app_context():
        assert check_password(find_user("a@example.com"), password)


def test_setup_adds_the_built_in_audiences(app, runner):
    assert runner.invoke(args=["setup"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(Audience).where(Audience.slug == "customers")).is_public


def test_seed_demo_if_empty_leaves_existing_content_alone(app, runner):
    with app.app_context():
        from tests.factories import make_component

        make_component("Our real API")
        db.session.commit()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "not loaded" in result.output
    with app.app_context():
        assert db.session.scalars(sa.select(Component.name)).all() == ["Our real API"]


def test_seed_demo_loads_the_demo(app, runner):
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Component)) >= 18


def test_run_job_runs_a_job_by_name(runner):
    result = runner.invoke(args=["run-job", "purge-login-failures"])
    assert result.exit_code == 0 and "purge-login-failures: 0" in result.output


def test_run_job_names_the_jobs_when_the_name_is_wrong(runner):
    result = runner.invoke(args=["run-job", "no-such-job"])
    assert result.exit_code == 1 and "purge-login-failures" in result.output


@pytest.mark.parametrize(
    "bind", ["8000", "localhost:", "host:port", "127.0.0.1:70000", "127.0.0.1:0"]
)
def test_serve_with_an_unusable_bind_address_says_so_without_a_traceback(app, bind):
    app.config["BIND"] = bind
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 1
    assert "STATUSPAGE_BIND must be HOST:PORT" in result.output
    assert "Traceback" not in result.output
