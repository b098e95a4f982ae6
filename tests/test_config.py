"""Settings: environment variables, production safety, derived cookie and database settings."""

import pytest

from statuspage import TEMPLATE_FOLDER, create_app
from statuspage.core import config
from statuspage.core.config import (
    DEVELOPMENT_SECRET_KEY,
    ConfigurationError,
    normalise_database_url,
    read_local_settings,
)
from tests.helpers import settings_for


def test_production_refuses_to_start_with_the_development_secret_key(database_url):
    with pytest.raises(ConfigurationError, match="STATUSPAGE_SECRET_KEY"):
        create_app(settings_for(database_url, ENV="production", SECRET_KEY=DEVELOPMENT_SECRET_KEY))


def test_production_refuses_a_short_secret_key(database_url):
    with pytest.raises(ConfigurationError):
        create_app(settings_for(database_url, ENV="production", SECRET_KEY="short"))


def test_production_starts_with_a_real_secret_key(database_url):
    app = create_app(settings_for(database_url, ENV="production", SECRET_KEY="k" * 48))
    assert app.config["ENV"] == "production" and not app.testing


@pytest.fixture(autouse=True)
def no_local_settings(monkeypatch, tmp_path):
    """The checkout's own instance/local.env (written by `make run`) is not this module's world."""
    monkeypatch.setattr(config, "LOCAL_SETTINGS_FILE", str(tmp_path / "local.env"))


def test_production_is_the_default_mode(monkeypatch, database_url):
    monkeypatch.delenv("STATUSPAGE_ENV", raising=False)
    monkeypatch.delenv("STATUSPAGE_SECRET_KEY", raising=False)
    monkeypatch.setenv("STATUSPAGE_DATABASE_URL", database_url)
    with pytest.raises(ConfigurationError):
        create_app()


def test_settings_come_from_statuspage_environment_variables(monkeypatch, database_url):
    monkeypatch.setenv("STATUSPAGE_ENV", "development")
    monkeypatch.setenv("STATUSPAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("STATUSPAGE_PAGE_NAME", "Widgets Inc Status")
    monkeypatch.setenv("STATUSPAGE_TIMEZONE", "America/Chicago")
    monkeypatch.setenv("STATUSPAGE_LOGIN_FREE_FAILURES_PER_ACCOUNT_ADDRESS", "3")
    app = create_app()
    assert app.config["PAGE_NAME"] == "Widgets Inc Status"
    assert app.config["TIMEZONE"] == "America/Chicago"
    assert app.config["LOGIN_FREE_FAILURES_PER_ACCOUNT_ADDRESS"] == 3


def test_an_unknown_time_zone_is_refused(database_url):
    with pytest.raises(ConfigurationError, match="IANA"):
        create_app(settings_for(database_url, TIMEZONE="Mars/Olympus"))


def test_the_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("STATUSPAGE_DATABASE_URL", raising=False)
    app = create_app({"ENV": "testing"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{app.instance_path}/statuspage.sqlite3"
    )


@pytest.mark.parametrize("value", [0, -2, "soon", True])
def test_a_database_timeout_must_be_some_seconds(database_url, value):
    with pytest.raises(ConfigurationError, match="STATUSPAGE_DATABASE_STATEMENT_TIMEOUT"):
        create_app(settings_for(database_url, DATABASE_STATEMENT_TIMEOUT=value))


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_postgres_urls_use_psycopg_3(url):
    assert normalise_database_url(url) == "postgresql+psycopg://u@h/db"


def test_cookies_are_secure_when_the_base_url_is_https(database_url):
    app = create_app(settings_for(database_url, BASE_URL="https://status.example.com/"))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["BASE_URL"] == "https://status.example.com"


def test_templates_resolve_from_the_top_level_folder(app):
    assert app.template_folder == str(TEMPLATE_FOLDER)
    assert (TEMPLATE_FOLDER / "base.html").is_file()
    assert app.jinja_env.get_template("base.html") is not None


def test_a_checkouts_local_settings_apply_where_the_environment_says_nothing(
    monkeypatch, database_url, tmp_path
):
    (tmp_path / "local.env").write_text(
        "STATUSPAGE_ENV=development\nSTATUSPAGE_PAGE_NAME=From the file\n"
    )
    monkeypatch.delenv("STATUSPAGE_ENV", raising=False)
    monkeypatch.setenv("STATUSPAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("STATUSPAGE_PAGE_NAME", "From the environment")
    app = create_app()
    assert app.config["ENV"] == "development"
    assert app.config["PAGE_NAME"] == "From the environment"


def test_the_local_settings_file_is_read_line_by_line(tmp_path):
    path = tmp_path / "local.env"
    path.write_text("# make run\n\nSTATUSPAGE_ENV=development\nSTATUSPAGE_PORT = 5000\n")
    assert read_local_settings(path) == {"STATUSPAGE_ENV": "development", "STATUSPAGE_PORT": "5000"}
    assert read_local_settings(tmp_path / "missing.env") == {}


@pytest.mark.parametrize("line", ["ENV=development", "STATUSPAGE_ENV development", "PATH=/tmp"])
def test_a_local_settings_line_that_is_not_a_setting_is_refused_with_its_place(tmp_path, line):
    path = tmp_path / "local.env"
    path.write_text(f"# ok\n{line}\n")
    with pytest.raises(ConfigurationError, match="local.env, line 2: expected STATUSPAGE_NAME"):
        read_local_settings(path)


@pytest.mark.parametrize("name", ["WEB_CONCURRENCY", "WEB_THREADS"])
@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5", "100000"])
def test_a_worker_or_thread_count_that_is_not_a_count_is_refused_by_name(
    monkeypatch, database_url, name, value
):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"{name} must be a whole number"):
        create_app(settings_for(database_url))


def test_worker_and_thread_counts_come_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("WEB_THREADS", " 2 ")
    app = create_app(settings_for(database_url))
    assert (app.config["WEB_CONCURRENCY"], app.config["WEB_THREADS"]) == (3, 2)
