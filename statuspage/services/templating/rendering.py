"""Rendering what admins wrote (message templates, late notices) in the confined sandbox process.

Nothing an admin wrote is rendered in the process that asks: each source goes, with its context as
plain data, to a small pool of sandbox processes (statuspage.core.confined running sandbox.py),
which answers with the text or a refusal and its line. The web worker (or scheduler) waits at most
RENDER_SECONDS for all the parts of one message; a process that overruns it, or its processor
time (RENDER_CPU_SECONDS) or memory (RENDER_MEMORY_BYTES), is killed and replaced. Every refusal,
and every stop, is a ValidationError "Template <part>, line N: <reason>".

Late notices are rendered once, by the cadence tick, when a promise falls due, and kept on the
promise (`render_late_notices`); public requests only read the kept text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from statuspage.core.confined import ConfinedPool, Limits, Overrun
from statuspage.core.errors import ValidationError
from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.models import Audience, Incident, IncidentStatus, MessageTemplate, Promise
from statuspage.models.audiences import DEFAULT_LATE_NOTICE
from statuspage.services.templating.context import late_notice_context, sample_context

log = logging.getLogger(__name__)

RENDER_SECONDS = 1.5  # a web worker waits no longer for one message (every part of it)
RENDER_CPU_SECONDS = 1
RENDER_MEMORY_BYTES = 200 * 2**20
SANDBOX_FILE = Path(__file__).with_name("sandbox.py")
SANDBOX = ConfinedPool(
    SANDBOX_FILE,
    size=2,
    limits=Limits(
        seconds=RENDER_SECONDS, cpu_seconds=RENDER_CPU_SECONDS, memory_bytes=RENDER_MEMORY_BYTES
    ),
)


class RenderStopped(ValidationError):
    """The sandbox process had to be stopped (time, processor or memory): not worth a retry."""


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    body: str


def render_deadline() -> float:
    """The time.monotonic() by which renders sharing it must be done (one message, one request)."""
    return time.monotonic() + SANDBOX.limits.seconds


def template_for(audience: Audience, status: IncidentStatus) -> MessageTemplate | None:
    """The audience's template for this status or maintenance phase, if it has one."""
    return db.session.scalar(
        sa.select(MessageTemplate).where(
            MessageTemplate.audience_id == audience.id, MessageTemplate.status == status
        )
    )


def render_message(
    template: MessageTemplate, context: Mapping[str, Any], *, deadline: float | None = None
) -> RenderedMessage:
    """Render the template's title and body, or raise ValidationError saying what is wrong."""
    return render_text(template.title, template.body, context, deadline=deadline)


def render_text(
    title: str, body: str, context: Mapping[str, Any], *, deadline: float | None = None
) -> RenderedMessage:
    """Render a title and body source over the context (the title on one line).

    Both parts share `deadline` (by default RENDER_SECONDS from now); a caller rendering several
    messages in one request passes one deadline to all of them.
    """
    if deadline is None:
        deadline = render_deadline()
    return RenderedMessage(
        title=" ".join(render_part(title, context, part="title", deadline=deadline).split()),
        body=render_part(body, context, part="body", deadline=deadline).strip(),
    )


def check_template(title: str, body: str, *, status: IncidentStatus, site: Site) -> RenderedMessage:
    """Render the sources against a sample incident; ValidationError if either part fails."""
    message = render_text(title, body, sample_context(site, status))
    if not message.title:
        raise ValidationError("The template's title renders empty.", field="title")
    if not message.body:
        raise ValidationError("The template's body renders empty.", field="body")
    return message


def check_late_notice(source: str, *, site: Site) -> str:
    """Render a late notice against the sample incident (due 14:30); ValidationError if it fails."""
    context = sample_context(site, IncidentStatus.INVESTIGATING)
    notice = render_part(source, context, part="late notice").strip()
    if not notice:
        raise ValidationError("The late notice renders empty.", field="late notice")
    return notice


def render_late_notice(
    audience: Audience, incident: Incident, *, site: Site, due_at: datetime
) -> str:
    """What the audience reads once the update promised by `due_at` is late (its late notice).

    Written as of the due time. A notice an admin broke is replaced by the built-in one: a
    public page must still say something.
    """
    try:
        return _late_notice(audience, incident, site=site, due_at=due_at)
    except ValidationError:
        log.warning("late notice cannot be rendered", extra={"audience": audience.slug})
        return DEFAULT_LATE_NOTICE


def render_late_notices(promises: Iterable[Promise], *, site: Site) -> dict[int, str]:
    """The late notice each promise's audience reads once it is overdue, by promise id.

    As render_late_notice; an audience whose notice had to be stopped gets the built-in one for
    the rest of the batch without another try, so a burst of overdue promises stays quick.
    """
    stopped: set[int] = set()
    notices = {}
    for promise in promises:
        audience = promise.audience
        notices[promise.id] = DEFAULT_LATE_NOTICE
        if audience.id in stopped:
            continue
        try:
            notices[promise.id] = _late_notice(
                audience, promise.incident, site=site, due_at=promise.due_at
            )
        except ValidationError as refusal:
            log.warning("late notice cannot be rendered", extra={"audience": audience.slug})
            if isinstance(refusal, RenderStopped):
                stopped.add(audience.id)
    return notices


def _late_notice(audience: Audience, incident: Incident, *, site: Site, due_at: datetime) -> str:
    context = late_notice_context(audience, incident, site=site, due_at=due_at)
    return render_part(audience.late_notice, context, part="late notice").strip()


def render_part(
    source: str, context: Mapping[str, Any], *, part: str, deadline: float | None = None
) -> str:
    """One source rendered in the sandbox process, or ValidationError naming the part and line."""
    try:
        answer = SANDBOX.call({"source": source, "context": context}, deadline=deadline)
    except Overrun as stopped:
        raise RenderStopped(f"Template {part}: stopped because {stopped}", field=part) from None
    if "text" in answer:
        return answer["text"]
    where = f", line {answer['line']}" if answer["line"] else ""
    raise ValidationError(f"Template {part}{where}: {answer['reason']}", field=part)
