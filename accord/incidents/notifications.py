"""Whom Accord tells about incidents, and what it says.

SLA escalation (a clock's warning share or its breach) goes to the people who can act on the
incident: its assignee, the lead of its assignment group, and the incident managers. A major
incident goes to top management and the incident managers when it is declared (clause 8.6.1:
major incidents are reported to top management). Every notice here is internal: only active
people of the provider receive one, so a customer never reads an internal escalation, even one
who was given a provider role by mistake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from accord.agreements.escalation import Audience, register_recipients
from accord.agreements.models import TicketClock
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person, RoleAssignment
from accord.incidents.models import Incident
from accord.notifications.choices import NotificationKind
from accord.notifications.services import (
    Notified,
    absolute_url,
    event_key,
    internal_only,
    notify,
)


def incident_link(incident: Incident) -> str:
    """The incident's page, as a path."""
    return f"/incidents/{incident.pk}/"


def role_holders(roles: Iterable[str], organisation_id: int | None) -> QuerySet[Person]:
    """Active provider people holding one of ``roles`` everywhere or for ``organisation_id``."""
    scope = Q(organisation__isnull=True)
    if organisation_id is not None:
        scope |= Q(organisation_id=organisation_id)
    holders = RoleAssignment.objects.filter(scope, role__in=list(roles)).values("person_id")
    return Person.objects.filter(
        pk__in=holders, is_active=True, organisation__kind=OrganisationKind.PROVIDER
    ).order_by("pk")


def escalation_recipients(incident: Incident) -> list[Person]:
    """The assignee, the assignment group's lead and every incident manager for the incident's
    organisation: the people who act when an incident's clock warns or breaches."""
    incident = Incident.objects.select_related(
        "assignee__organisation", "assignment_group__lead__organisation"
    ).get(pk=incident.pk)
    group = incident.assignment_group
    return internal_only(
        [
            incident.assignee,
            group.lead if group is not None else None,
            *role_holders([Role.INCIDENT_MANAGER], incident.organisation_id).select_related(
                "organisation"
            ),
        ]
    )


def incident_escalation_audience(ticket: Incident, clock: TicketClock) -> Audience:
    """The audience of an incident's clock notices (registered with the escalation job)."""
    return Audience(
        people=tuple(escalation_recipients(ticket)),
        reference=ticket.reference,
        title=ticket.title,
        link=incident_link(ticket),
        noun="Incident",
    )


register_recipients(Incident, incident_escalation_audience)


def major_recipients(incident: Incident) -> list[Person]:
    """Every active holder of the top management role, and the incident managers."""
    return internal_only(
        role_holders(
            [Role.TOP_MANAGEMENT, Role.INCIDENT_MANAGER], incident.organisation_id
        ).select_related("organisation")
    )


def notify_major_declared(incident: Incident, now: dt.datetime) -> Notified:
    """Tell top management and the incident managers that ``incident`` was declared major.

    Called by ``major_declare`` inside its transaction, so the notices exist exactly when the
    declaration does; declaring is possible once per incident, and the event key makes the
    notice once per person even if it were called twice.
    """
    incident = Incident.objects.select_related(
        "organisation", "service", "major_owner", "assignment_group"
    ).get(pk=incident.pk)
    link = incident_link(incident)
    declared = incident.major_declared_at or now
    subject = f"Major incident declared: {incident.reference} — {incident.title}"
    lines = [
        f"{incident.reference} has been declared a major incident.",
        "",
        f"Incident: {incident.reference} {incident.title}",
        f"Customer: {incident.organisation}",
        f"Service: {incident.service or 'not recorded'}",
        f"Priority: {incident.get_priority_display()}",
        f"Owner: {incident.major_owner or 'not named'}",
        f"Assignment group: {incident.assignment_group or 'none'}",
        f"Declared: {declared.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Open it: {absolute_url(link)}",
    ]
    return notify(
        event_key=event_key(incident, NotificationKind.MAJOR_DECLARED),
        kind=NotificationKind.MAJOR_DECLARED,
        recipients=major_recipients(incident),
        subject=subject,
        body="\n".join(lines) + "\n",
        link=link,
        organisation=incident.organisation_id,
        source=incident,
        now=now,
    )
