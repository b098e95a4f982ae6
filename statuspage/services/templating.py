"""Message templates: rendering an audience's template in a hardened sandbox over plain data.

The context holds only strings, numbers and lists of plain dicts built for one audience, never
models, so a template cannot walk to another audience's text or to anything else in the app. On top
of Jinja's SandboxedEnvironment the sandbox here allows only a short list of filters and string
methods, refuses to include or import anything, bounds every number, repetition and join, and stops
a render that runs too many steps, too long or writes too much, each with a message and a line.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, wraps
from types import FrameType
from typing import Any

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from statuspage.core.addresses import incident_path
from statuspage.core.errors import ValidationError
from statuspage.core.site import Site
from statuspage.core.times import format_datetime, format_time
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    MessageTemplate,
    Severity,
)
from statuspage.models.audiences import DEFAULT_LATE_NOTICE

log = logging.getLogger(__name__)

MAX_OUTPUT_CHARS = 50_000  # far above any real message, far below harm
MAX_STEPS = 100_000  # template lines executed in one render
MAX_SECONDS = 0.5
MAX_DEPTH = 50  # nested macro calls
MAX_NUMBER = 100_000  # largest number a filter or method call accepts
TEMPLATE_FILENAME = "<template>"  # what Jinja names code compiled from a string

# Filters a message needs; the rest (format, center, indent, wordwrap, tojson, attr ...) either
# build strings of any size from a small input or reach past plain data.
_ALLOWED_FILTERS = [
    "abs", "capitalize", "count", "default", "d", "e", "escape", "first", "float", "int", "join",
    "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace",
    "reverse", "round", "select", "selectattr", "sort", "string", "striptags", "title", "trim",
    "truncate", "unique", "upper", "urlencode", "wordcount",
]  # fmt: skip
_ALLOWED_METHODS = {
    str: {"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith",
          "endswith", "split"},
    dict: {"items", "keys", "values", "get"},
    list: set(),
    tuple: set(),
    int: set(),
    float: set(),
    bool: set(),
}  # fmt: skip
_FORBIDDEN_TAGS = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
    nodes.Extends: "extends",
}


class TemplateStopped(Exception):
    """A render exceeded a limit; the message says which."""


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    body: str


@dataclass(frozen=True)
class TemplateVariable:
    name: str
    meaning: str
    example: str


# The documented variables, shown on the template edit page: keep in step with _context.
VARIABLES = (
    TemplateVariable("page.name", "The status page's name", "Acme Status"),
    TemplateVariable("page.url", "The public status page", "https://status.example.com"),
    TemplateVariable("incident.title", "The incident's public title", "Elevated API errors"),
    TemplateVariable("incident.url", "The incident's public permalink", "…/incidents/42"),
    TemplateVariable("incident.status", "The status this message announces", "identified"),
    TemplateVariable("incident.status_label", "The same, for people", "Identified"),
    TemplateVariable("incident.severity", "SEV1 … SEV4 (empty for maintenance)", "SEV2"),
    TemplateVariable("incident.impact", "Statuspage impact", "major"),
    TemplateVariable("incident.started_at", "When it started, in the page's zone", "Mar 4, 14:00"),
    TemplateVariable("incident.scheduled_for", "Maintenance start (empty otherwise)", ""),
    TemplateVariable("incident.scheduled_until", "Maintenance end (empty otherwise)", ""),
    TemplateVariable(
        "components", "Affected components: each has name, status, status_label", "[…]"
    ),
    TemplateVariable("facts", "What the liaison wrote once for every audience", "A deploy …"),
    TemplateVariable("next_update_at", "The promised time of the next update", "14:30 UTC"),
)


class MessageSandbox(SandboxedEnvironment):
    """Jinja's sandbox, narrowed to plain data and bounded in size."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self) -> None:
        super().__init__(autoescape=False, undefined=StrictUndefined, loader=None)
        self.filters = {name: _bounded(self.filters[name]) for name in _ALLOWED_FILTERS}
        self.filters["join"] = _bounded(_join)
        self.filters["replace"] = _bounded(_replace)
        self.globals = {"range": self.globals["range"]}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        for kind, allowed in _ALLOWED_METHODS.items():
            if isinstance(obj, kind):
                return attr in allowed
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        # str.format builds a string of any width from a short pattern: not offered at all.
        return None

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_numbers(args, kwargs)
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sized, count in ((left, right), (right, left)):
                if (
                    isinstance(sized, str | list | tuple)
                    and isinstance(count, int)
                    and len(sized) * max(count, 0) > MAX_OUTPUT_CHARS
                ):
                    raise TemplateStopped("a repetition would be too long")
        elif operator == "**":
            numbers = isinstance(left, int | float) and isinstance(right, int | float)
            if numbers and abs(right) > 64 and abs(left) > 1:
                raise TemplateStopped("a power is too large")
        elif operator == "%" and isinstance(left, str):
            raise TemplateStopped("'%' string formatting is not available; use filters")
        return super().call_binop(context, operator, left, right)


