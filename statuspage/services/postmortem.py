"""The postmortem draft: one Markdown document with the summary, roster, timeline and every update.

Each section is a function from the incident's record to Markdown lines; the document is the
sections in order. The cadence figures (promises kept and missed, worst lateness) belong to the
cadence work: it adds its section to SECTIONS, after the updates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from statuspage.models import Incident, TimelineEvent, Update
from statuspage.rendering import format_datetime
from statuspage.services.compose import published_updates
from statuspage.services.response import timeline
from statuspage.site import Site


@dataclass(frozen=True)
class Record:
    incident: Incident
    events: list[TimelineEvent]
    updates: list[Update]  # published, oldest first
    site: Site

    def when(self, moment: datetime | None) -> str:
        return format_datetime(moment, self.site.zone) if moment else "—"


def postmortem_markdown(incident: Incident, *, site: Site) -> str:
    """The postmortem draft of the incident as Markdown."""
    record = Record(incident, timeline(incident), list(reversed(published_updates(incident))), site)
    lines: list[str] = []
    for section in SECTIONS:
        lines += section(record)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _summary(record: Record) -> list[str]:
    incident = record.incident
    duration = (
        str(incident.resolved_at - incident.started_at).split(".")[0]
        if incident.resolved_at
        else "ongoing"
    )
    components = ", ".join(
        f"{link.component.name} ({link.status.label.lower()})" for link in incident.components
    )
    return [
        f"# Postmortem draft: {_inline(incident.title)}",
        "",
        "## Summary",
        "",
        f"- Severity: {incident.severity or 'maintenance'}",
        f"- Status: {incident.status.label}",
        f"- Public title: {_inline(incident.public_name)}",
        f"- Started: {record.when(incident.started_at)}",
        f"- Resolved: {record.when(incident.resolved_at)}",
        f"- Duration: {duration}",
        f"- Components: {_inline(components) or 'none recorded'}",
        "",
        "_What happened, why, and what we change: to be written by the team._",
    ]


def _roster(record: Record) -> list[str]:
    lines = ["## Roster", ""]
    for assignment in sorted(record.incident.roster, key=lambda a: (a.role, a.user.name)):
        lines.append(f"- {assignment.role.label}: {_inline(assignment.user.name)}")
    return lines if len(lines) > 2 else [*lines, "Nobody was on the roster."]


def _timeline(record: Record) -> list[str]:
    lines = ["## Timeline", "", "| Time | Who | What |", "| --- | --- | --- |"]
    for event in record.events:
        who = event.actor.name if event.actor else "system"
        lines.append(
            f"| {record.when(event.occurred_at)} | {_cell(who)} | {_cell(event.message)} |"
        )
    return lines


def _updates(record: Record) -> list[str]:
    lines = ["## Updates by audience"]
    audiences: dict[str, list[Update]] = {}
    for update in record.updates:
        audiences.setdefault(update.audience.name, []).append(update)
    for name, updates in audiences.items():
        lines += ["", f"### {_inline(name)}"]
        for update in updates:
            author = update.author.name if update.author else "system"
            lines += [
                "",
                (
                    f"**{record.when(update.published_at)} · {update.status.label} · "
                    f"{_inline(update.title)}** (by {_inline(author)})"
                ),
                "",
                *(f"> {line}" if line else ">" for line in update.body.splitlines()),
            ]
    return lines if audiences else [*lines, "", "No update was published."]


def _inline(text: str) -> str:
    return " ".join((text or "").split())


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


SECTIONS: tuple[Callable[[Record], list[str]], ...] = (_summary, _roster, _timeline, _updates)
