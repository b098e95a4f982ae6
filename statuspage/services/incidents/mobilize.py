"""Mobilize (the seed's second step): each person put on an incident's roster is told at once, by
email with the link, what they now hold and what that duty asks of them.

Nobody is emailed about a duty they gave themselves: they know.
"""

from __future__ import annotations

from datetime import datetime

from statuspage.core.addresses import console_incident_path
from statuspage.core.site import current_site
from statuspage.models import Incident, RosterAssignment, RosterRole, User
from statuspage.services.outbox.enqueue import enqueue_email
from statuspage.services.records import actor_name

# What each duty asks, in the words of the incident-response roles the product follows.
DUTIES = {
    RosterRole.COMMANDER: "You oversee the incident and make its key decisions; you are not the "
    "one resolving it: keep everyone on track.",
    RosterRole.DEPUTY: "You support the commander, take what they delegate, and make sure the "
    "responders report to the commander in time.",
    RosterRole.SCRIBE: "You record the major events as they happen: notes, decisions, "
    "screenshots. The timeline is the postmortem's foundation.",
    RosterRole.INTERNAL_LIAISON: "You keep the staff audiences (executives, support, sales, "
    "legal) told, on the cadence they were promised.",
    RosterRole.CUSTOMER_LIAISON: "You write to customers: what is wrong, what is being done, and "
    "when the next update comes. Keep every promise of a next update.",
    RosterRole.EXPERT: "You work on resolving it: take direction from the commander and report "
    "what you find to them or the deputy.",
}


def tell_assignee(
    incident: Incident, assignment: RosterAssignment, *, by: User | None, now: datetime
) -> None:
    """Email the person their new duty on the incident, with its link."""
    person = assignment.user
    if (by is not None and person.id == by.id) or not person.is_active:
        return
    role = assignment.role
    what = incident.severity or "maintenance"
    enqueue_email(
        person.email,
        name=person.name,
        subject=f"You are {role.label.lower()} on {incident.title} ({what})",
        text=(
            f"{actor_name(by)} made you {role.label.lower()} on “{incident.title}” ({what}, "
            f"{incident.status.label}).\n\n{DUTIES[role]}"
        ),
        link=current_site().url + console_incident_path(incident.id),
        dedupe_key=f"roster:{incident.id}:{role}:{person.id}:{now.isoformat()}",
        now=now,
    )
