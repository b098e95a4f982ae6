"""Public responses, rendered once per publication version per process and served from memory.

A request costs at most one cheap query: the publication version, itself remembered for a fraction
of a second (VERSION_CHECK_SECONDS) so a stampede asks the database a few times a second, not once
per request, and a publication still shows everywhere within a second. When the version moves, one
thread renders the new body while the others keep serving the previous one (or wait for it, if
there is none). Bodies are stored with their gzip form, a content ETag and Last-Modified, so a hit
is a dictionary lookup. When the database cannot be reached, the last good body is served with
headers saying how old it is; a process that never rendered the page answers the app's 503 for a
database that is away.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from prometheus_client import Counter
from werkzeug.http import http_date, parse_accept_header, parse_date

from statuspage.core.clock import utcnow
from statuspage.core.database import DatabaseUnavailable
from statuspage.core.security import SECURITY_HEADERS
from statuspage.core.telemetry import LATENCY, REQUESTS
from statuspage.extensions import DATABASE_UNREACHABLE, db
from statuspage.publicsite.render import Body
from statuspage.services.public.version import PublicationState, current_publication

log = logging.getLogger(__name__)

CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30, stale-if-error=86400"
STALE_CACHE_CONTROL = "public, max-age=5, stale-if-error=86400"
MAX_ENTRIES = 512
MAX_ROUTES = (
    4096  # addresses the fast path knows (query strings vary; the set is emptied when full)
)
RENDER_WAIT_SECONDS = 30

RENDERS = Counter(
    "statuspage_public_renders_total",
    "Public surfaces rendered (cache misses), by endpoint.",
    ["endpoint"],
)
STALE_ANSWERS = Counter(
    "statuspage_public_stale_answers_total",
    "Public answers served from an old copy because the database was unreachable.",
    ["endpoint"],
)


@dataclass(frozen=True)
class CachedBody:
    version: int
    body: Body
    gzipped: bytes
    etag: str  # a digest of the content, the same in every process
    last_modified: datetime
    last_modified_http: str
    built_at: float  # time.time() when rendered

    def is_current(self, state: PublicationState, now: datetime) -> bool:
        expires_at = self.body.expires_at
        return self.version >= state.version and (expires_at is None or now < expires_at)


class PublicationClock:
    """The publication version, asked of the database at most once per interval per process."""

    def __init__(self, interval: float, app: Flask) -> None:
        self.interval = interval
        self.app = app
        self._known: PublicationState | None = None
        self._checked_at = 0.0
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    def read(self) -> PublicationState:
        """The version as of at most `interval` seconds ago, or DatabaseUnavailable."""
        known, now = self._known, time.monotonic()
        if known is not None and now - self._checked_at < self.interval:
            return known
        if self._failed_at is not None and now - self._failed_at < self.interval:
            raise DatabaseUnavailable()
        # One thread asks; the others go on with the version they know (or wait if none).
        if not self._lock.acquire(blocking=known is None):
            return known  # type: ignore[return-value]
        try:
            now = time.monotonic()
            if self._known is not None and now - self._checked_at < self.interval:
                return self._known
            if self._failed_at is not None and now - self._failed_at < self.interval:
                raise DatabaseUnavailable()  # another thread has just asked in vain
            try:
                with self.app.app_context():
                    state = _ask_database()
            except sa.exc.SQLAlchemyError as error:
                self._failed_at = time.monotonic()
                log.warning("publication version unreadable", extra={"error": _first_line(error)})
                raise DatabaseUnavailable() from error
            self._known, self._checked_at, self._failed_at = state, time.monotonic(), None
            return state
        finally:
            self._lock.release()

    def forget(self) -> None:
        """Know no version, as a process that just started (the database was replaced)."""
        with self._lock:
            self._known, self._checked_at, self._failed_at = None, 0.0, None


def _address(environ: dict[str, Any]) -> tuple[str, str]:
    return environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")


def _ask_database() -> PublicationState:
    try:
        return current_publication()
    finally:
        # Hand the connection back at once; a hit must not hold one while it writes the body.
        db.session.remove()


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


class ResponseCache:
    """Rendered bodies by key, at most MAX_ENTRIES, least recently used dropped first."""

    def __init__(self, clock: PublicationClock) -> None:
        self.clock = clock
        self._entries: OrderedDict[Hashable, CachedBody] = OrderedDict()
        self._routes: dict[tuple[str, str], tuple[Hashable, str]] = {}
        self._rendering: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every body and the version, as a process that just started (used when the
        database behind the app is replaced, as between tests)."""
        with self._lock:
            self._entries.clear()
            self._routes.clear()
        self.clock.forget()

    def learn(self, environ: dict[str, Any], key: Hashable, endpoint: str) -> None:
        """Remember which cache key (and endpoint) the view found for this address."""
        if len(self._routes) >= MAX_ROUTES:
            self._routes.clear()
        self._routes[_address(environ)] = (key, endpoint)

    def route(self, environ: dict[str, Any]) -> tuple[Hashable, str] | None:
        """The cache key and endpoint learned for this address, if any."""
        return self._routes.get(_address(environ))

    def lookup(self, key: Hashable) -> CachedBody | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def get(
        self, key: Hashable, state: PublicationState, render: Callable[[], Body], endpoint: str
    ) -> CachedBody:
        """The body for the current version: from memory, or rendered by one thread only."""
        while True:
            now = utcnow()
            entry = self.lookup(key)
            if entry is not None and entry.is_current(state, now):
                return entry
            with self._lock:
                pending = self._rendering.get(key)
                is_leader = pending is None
                if is_leader:
                    pending = self._rendering[key] = threading.Event()
            if is_leader:
                break
            if entry is not None:
                return entry  # the previous body while another thread renders the new one
            assert pending is not None
            pending.wait(RENDER_WAIT_SECONDS)
            # The leader failed (or the page does not exist): try again, perhaps as the leader.
            entry = self.lookup(key)
            if entry is not None and entry.is_current(state, utcnow()):
                return entry
        try:
            fresh = self._render(key, state, render, previous=entry, now=now)
            RENDERS.labels(endpoint).inc()
            return fresh
        finally:
            with self._lock:
                self._rendering.pop(key).set()

    def _render(
        self,
        key: Hashable,
        state: PublicationState,
        render: Callable[[], Body],
        *,
        previous: CachedBody | None,
        now: datetime,
    ) -> CachedBody:
        body = render()
        etag = hashlib.sha256(body.content).hexdigest()[:24]
        if previous is not None and previous.etag == etag:
            last_modified = previous.last_modified
        elif previous is None or previous.version != state.version:
            last_modified = state.changed_at
        else:
            last_modified = now  # the same version, changed by time alone (a new day)
        entry = CachedBody(
            version=state.version,
            body=body,
            gzipped=gzip.compress(body.content, compresslevel=6, mtime=0),
            etag=etag,
            last_modified=last_modified.astimezone(UTC).replace(microsecond=0),
            last_modified_http=http_date(last_modified),
            built_at=time.time(),
        )
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        return entry


