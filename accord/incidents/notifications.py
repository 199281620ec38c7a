"""Whom Accord tells about incidents, and what it says.

SLA escalation (a clock's warning share or its breach) goes to the people who can act on the
incident: its assignee, the lead of its assignment group, and the incident managers. A major
incident goes to top management and the incident managers when it is declared (clause 8.6.1:
major incidents are reported to top management). Those notices are internal: only active
people of the provider receive one, so a customer never reads an internal escalation, even one
who was given a provider role by mistake.

The customer's side is the caller's mail (``notify_incident_*`` below): when the incident is
recorded, when its status changes in a way the caller would care about, when the desk replies
publicly, and when it is resolved. These mails carry only what the caller already sees on the
incident's page (reference, title, status, public replies, resolution notes and the SLA's
resolution target): never work notes, internal fields, teams, suppliers, OLA or UC targets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from accord.agreements.choices import AgreementKind, Metric
from accord.agreements.escalation import Audience, register_recipients
from accord.agreements.models import TicketClock
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person, RoleAssignment
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident
from accord.notifications.choices import MailEvent, NotificationKind
from accord.notifications.placeholders import Localized
from accord.notifications.services import (
    NOT_SET_TEXT,
    Notified,
    absolute_url,
    event_key,
    internal_only,
    notify,
    notify_customer,
)
from accord.tickets.models import Comment


def portal_link(incident: Incident) -> str:
    """Customers follow their incidents in the portal."""
    return f"/portal/incidents/{incident.pk}/"


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


# --- the caller's mails ---------------------------------------------------------------------

S = IncidentStatus

#: Status names as the caller reads them, per language.
STATUS_NAMES: dict[str, dict[str, str]] = {
    S.NEW: {"en": "New", "de": "Neu", "fr": "Nouveau"},
    S.ASSIGNED: {"en": "Assigned", "de": "Zugewiesen", "fr": "Attribué"},
    S.IN_PROGRESS: {"en": "In progress", "de": "In Bearbeitung", "fr": "En cours"},
    S.PENDING_CUSTOMER: {
        "en": "Waiting for your reply",
        "de": "Wartet auf Ihre Antwort",
        "fr": "En attente de votre réponse",
    },
    S.PENDING_SUPPLIER: {
        "en": "Waiting for a supplier",
        "de": "Wartet auf einen Lieferanten",
        "fr": "En attente d'un fournisseur",
    },
    S.RESOLVED: {"en": "Resolved", "de": "Gelöst", "fr": "Résolu"},
    S.CLOSED: {"en": "Closed", "de": "Geschlossen", "fr": "Clôturé"},
    S.CANCELLED: {"en": "Cancelled", "de": "Storniert", "fr": "Annulé"},
}
REOPENED = Localized({"en": "Reopened", "de": "Wieder geöffnet", "fr": "Rouvert"})
SERVICE_DESK = Localized(
    {"en": "The service desk", "de": "Der Service Desk", "fr": "Le service desk"}
)

#: The statuses whose arrival the caller is told about. Moving between "in progress" and the
#: pending-supplier state is the desk's own business; "resolved" has a mail of its own, and a
#: reopening (resolved -> in progress) is told as such.
TOLD_STATUSES = frozenset({S.ASSIGNED, S.PENDING_CUSTOMER, S.CLOSED, S.CANCELLED})


def status_name(status: str) -> Localized:
    """The caller-facing name of ``status`` in every language."""
    return Localized(STATUS_NAMES.get(status, {"en": str(status)}))


def customer_recipients(incident: Incident) -> list[Person]:
    """Who hears about the incident: its caller, while active, with an address, and still of
    the incident's organisation (a caller who moved elsewhere is no longer told about another
    organisation's incident)."""
    caller = incident.caller
    if (
        caller is None
        or not caller.is_active
        or not (caller.email or "").strip()
        or caller.organisation_id != incident.organisation_id
    ):
        return []
    # The caller's organisation is the incident's: reuse it for their time zone.
    caller.organisation = incident.organisation
    return [caller]


