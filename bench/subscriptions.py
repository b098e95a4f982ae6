"""Benchmark: publish one update to 10,000 email subscribers, then 2,000 webhook subscribers.

Measures how long publishing takes (it only writes the outbox) and how fast the worker empties it
into a real SMTP server (aiosmtpd) and a real HTTP receiver, both on 127.0.0.1 in processes of their
own. Every message is counted at the receiving end, by its idempotency key, so a lost or doubled
one fails the run.

    .venv/bin/python bench/subscriptions.py                        # SQLite in a temporary folder
    .venv/bin/python bench/subscriptions.py --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import multiprocessing
import secrets
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statuspage import create_app
from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.jobs import send_deliveries
from statuspage.models import Audience, Severity, Subscriber, SubscriberKind
from statuspage.services.defaults import ensure_defaults
from statuspage.services.incidents import lifecycle as incidents
from statuspage.services.incidents import publishing
from statuspage.services.outbox.mailer import Email, SmtpSettings, compose, connect
from tests.databases import recreate_postgres_database
from tests.helpers import settings_for
from tests.mail import MailSink
from tests.webhook_receiver import WebhookReceiver

PUBLISH_BUDGET_MS = 200


def main() -> int:
    options = parse_arguments()
    database_url = prepare_database(options.database_url)
    sink = Receiver("mail")
    receiver = Receiver("webhook")
    app = create_app(
        settings_for(
            database_url,
            SMTP_URL=sink.url,
            WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
            DELIVERY_RUN_SECONDS=600,
        )
    )
    try:
        with app.app_context():
            db.create_all()
            ensure_defaults(now=utcnow())
            db.session.commit()
        # What the receiver accepts from senders that do nothing else, over as many sessions as
        # the worker opens, just before the worker sends to it: the ceiling for email.
        alone = receiver_alone(sink.url, options.emails, app.config["SMTP_CONNECTIONS"])
        sink.forget()
        email = run_case(app, "customers", SubscriberKind.EMAIL, options.emails, sink.url, options)
        hooks = run_case(
            app, "staff", SubscriberKind.WEBHOOK, options.webhooks, receiver.url, options
        )
        email_keys = sink.keys()
        hook_keys = receiver.keys()
    finally:
        sink.stop()
        receiver.stop()
        with app.app_context():
            db.engine.dispose()
    report(
        "email", email, received=len(email_keys), unique=len(set(email_keys)), wanted=options.emails
    )
    print(
        f"email receiver alone: {alone:.0f}/s over {app.config['SMTP_CONNECTIONS']} sessions; "
        f"the worker reached {email['per_second'] / alone:.0%} of it"
    )
    report(
        "webhook",
        hooks,
        received=len(hook_keys),
        unique=len(set(hook_keys)),
        wanted=options.webhooks,
    )
    ok = (
        all(run["publish_ms"] < PUBLISH_BUDGET_MS for run in (email, hooks))
        and len(set(email_keys)) == len(email_keys) == options.emails
        and len(set(hook_keys)) == len(hook_keys) == options.webhooks
    )
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


class Receiver:
    """The test suite's SMTP sink or webhook receiver, in a child process so it has a core."""

    def __init__(self, kind: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=serve, args=(kind, child), daemon=True)
        self._process.start()
        self.url = self._connection.recv()

    def forget(self) -> None:
        """Drop what was received so far."""
        self._connection.send("forget")
        self._connection.recv()

    def keys(self) -> list[str]:
        """The idempotency key of every message received (accepted) so far."""
        self._connection.send("keys")
        return self._connection.recv()

    def stop(self) -> None:
        if self._process.is_alive():
            self._connection.send("stop")
            self._process.join(10)


def serve(kind: str, connection: Connection) -> None:
    server = MailSink(parse=False).start() if kind == "mail" else WebhookReceiver().start()
    connection.send(server.url)
    while (command := connection.recv()) != "stop":
        if command == "forget":
            server.message_ids.clear()
            connection.send("ok")
        elif isinstance(server, MailSink):
            connection.send(list(server.message_ids))
        else:
            connection.send([r.headers["X-Statuspage-Delivery"] for r in server.accepted()])
    server.stop()