class SharedResponse(Response):
    """A response every reader gets alike: it never carries or varies on the reader's session."""


class _SessionInterface(SecureCookieSessionInterface):
    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # A cookie on a shared response could be stored by a CDN and handed to everyone.
        if isinstance(response, SharedResponse):
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Give the app its own cache (one per process: each worker builds its own app), and answer
    cache hits before Flask's request handling (FastPath).
    """
    clock = PublicationClock(float(app.config["PUBLIC_VERSION_CHECK_SECONDS"]), app)
    cache = app.extensions["public_cache"] = ResponseCache(clock)
    app.session_interface = _SessionInterface()
    app.wsgi_app = FastPath(cache, app.wsgi_app)  # type: ignore[method-assign]


def serve(key: Hashable, render: Callable[[], Body]) -> Response:
    """Answer the request from the cache, rendering on a miss; with the database away, the last
    good copy, or the error for the app's 503 when there is none."""
    cache: ResponseCache = current_app.extensions["public_cache"]
    endpoint = request.endpoint or "public"
    try:
        state = cache.clock.read()
        entry = cache.get(key, state, render, endpoint)
    except (DatabaseUnavailable, *DATABASE_UNREACHABLE) as error:
        # Only an outage: a database error about the request (an id out of range) is no reason
        # to serve an old body or say the database is away (views.errors answers it).
        if not isinstance(error, DatabaseUnavailable):
            log.warning("public render failed", extra={"error": _first_line(error)})
            _forget_session()
        entry = cache.lookup(key)
        if entry is None:
            raise
        STALE_ANSWERS.labels(endpoint).inc()
        status, headers, body = answer(entry, request.environ, stale=True)
        return SharedResponse(body, status=status, headers=headers)
    # From now on the fast path answers this address while the body stays current.
    cache.learn(request.environ, key, endpoint)
    status, headers, body = answer(entry, request.environ, stale=False)
    return SharedResponse(body, status=status, headers=headers)


