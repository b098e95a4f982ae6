"""A real HTTP server on 127.0.0.1 that records every webhook POST and answers as told."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered


class WebhookReceiver:
    """Answers 200 unless `fail_next` queued other status codes, and records each request."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answers: deque[int] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/statuspage"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, *statuses: int) -> None:
        with self._lock:
            self._answers.extend(statuses)

    def accepted(self) -> list[Received]:
        """The requests answered with a 2xx."""
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            status = self._answers.popleft() if self._answers else 200
            self.requests.append(Received(path, headers, body, status))
        return status

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._answer(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test reads `requests`

        return Handler