def receiver_alone(url: str, count: int, sessions: int) -> float:
    """Messages per second the SMTP receiver accepts from `sessions` senders sending one ready,
    typical message (a few kB of text and HTML) `count` times between them."""
    message = compose(
        Email(
            recipient="reader@example.com",
            subject="[Investigating] Bench",
            text="Update. " * 200,
            html="<p>" + "Update. " * 200 + "</p>",
            message_id="alone",
        ),
        sender="status@localhost",
        sender_name="Bench",
        now=utcnow(),
    )
    settings = SmtpSettings.from_url(url, timeout=30)

    def send(share: int) -> None:
        session = connect(settings)
        for _ in range(share):
            session.sendmail("status@localhost", ["reader@example.com"], message)
        session.quit()

    started = time.perf_counter()
    with ThreadPoolExecutor(sessions) as pool:
        list(pool.map(send, [count // sessions + (n < count % sessions) for n in range(sessions)]))
    return count / (time.perf_counter() - started)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=2_000)
    parser.add_argument("--publishes", type=int, default=5, help="publish latency samples per case")
    return parser.parse_args()


def prepare_database(url: str | None) -> str:
    if url:
        return recreate_postgres_database(url, "statuspage_bench")
    return f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"


def run_case(app, audience_slug, kind, count, target, options) -> dict[str, float]:
    """Add `count` subscribers, publish updates, time the publishes and the sending of the last."""
    with app.app_context():
        audience = db.session.scalar(sa.select(Audience).filter_by(slug=audience_slug))
        now = utcnow()
        db.session.execute(
            sa.insert(Subscriber),
            [
                {
                    "audience_id": audience.id,
                    "kind": kind,
                    "address": f"reader{n}@example.com"
                    if kind is SubscriberKind.EMAIL
                    else f"{target}/{n}",
                    "token_key": secrets.token_hex(16),
                    "signing_secret": secrets.token_urlsafe(32)
                    if kind is SubscriberKind.WEBHOOK
                    else None,
                    "confirmed_at": now,
                    "created_at": now,
                }
                for n in range(count)
            ],
        )
        incident = incidents.declare_incident(
            title=f"Bench {audience_slug}", severity=Severity.SEV3, by=None, now=now
        )
        db.session.commit()
        incident_id = incident.id
    # Earlier publishes only measure latency; their deliveries are dropped before sending.
    timings = []
    for sample in range(options.publishes):
        timings.append(publish(app, incident_id, audience_slug, f"Update {sample}."))
        if sample < options.publishes - 1:
            with app.app_context():
                db.session.execute(sa.text("DELETE FROM delivery"))
                db.session.execute(sa.text("DELETE FROM fanout"))
                db.session.commit()
    started = time.perf_counter()
    with app.app_context():
        result = send_deliveries(utcnow(), app.config)
    seconds = time.perf_counter() - started
    return {
        "publish_ms": max(timings),
        "publish_median_ms": statistics.median(timings),
        "send_seconds": seconds,
        "per_second": result.sent / seconds if seconds else 0.0,
        "sent": result.sent,
        "retrying": result.retrying,
    }


def publish(app, incident_id: int, audience_slug: str, body: str) -> float:
    """Milliseconds to publish one update to the audience, commit included."""
    with app.app_context():
        audience = db.session.scalar(sa.select(Audience).filter_by(slug=audience_slug))
        incident = incidents.get_incident(incident_id)
        draft = publishing.add_draft(incident, audience, body=body, by=None, now=utcnow())
        db.session.commit()
        started = time.perf_counter()
        publishing.publish_update(draft, by=None, now=utcnow())
        db.session.commit()
        return (time.perf_counter() - started) * 1000


def report(name: str, run: dict[str, float], *, received: int, unique: int, wanted: int) -> None:
    print(
        f"{name}: publish max {run['publish_ms']:.1f} ms (median {run['publish_median_ms']:.1f} ms, "
        f"budget {PUBLISH_BUDGET_MS} ms); sent {run['sent']:.0f} in {run['send_seconds']:.1f} s = "
        f"{run['per_second']:.0f}/s; received {received} ({unique} distinct keys, wanted {wanted}); "
        f"retrying {run['retrying']:.0f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
