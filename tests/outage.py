"""Databases a test can make unreachable: a TCP proxy on 127.0.0.1 in front of the shared
PostgreSQL server (which is never stopped: others use it), or a SQLite file moved away. The proxy
can also fall silent: it keeps accepting connections and reading them, and answers nothing, as a
hung server does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from statuspage import create_app
from statuspage.extensions import db
from tests.databases import fresh_database_url, postgres_base_url
from tests.helpers import settings_for


class TcpProxy:
    """Forwards connections on 127.0.0.1:`port` to the target until stop(); between silence()
    and resume() it passes nothing on, either way."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = False
        self._silent = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def silence(self) -> None:
        """Accept and read as before, answer nothing: the kernel still acknowledges every byte,
        so to the client the connection looks healthy."""
        self._silent.set()

    def resume(self) -> None:
        """Forward again. Connections opened while silent stay silent: their clients gave up."""
        self._silent.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._silent.is_set():
                with self._lock:
                    self._sockets.append(client)
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)  # the timeout was for connecting: a pooled connection idles
            with self._lock:
                if self._stopped:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _swallow(client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while client.recv(65536):
                pass

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if not self._silent.is_set():
                    sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a stopped server would."""
        with self._lock:
            self._stopped = True
            sockets, self._sockets = self._sockets, []
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@dataclass
class BreakableDatabase:
    """A database with the schema in place, and a way to make it unreachable mid-test; on
    PostgreSQL, the proxy in front of it (which can also fall silent)."""

    url: str
    stop: Callable[[], None]
    proxy: TcpProxy | None = None


def breakable_database(name: str, folder: Path) -> BreakableDatabase:
    """On PostgreSQL the app reaches the server through a proxy that stop() shuts; on SQLite
    stop() moves the file away and leaves a directory in its place.

    On SQLite, connections opened before stop() still read the moved file: an app under test
    disposes its engine after stop() to open new ones.
    """
    url = fresh_database_url(name, folder)
    app = create_app(settings_for(url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    if postgres_base_url() is None:
        path = Path(make_url(url).database or "")

        def move_away() -> None:
            path.rename(path.with_name(path.name + ".away"))
            path.mkdir()

        return BreakableDatabase(url, move_away)
    target = make_url(url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxied = target.set(host="127.0.0.1", port=proxy.port)
    return BreakableDatabase(proxied.render_as_string(hide_password=False), proxy.stop, proxy)


def statement_limit(connection: sa.Connection) -> float:
    """The seconds a statement may run (PostgreSQL) or wait for a lock (SQLite) on a connection."""
    if connection.dialect.name == "sqlite":
        return connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() / 1000
    setting = "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'"
    return int(connection.exec_driver_sql(setting).scalar_one()) / 1000