def _values(incident: Incident) -> dict[str, object]:
    """What every mail about the incident may show (all of it on the caller's own page)."""
    return {
        "reference": incident.reference,
        "title": incident.title,
        "organisation": incident.organisation.name,
    }


def resolution_due(incident: Incident) -> dt.datetime | None:
    """When the customer's SLA wants the incident resolved: the running SLA resolution clock's
    due instant (OLA and UC targets are internal and never shown)."""
    started = getattr(incident, "started_clocks", None)
    if started is not None:
        clocks = [c for c in started if c.agreement_kind == AgreementKind.SLA]
    else:
        clocks = list(
            TicketClock.objects.filter(
                content_type=ContentType.objects.get_for_model(Incident),
                object_id=incident.pk,
                agreement_kind=AgreementKind.SLA,
                stopped_at__isnull=True,
            ).exclude(state="cancelled")
        )
    dues = [c.due_at for c in clocks if c.metric == Metric.RESOLUTION and c.due_at is not None]
    return min(dues) if dues else None


def notify_incident_created(
    incident: Incident, *, actor: Person | None, now: dt.datetime
) -> list[Notified]:
    """Confirm to the caller that the incident was recorded, with its number and the SLA's
    resolution target. Sent also when the caller raised it themselves: the number is what
    they quote when they call."""
    due = resolution_due(incident)
    return notify_customer(
        event=MailEvent.TICKET_CREATED,
        source=incident,
        recipients=customer_recipients(incident),
        values={**_values(incident), "when": now, "due": due or NOT_SET_TEXT},
        link=portal_link(incident),
        now=now,
    )


def notify_incident_status_changed(
    incident: Incident, *, previous: str, actor: Person | None, now: dt.datetime
) -> list[Notified]:
    """Tell the caller about a status change they would care about (see ``TOLD_STATUSES``),
    unless they made it themselves. Resolving sends the resolution mail instead.

    The key carries the new status and the incident's version, so a second change to the same
    status (assigned, then assigned again after work) is a new mail, and a repeated call for
    the same change is not.
    """
    status = incident.status
    recipients = customer_recipients(incident)
    if not recipients or status == previous:
        return []
    if actor is not None and actor.pk == incident.caller_id:
        return []
    values = {**_values(incident), "when": now}
    if status == S.RESOLVED:
        return notify_customer(
            event=MailEvent.TICKET_RESOLVED,
            source=incident,
            recipients=recipients,
            values={**values, "resolution": incident.resolution_notes},
            link=portal_link(incident),
            now=now,
            key_suffix=str(incident.version),
        )
    if previous == S.RESOLVED and status == S.IN_PROGRESS:
        told, suffix = REOPENED, f"reopened:{incident.version}"
    elif status in TOLD_STATUSES:
        told, suffix = status_name(status), f"{status}:{incident.version}"
    else:
        return []
    # The reason given when cancelling is written for the caller (they may edit it too).
    comment = incident.resolution_notes if status == S.CANCELLED else ""
    return notify_customer(
        event=MailEvent.TICKET_STATUS_CHANGED,
        source=incident,
        recipients=recipients,
        values={**values, "status": told, "comment": comment},
        link=portal_link(incident),
        now=now,
        key_suffix=suffix,
    )


def notify_incident_public_reply(
    incident: Incident, comment: Comment, *, now: dt.datetime
) -> list[Notified]:
    """Pass a public reply of the provider's staff on to the caller. Work notes, replies of
    the customer's side and the caller's own words are never mailed."""
    if not comment.is_public or not comment.by_provider:
        return []
    if comment.author_id is not None and comment.author_id == incident.caller_id:
        return []
    return notify_customer(
        event=MailEvent.TICKET_PUBLIC_REPLY,
        source=incident,
        recipients=customer_recipients(incident),
        values={
            **_values(incident),
            "when": comment.created_at,
            "comment": comment.body,
            "author": str(comment.author) if comment.author_id else SERVICE_DESK,
            "status": status_name(incident.status),
        },
        link=portal_link(incident),
        now=now,
        key_suffix=f"comment:{comment.pk}",
    )
