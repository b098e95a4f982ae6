"""Databases a test can make unreachable: a TCP proxy on 127.0.0.1 in front of the shared
PostgreSQL server (which is never stopped: others use it), or a SQLite file moved away.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from statuspage import create_app
from statuspage.extensions import db
from tests.databases import fresh_database_url, postgres_base_url
from tests.helpers import settings_for


class TcpProxy:
    """Forwards connections on 127.0.0.1:`port` to the target until stop()."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._stopped:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
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
    """A database with the schema in place, and a way to make it unreachable mid-test."""

    url: str
    stop: Callable[[], None]


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
    return BreakableDatabase(proxied.render_as_string(hide_password=False), proxy.stop)