def _check_numbers(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if is_number and abs(value) > MAX_NUMBER:
            raise TemplateStopped(f"the number {value:g} is too large (at most {MAX_NUMBER:,})")


def _bounded(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses huge numbers and results longer than the output limit."""

    @wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _check_numbers(args[1:], kwargs)
        result = function(*args, **kwargs)
        if isinstance(result, str | list) and len(result) > MAX_OUTPUT_CHARS:
            raise TemplateStopped("a filter's result is too long")
        return result

    return wrapped


def _join(value: Any, separator: str = "", attribute: str | None = None) -> str:
    items = [str(item[attribute] if attribute else item) for item in value]
    size = sum(map(len, items)) + len(separator) * max(len(items) - 1, 0)
    if size > MAX_OUTPUT_CHARS:
        raise TemplateStopped("a join would be too long")
    return separator.join(items)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text = str(value)
    hits = len(text) + 1 if old == "" else text.count(old)
    if len(text) + hits * len(new) > MAX_OUTPUT_CHARS:
        raise TemplateStopped("a replacement would be too long")
    return text.replace(old, new, -1 if count is None else count)


_environment = MessageSandbox()


def template_for(audience: Audience, status: IncidentStatus) -> MessageTemplate | None:
    """The audience's template for this status or maintenance phase, if it has one."""
    return db.session.scalar(
        sa.select(MessageTemplate).where(
            MessageTemplate.audience_id == audience.id, MessageTemplate.status == status
        )
    )


def message_context(
    incident: Incident,
    *,
    audience: Audience,
    site: Site,
    status: IncidentStatus | None = None,
    facts: str = "",
    components: Mapping[Component, ComponentStatus] | None = None,
    next_update_at: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The documented variables a template for `audience` may use, as plain data.

    `status` is the status the message announces, and `components` the statuses it announces
    (by default the incident's affected components as they are); either may not be in force yet.
    A public audience's template never sees an internal-only component (invariant 1). Times are
    written as of `now` (with the year when it is another year's); by default as of the
    incident's last change.
    """
    affected = (
        components
        if components is not None
        else {link.component: link.status for link in incident.components}
    )
    if audience.is_public:
        affected = {c: state for c, state in affected.items() if c.is_public}
    return _incident_context(
        incident,
        site,
        status=status or incident.status,
        severity=incident.severity,
        affected=affected,
        facts=facts,
        next_update_at=next_update_at,
        now=now,
    )


def _incident_context(
    incident: Incident,
    site: Site,
    *,
    status: IncidentStatus,
    severity: Severity | None,
    affected: Mapping[Component, ComponentStatus],
    facts: str,
    next_update_at: datetime | None,
    now: datetime | None,
) -> dict[str, Any]:
    zone = site.zone
    written_at = now or incident.updated_at
    if incident.is_maintenance:
        impact = Impact.MAINTENANCE
    else:
        impact = severity.impact if severity else Impact.NONE
    return _context(
        site,
        incident_id=incident.id,
        title=incident.public_name,
        status=status,
        severity=severity,
        impact=str(impact),
        started_at=format_datetime(incident.started_at, zone, now=written_at),
        scheduled_for=_maybe(incident.scheduled_for, zone, now=written_at),
        scheduled_until=_maybe(incident.scheduled_until, zone, now=written_at),
        components=[(component.name, state) for component, state in affected.items()],
        facts=facts,
        next_update_at=format_time(next_update_at, zone) if next_update_at else "",
    )


def sample_context(site: Site, status: IncidentStatus) -> dict[str, Any]:
    """A realistic incident (or maintenance) to try a template on before it is saved."""
    is_maintenance = status.kind.value == "maintenance"
    return _context(
        site,
        incident_id=42,
        title="Elevated error rates on the API",
        status=status,
        severity=None if is_maintenance else Severity.SEV2,
        impact="maintenance" if is_maintenance else "major",
        started_at="Mar 4, 14:00 UTC",
        scheduled_for="Mar 6, 02:00 UTC" if is_maintenance else "",
        scheduled_until="Mar 6, 04:00 UTC" if is_maintenance else "",
        components=[("API", "partial_outage"), ("Dashboard", "degraded_performance")],
        facts="A configuration change is being rolled back; errors are falling.",
        next_update_at="14:30 UTC",
    )


def _context(
    site: Site,
    *,
    incident_id: int,
    title: str,
    status: IncidentStatus,
    severity: Severity | None,
    impact: str,
    started_at: str,
    scheduled_for: str,
    scheduled_until: str,
    components: list[tuple[str, str]],
    facts: str,
    next_update_at: str,
) -> dict[str, Any]:
    return {
        "page": {"name": site.name, "url": site.url},
        "incident": {
            "title": title,
            "url": site.url + incident_path(incident_id),
            "status": str(status),
            "status_label": status.label,
            "severity": str(severity or ""),
            "impact": impact,
            "started_at": started_at,
            "scheduled_for": scheduled_for,
            "scheduled_until": scheduled_until,
        },
        "components": [
            {"name": name, "status": str(state), "status_label": ComponentStatus(state).label}
            for name, state in components
        ],
        "facts": facts.strip(),
        "next_update_at": next_update_at,
    }


def render_message(template: MessageTemplate, context: Mapping[str, Any]) -> RenderedMessage:
    """Render the template's title and body, or raise ValidationError saying what is wrong."""
    return render_text(template.title, template.body, context)


def render_text(title: str, body: str, context: Mapping[str, Any]) -> RenderedMessage:
    """Render a title and body source over the context (the title on one line)."""
    return RenderedMessage(
        title=" ".join(_render(title, context, part="title").split()),
        body=_render(body, context, part="body").strip(),
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
    notice = _render(
        source, sample_context(site, IncidentStatus.INVESTIGATING), part="late notice"
    ).strip()
    if not notice:
        raise ValidationError("The late notice renders empty.", field="late notice")
    return notice


def render_late_notice(
    audience: Audience, incident: Incident, *, site: Site, due_at: datetime
) -> str:
    """What the audience reads once the update promised by `due_at` is late (its late notice).

    Written as of the due time, whenever it is read. A notice an admin broke is replaced by the
    built-in one: a public page must still answer.
    """
    if audience.is_public:
        # What the public was told, not what staff know since: the notice stands on public pages.
        context = _incident_context(
            incident,
            site,
            status=incident.public_status or incident.status,
            severity=incident.public_severity,
            affected={
                link.component: link.public_status
                for link in incident.components
                if link.component.is_public and link.public_status is not None
            },
            facts="",
            next_update_at=due_at,
            now=due_at,
        )
    else:
        context = message_context(
            incident, audience=audience, site=site, next_update_at=due_at, now=due_at
        )
    try:
        return _render(audience.late_notice, context, part="late notice").strip()
    except ValidationError:
        log.warning("late notice cannot be rendered", extra={"audience": audience.slug})
        return DEFAULT_LATE_NOTICE


def _render(source: str, context: Mapping[str, Any], *, part: str) -> str:
    try:
        template = _compile(source)
        return "".join(_bounded_output(template.generate(context)))
    except TemplateSyntaxError as error:
        raise _refusal(part, error.lineno, error.message or str(error)) from error
    except (TemplateError, TemplateStopped, ArithmeticError, ValueError, TypeError) as error:
        raise _refusal(part, _template_line(error), str(error)) from error
    except (RecursionError, MemoryError) as error:
        raise _refusal(part, _template_line(error), "it is too deep or too big") from error


@lru_cache(maxsize=512)
def _compile(source: str) -> Any:
    tree = _environment.parse(source)
    for kind, word in _FORBIDDEN_TAGS.items():
        for node in tree.find_all(kind):
            raise TemplateSyntaxError(
                f"{{% {word} %}} is not allowed: a template cannot read files or other templates",
                node.lineno,
            )
    return _environment.from_string(tree)


def _bounded_output(chunks: Iterator[str]) -> Iterator[str]:
    """Yield the render's output while watching its steps, time and size."""
    steps = depth = 0
    deadline = time.monotonic() + MAX_SECONDS

    def trace_line(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal steps, depth
        if event == "return":
            depth -= 1
            return trace_line
        steps += 1
        if steps > MAX_STEPS:
            raise TemplateStopped(f"it ran more than {MAX_STEPS:,} steps (a loop too long?)")
        if steps % 1000 == 0 and time.monotonic() > deadline:
            raise TemplateStopped(f"it ran longer than {MAX_SECONDS} s")
        return trace_line

    def trace_call(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal depth
        if frame.f_code.co_filename != TEMPLATE_FILENAME:
            return None
        # Stopped long before Python's own recursion limit, which takes seconds to reach
        # when every frame is traced.
        depth += 1
        if depth > MAX_DEPTH:
            raise TemplateStopped(f"macros call each other too deep (more than {MAX_DEPTH})")
        return trace_line

    written = 0
    previous = sys.gettrace()
    sys.settrace(trace_call)
    try:
        for chunk in chunks:
            written += len(chunk)
            if written > MAX_OUTPUT_CHARS:
                raise TemplateStopped(f"its output is longer than {MAX_OUTPUT_CHARS:,} characters")
            yield chunk
    finally:
        sys.settrace(previous)


def _template_line(error: BaseException) -> int | None:
    """The line of the template the error came from (Jinja keeps it in the traceback)."""
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == TEMPLATE_FILENAME
    ]
    return lines[-1] if lines else getattr(error, "lineno", None)


def _refusal(part: str, line: int | None, reason: str) -> ValidationError:
    where = f", line {line}" if line else ""
    return ValidationError(f"Template {part}{where}: {reason}", field=part)


def _maybe(moment: datetime | None, zone: str, *, now: datetime) -> str:
    return format_datetime(moment, zone, now=now) if moment else ""
