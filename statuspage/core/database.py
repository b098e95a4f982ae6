"""How long the app waits for its database, and what counts as the database being away.

Every wait has a bound, so that a database that is down or hung costs a request a few seconds and
a clear 503 (or the public site its last good copy), never a worker held for ever:

- connecting: `DATABASE_CONNECT_TIMEOUT` (libpq's connect_timeout, which covers the whole
  handshake, so a server that accepts and never answers is given up on too);
- a free connection from the pool: `DATABASE_POOL_TIMEOUT`;
- one statement: `DATABASE_STATEMENT_TIMEOUT`, told to each new connection. PostgreSQL cancels a
  statement that runs longer (a query stuck behind a lock, say) and says so; SQLite waits that
  long for a lock. Connections made after the scheduler or a migration raise the setting get
  their longer limit.
- an answer: a server that cannot run cannot send its own timeout, and TCP keepalives or
  tcp_user_timeout do not notice it either as long as its kernel (or a proxy in front of it)
  still acknowledges what is sent. So each PostgreSQL connection stops waiting for an answer a
  second after the statement timeout, and is closed: the pool then counts it, and every
  connection made before, as lost, and the next request connects afresh.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping
from typing import Any

import psycopg
import sqlalchemy as sa

# A hung or unreachable database shows as one of these. Programming errors (a bad query) are not
# among them: they stay 500s.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,  # refused, timed out, cancelled by statement_timeout, SQLite locked
    sa.exc.InterfaceError,  # a connection already closed under us
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,  # no free connection in the pool
)
RETRY_AFTER_SECONDS = 30
# The server's own statement timeout, with its error, comes first; the client gives up only on a
# server that says nothing at all.
ANSWER_GRACE_SECONDS = 1.0


class DatabaseUnavailable(Exception):
    """The database could not be asked (the public cache's word for any of UNAVAILABLE_ERRORS)."""


def engine_options(database_url: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Engine settings per backend (the per-connection ones are set by `guard`)."""
    options: dict[str, Any] = {}
    if database_url.startswith("postgresql"):
        options["pool_pre_ping"] = True
        options["connect_args"] = {"connect_timeout": settings["DATABASE_CONNECT_TIMEOUT"]}
    if database_url != "sqlite://":  # an in-memory SQLite database has one connection, no pool
        options["pool_timeout"] = settings["DATABASE_POOL_TIMEOUT"]
    return options


def guard(engine: sa.Engine, settings: Mapping[str, Any]) -> None:
    """Give each new connection of `engine` the statement timeout `settings` hold as it is made
    (DATABASE_STATEMENT_TIMEOUT), and on PostgreSQL the deadline for an answer that goes with it.
    """

    @sa.event.listens_for(engine, "do_connect")
    def connect(dialect: sa.Dialect, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        seconds = float(settings["DATABASE_STATEMENT_TIMEOUT"])
        if dialect.name == "sqlite":
            cparams["timeout"] = seconds  # how long to wait for another writer's lock
            return None
        if dialect.name != "postgresql":
            return None
        given = cparams.get("options", "")
        cparams["options"] = f"{given} -c statement_timeout={int(seconds * 1000)}".strip()
        connection = AnsweringConnection.connect(*cargs, **cparams)
        connection.answer_timeout = seconds + ANSWER_GRACE_SECONDS
        return connection


class AnsweringConnection(psycopg.Connection[Any]):
    """A psycopg connection that stops waiting for a server that has stopped answering.

    Every blocking exchange of a psycopg connection (a query, a commit, a rollback, the pool's
    ping) goes through wait(), which resumes the exchange at least every tenth of a second even
    when nothing arrived; the deadline is checked there.
    """

    answer_timeout: float | None = None

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        if self.answer_timeout is None:
            return super().wait(gen, *args, **kwargs)
        deadline = time.monotonic() + self.answer_timeout
        try:
            return super().wait(_until(gen, deadline), *args, **kwargs)
        except _NoAnswer:
            # Halfway through an exchange the connection is of no further use.
            self.close()
            raise psycopg.OperationalError(
                f"the database sent no answer within {self.answer_timeout:g} s"
            ) from None


class _NoAnswer(Exception):
    pass


def _until(gen: Generator[Any, Any, Any], deadline: float) -> Generator[Any, Any, Any]:
    """`gen`, passed through, raising _NoAnswer when resumed after the deadline."""
    try:
        state = next(gen)
        while True:
            ready = yield state
            if time.monotonic() >= deadline:
                raise _NoAnswer()
            state = gen.send(ready)
    except StopIteration as done:
        return done.value


def allow_statements(seconds: float, *, settings: dict[str, Any], engine: sa.Engine) -> None:
    """Give connections made from now on `seconds` per statement (the scheduler and migrations
    need longer than a web request), and let go of those made with the old limit."""
    settings["DATABASE_STATEMENT_TIMEOUT"] = seconds
    engine.dispose()