def _forget_session() -> None:
    db.session.rollback()
    db.session.remove()


def answer(
    entry: CachedBody, environ: dict[str, Any], *, stale: bool
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for this request: gzip if accepted, 304 if the copy is current."""
    body = entry.body
    wants_gzip = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))
    headers = [
        ("ETag", f'"{entry.etag}-gzip"' if wants_gzip else f'"{entry.etag}"'),
        ("Last-Modified", entry.last_modified_http),
        ("Cache-Control", STALE_CACHE_CONTROL if stale else CACHE_CONTROL),
        ("Vary", "Accept-Encoding"),
    ]
    if body.is_shared_across_origins:
        headers.append(("Access-Control-Allow-Origin", "*"))
    if stale:
        age = max(0, int(time.time() - entry.built_at))
        headers += [
            ("Age", str(age)),
            ("Warning", f'111 - "Revalidation Failed: database unreachable; {age} s old"'),
            ("X-Statuspage-Stale", f"database unreachable; built {http_date(entry.built_at)}"),
        ]
    if _not_modified(entry, environ):
        return 304, headers, b""
    headers.append(("Content-Type", body.content_type))
    if wants_gzip:
        headers.append(("Content-Encoding", "gzip"))
        return 200, headers, entry.gzipped
    return 200, headers, body.content


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether this Accept-Encoding takes gzip (clients send a handful of distinct values, so
    each is parsed once, not on every hit)."""
    return parse_accept_header(accept_encoding).quality("gzip") > 0


def _not_modified(entry: CachedBody, environ: dict[str, Any]) -> bool:
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_none_match.split(",")}
        return "*" in tags or bool(tags & {entry.etag, f"{entry.etag}-gzip"})
    since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    return since is not None and entry.last_modified <= since


class FastPath:
    """WSGI middleware: answers a GET whose current body is in the cache without entering Flask.

    It knows an address only after Flask's view has served it once (so arguments are parsed, and
    checked, in one place), and hands everything else to Flask: misses, renders, errors, outages.
    A hit sends the same headers as the view would (security headers included) and is counted in
    the request metrics; it writes no log line, since at stampede rates that line would cost more
    than the answer.
    """

    def __init__(self, cache: ResponseCache, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.cache = cache
        self.wsgi_app = wsgi_app
        # The metrics' children by labels: finding one by its labels costs more than the answer.
        self._metrics: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD")
        learned = self.cache.route(environ) if method in ("GET", "HEAD") else None
        if learned is not None:
            key, endpoint = learned
            try:
                state = self.cache.clock.read()
            except DatabaseUnavailable:
                state = None
            entry = self.cache.lookup(key) if state is not None else None
            if entry is not None and state is not None and entry.is_current(state, utcnow()):
                status, headers, body = answer(entry, environ, stale=False)
                headers += SECURITY_HEADERS
                headers.append(("Content-Length", str(len(body))))
                start_response(_STATUS_LINES[status], headers)
                self._count(endpoint, method, status, time.perf_counter() - started)
                return [b"" if method == "HEAD" else body]
        return self.wsgi_app(environ, start_response)

    def _count(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        labels = (endpoint, method, status)
        children = self._metrics.get(labels)
        if children is None:
            children = (REQUESTS.labels(endpoint, method, str(status)), LATENCY.labels(endpoint))
            self._metrics[labels] = children
        children[0].inc()
        children[1].observe(seconds)


_STATUS_LINES = {200: "200 OK", 304: "304 Not Modified"}
