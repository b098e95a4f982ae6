"""The postmortem draft: one Markdown document with the sections teams use (summary, impact window,
time to detect / acknowledge / mitigate / resolve, root cause, contributing factors, what went well,
action items), the curated timeline, the roster, every update and the cadence figures.

Each section is a function from the incident's record to Markdown lines; the document is the
sections in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from statuspage.core.site import Site
from statuspage.core.times import describe_duration, format_datetime
from statuspage.models import Incident, MilestoneKind, TimelineEvent, TimelineKind, Update
from statuspage.services.cadence.figures import AudienceFigures, incident_figures
from statuspage.services.incidents.edits import timeline
from statuspage.services.incidents.milestones import Milestones, milestones_of
from statuspage.services.incidents.publishing import published_updates


@dataclass(frozen=True)
class Record:
    incident: Incident
    events: list[TimelineEvent]
    updates: list[Update]  # published, oldest first
    figures: list[AudienceFigures]
    site: Site
    now: datetime
    milestones: Milestones

    def when(self, moment: datetime | None) -> str:
        return format_datetime(moment, self.site.zone, now=self.now) if moment else "—"


def postmortem_markdown(incident: Incident, *, site: Site, now: datetime) -> str:
    """The postmortem draft of the incident as Markdown (open promises measured up to `now`)."""
    record = Record(
        incident,
        timeline(incident),
        list(reversed(published_updates(incident))),
        incident_figures(incident, now=now),
        site,
        now,
        milestones_of(incident),
    )
    lines: list[str] = []
    for section in SECTIONS:
        lines += section(record)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def public_draft(incident: Incident, *, site: Site, now: datetime) -> str:
    """A draft fit to publish once written: from public data only (the public name, public
    components, updates to public audiences), with the sections to write left as prompts."""
    updates = [u for u in reversed(published_updates(incident)) if u.audience.is_public]
    record = Record(incident, [], updates, [], site, now, milestones_of(incident))
    lines: list[str] = []
    for section in (*PUBLIC_SECTIONS, _public_timeline):
        lines += [*section(record), ""]
    return "\n".join(lines).rstrip() + "\n"


def _public_timeline(record: Record) -> list[str]:
    lines = ["## Timeline", ""]
    for update in record.updates:
        lines.append(
            f"- {record.when(update.published_at)} · {update.status.label}: {_inline(update.body)}"
        )
    return lines if record.updates else [*lines, "No public update was published."]


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


def _impact(record: Record) -> list[str]:
    incident = record.incident
    milestones = record.milestones
    lines = [
        "## Impact window",
        "",
        (
            f"From {record.when(milestones[MilestoneKind.STARTED])} (started) "
            f"to {record.when(milestones[MilestoneKind.RESOLVED])} (resolved)."
        ),
        "",
    ]
    # Public components only: this section may be copied into the published postmortem.
    for link in incident.components:
        if link.component.is_public:
            worst = max(
                (s for s in (link.status, link.worst_public_status) if s), key=lambda s: s.rank
            )
            lines.append(f"- {_inline(link.component.name)}: worst {worst.label.lower()}")
    return lines if len(lines) > 5 else [*lines, "No public component was affected."]


def _response_times(record: Record) -> list[str]:
    """Each figure between two milestones (as set or backdated by the commander); an incident
    whose detection nobody recorded counts as detected when it was declared."""
    milestones = record.milestones
    started = milestones[MilestoneKind.STARTED]
    detected = ("detected", milestones[MilestoneKind.DETECTED])
    if detected[1] is None:
        detected = ("declared", record.incident.created_at)
    rows = (
        ("Time to detect", "started", started, *detected),
        ("Time to acknowledge", *detected, "acknowledged", milestones[MilestoneKind.ACKNOWLEDGED]),
        ("Time to mitigate", "started", started, "mitigated", milestones[MilestoneKind.MITIGATED]),
        ("Time to resolve", "started", started, "resolved", milestones[MilestoneKind.RESOLVED]),
    )
    lines = [
        "## Response times",
        "",
        "| Figure | From | To | Length |",
        "| --- | --- | --- | --- |",
    ]
    for name, start_name, start, end_name, end in rows:
        length = _length(max(end - start, timedelta(0)) if end else None, none="not yet")
        lines.append(f"| {name} | {start_name} | {end_name} | {length} |")
    return lines


def _to_write(heading: str, prompt: str) -> Callable[[Record], list[str]]:
    def section(record: Record) -> list[str]:
        return [f"## {heading}", "", f"_{prompt}_"]

    return section


def _action_items(record: Record) -> list[str]:
    return ["## Action items", "", "| Action | Owner | Due |", "| --- | --- | --- |", "|  |  |  |"]


def _roster(record: Record) -> list[str]:
    lines = ["## Roster", ""]
    for assignment in sorted(record.incident.roster, key=lambda a: (a.role, a.user.name)):
        lines.append(f"- {assignment.role.label}: {_inline(assignment.user.name)}")
    return lines if len(lines) > 2 else [*lines, "Nobody was on the roster."]


def _timeline(record: Record) -> list[str]:
    lines = ["## Timeline", "", "| Time | Who | What |", "| --- | --- | --- |"]
    for event in record.events:
        if event.kind not in CURATED_KINDS:
            continue
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


_CADENCE_NOTE = (
    "Promises per audience (first-update deadlines included): kept when the update came in time, "
    "missed when it came late or never; lateness over the late ones."
)
_CADENCE_HEAD = (
    "| Audience | Made | Kept | Missed | Open | Cancelled | Worst lateness | Median lateness "
    "| First update after |"
)


def _cadence(record: Record) -> list[str]:
    lines = ["## Cadence", "", _CADENCE_NOTE, "", _CADENCE_HEAD, "| --- " * 9 + "|"]
    for row in record.figures:
        f = row.figures
        open_ = f"{f.open + f.overdue}" + (f" ({f.overdue} overdue)" if f.overdue else "")
        cells = [
            _cell(row.audience.name),
            str(f.made),
            str(f.kept),
            str(f.missed),
            open_,
            str(f.cancelled),
            _length(f.worst_lateness),
            _length(f.median_lateness),
            _length(row.time_to_first_update, none="no update"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines if record.figures else [*lines[:2], "No audience was owed updates."]


def _length(length: timedelta | None, *, none: str = "—") -> str:
    return describe_duration(length) if length is not None else none


def _inline(text: str) -> str:
    return " ".join((text or "").split())


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


# What a reader of the postmortem needs; drafts, reviews, promises and reminders stay in the console.
CURATED_KINDS = frozenset(
    {
        TimelineKind.DECLARED,
        TimelineKind.STATUS_CHANGED,
        TimelineKind.SEVERITY_CHANGED,
        TimelineKind.COMPONENT_CHANGED,
        TimelineKind.UPDATE_PUBLISHED,
        TimelineKind.NOTE,
        TimelineKind.RESOLVED,
        TimelineKind.REOPENED,
        TimelineKind.ALERT_FIRED,  # when monitoring saw it: detection, for the response times
        TimelineKind.ALERT_RESOLVED,
    }
)

PUBLIC_SECTIONS: tuple[Callable[[Record], list[str]], ...] = (
    _to_write("Summary", "What happened, in a few sentences."),
    _impact,
    _response_times,
    _to_write("Root cause", "Why it happened."),
    _to_write("Contributing factors", "What made it worse or slower to fix."),
    _to_write("What went well", "What to keep doing."),
    _action_items,
)

SECTIONS: tuple[Callable[[Record], list[str]], ...] = (
    _summary,
    *PUBLIC_SECTIONS[1:],
    _roster,
    _timeline,
    _updates,
    _cadence,
)
