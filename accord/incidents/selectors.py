"""Read queries of incidents, each starting from what the person may see.

Provider staff and auditors see every incident; people of a customer who may raise incidents
see their organisation's incidents and only the public replies and files on them; suppliers and
everyone else see none. Every page, API list, export and report starts here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from accord.agreements import clocks
from accord.agreements.models import Agreement, ClockEvent, TicketClock
from accord.core.models import AuditEvent
from accord.core.permissions import has_capability, sees_all_organisations
from accord.incidents.choices import OPEN_STATUSES, IncidentStatus
from accord.incidents.models import Category, Incident
from accord.tickets.models import Attachment, Comment


def _active(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def incidents_visible_to(person: Any) -> QuerySet[Incident]:
    qs = Incident.objects.select_related(
        "organisation", "caller", "service", "assignment_group", "assignee", "category"
    )
    if sees_all_organisations(person):
        return qs
    if not _active(person) or person.organisation_id is None:
        return qs.none()
    if not has_capability(person, "incidents.raise", person.organisation_id):
        return qs.none()
    return qs.filter(organisation_id=person.organisation_id)


def sees_internal(person: Any) -> bool:
    """Whether the person sees work notes, internal files and the clocks' agreements in full."""
    return sees_all_organisations(person)


def categories_visible_to(person: Any) -> QuerySet[Category]:
    if not _active(person):
        return Category.objects.none()
    return Category.objects.select_related("default_team")


def _ticket(incident: Incident) -> dict[str, Any]:
    return {"content_type": ContentType.objects.get_for_model(Incident), "object_id": incident.pk}


def comments_visible_to(person: Any, incident: Incident) -> QuerySet[Comment]:
    qs = Comment.objects.filter(**_ticket(incident)).select_related("author")
    return qs if sees_internal(person) else qs.filter(is_public=True)


def attachments_visible_to(person: Any, incident: Incident) -> QuerySet[Attachment]:
    qs = Attachment.objects.filter(**_ticket(incident)).select_related("uploaded_by")
    return qs if sees_internal(person) else qs.filter(is_public=True)


def clock_readings(incident: Incident, now: dt.datetime) -> list[clocks.Reading]:
    """Every clock of the incident as it stands at ``now`` (computed from the stored facts)."""
    return [clocks.reading(c, now) for c in clocks.clocks_of(incident)]


def clocks_for(incidents: list[Incident]) -> dict[int, list[TicketClock]]:
    """The clocks of many incidents in two queries, whatever their number (for list pages and
    API lists)."""
    if not incidents:
        return {}
    rows = list(
        TicketClock.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident),
            object_id__in=[i.pk for i in incidents],
        ).order_by("pk")
    )
    # The few agreements (with calendars) of a page are read once and shared, instead of being
    # joined onto, and built for, every clock row.
    agreements = Agreement.objects.select_related("calendar").in_bulk(
        {clock.agreement_id for clock in rows}
    )
    for clock in rows:
        clock.agreement = agreements[clock.agreement_id]
    result: dict[int, list[TicketClock]] = {i.pk: [] for i in incidents}
    for clock in rows:
        result[clock.object_id].append(clock)
    return result


# --- queues -------------------------------------------------------------------------------------

QUEUES = {
    "mine": "My work",
    "teams": "My teams",
    "unassigned": "Unassigned",
    "breaching": "Breaching soon",
    "major": "Major incidents",
    "open": "All open",
    "all": "All",
}
BREACHING_WINDOW = dt.timedelta(hours=2)


def queue(person: Any, name: str, now: dt.datetime) -> QuerySet[Incident]:
    """The incidents of one agent queue, scoped to what ``person`` may see."""
    qs = incidents_visible_to(person)
    open_qs = qs.filter(status__in=OPEN_STATUSES)
    if name == "mine":
        return open_qs.filter(assignee=person)
    if name == "teams":
        return open_qs.filter(assignment_group__in=person.teams.all())
    if name == "unassigned":
        return open_qs.filter(assignee__isnull=True)
    if name == "breaching":
        return open_qs.filter(sla_due_at__isnull=False, sla_due_at__lte=now + BREACHING_WINDOW)
    if name == "major":
        return qs.filter(Q(is_major=True) | Q(major_status="proposed")).exclude(
            status__in=(IncidentStatus.CLOSED, IncidentStatus.CANCELLED)
        )
    if name == "open":
        return open_qs
    return qs


# --- timeline -----------------------------------------------------------------------------------


# What a customer may read of the recorded changes of their incident.
CUSTOMER_AUDIT_FIELDS = ("status", "title", "priority")


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # "comment", "attachment", "clock", "audit"
    item: Any


def timeline(person: Any, incident: Incident, limit: int = 500) -> list[TimelineEntry]:
    """Replies, notes, files, clock events and recorded changes, oldest first. Customers see
    the public replies and files and the status changes, not the notes or the clocks' inner
    workings."""
    entries = [
        TimelineEntry(c.created_at, "comment", c)
        for c in comments_visible_to(person, incident)[:limit]
    ]
    entries += [
        TimelineEntry(a.created_at, "attachment", a)
        for a in attachments_visible_to(person, incident)[:limit]
    ]
    if sees_internal(person):
        events = ClockEvent.objects.filter(
            clock__content_type=ContentType.objects.get_for_model(Incident),
            clock__object_id=incident.pk,
        ).select_related("clock__agreement")[:limit]
        entries += [TimelineEntry(e.at, "clock", e) for e in events]
    audit = AuditEvent.objects.filter(
        object_type="incidents.incident", object_id=str(incident.pk)
    ).order_by("id")[:limit]
    internal = sees_internal(person)
    for event in audit:
        if not internal:
            # Customers learn what changed in status, title and priority, nothing else: the
            # event is trimmed here (never saved) so no page or API can show more.
            visible = {k: v for k, v in event.changes.items() if k in CUSTOMER_AUDIT_FIELDS}
            if not visible and event.action != "create":
                continue
            event.changes = visible
        entries.append(TimelineEntry(event.occurred_at, "audit", event))
    entries.sort(key=lambda e: (e.at, e.kind))
    return entries
