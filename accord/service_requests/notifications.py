"""Whom Accord tells about service requests, and what it says.

Approvers are asked (and reminded once) to decide. The requester hears, in their language and
time zone, through the mail texts administrators may adapt: that the request is in, how the
approver decided, when it waits for them or is reopened, each public reply of the service desk,
and that it is fulfilled. Every mail carries only what the requester sees on the request's
portal page: never work notes, the checklist, teams or the OLA.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from accord.agreements.choices import AgreementKind, Metric
from accord.agreements.escalation import Audience, register_recipients
from accord.agreements.models import TicketClock
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person, RoleAssignment
from accord.notifications.choices import MailEvent
from accord.notifications.placeholders import Localized
from accord.notifications.services import (
    NOT_SET_TEXT,
    Notified,
    internal_only,
    notify_customer,
)
from accord.service_requests import selectors
from accord.service_requests.choices import RequestStatus
from accord.service_requests.models import Approval, ServiceRequest
from accord.tickets.models import Comment

S = RequestStatus

#: The statuses whose arrival the requester is told about when someone else moved it there.
TOLD_STATUSES = frozenset({S.PENDING_CUSTOMER, S.CLOSED, S.CANCELLED})
STATUS_NAMES: dict[str, dict[str, str]] = {
    S.PENDING_CUSTOMER: {
        "en": "Waiting for your reply",
        "de": "Wartet auf Ihre Antwort",
        "fr": "En attente de votre réponse",
    },
    S.CLOSED: {"en": "Closed", "de": "Geschlossen", "fr": "Clôturée"},
    S.CANCELLED: {"en": "Cancelled", "de": "Storniert", "fr": "Annulée"},
    S.IN_FULFILMENT: {"en": "In progress", "de": "In Bearbeitung", "fr": "En cours"},
    S.FULFILLED: {"en": "Fulfilled", "de": "Erledigt", "fr": "Réalisée"},
}
REOPENED = Localized({"en": "Reopened", "de": "Wieder geöffnet", "fr": "Rouverte"})
SERVICE_DESK = Localized({"en": "The service desk", "de": "Der Service Desk", "fr": "Le support"})


def escalation_recipients(request: ServiceRequest) -> list[Person]:
    """Who acts when a request's fulfilment clock warns or breaches: its assignee, the lead of
    the fulfilling team, and the provider's people who oversee fulfilment (``requests.manage``:
    the incident managers). Internal only."""
    request = ServiceRequest.objects.select_related(
        "assignee__organisation", "fulfilment_team__lead__organisation"
    ).get(pk=request.pk)
    team = request.fulfilment_team
    scope = Q(organisation__isnull=True) | Q(organisation_id=request.organisation_id)
    holders = RoleAssignment.objects.filter(scope, role=Role.INCIDENT_MANAGER).values("person_id")
    managers = Person.objects.filter(
        pk__in=holders, is_active=True, organisation__kind=OrganisationKind.PROVIDER
    ).select_related("organisation")
    return internal_only(
        [request.assignee, team.lead if team is not None else None, *managers.order_by("pk")]
    )


def request_escalation_audience(ticket: ServiceRequest, clock: TicketClock) -> Audience:
    """The audience of a request's clock notices (registered with the escalation job)."""
    return Audience(
        people=tuple(escalation_recipients(ticket)),
        reference=ticket.reference,
        title=ticket.title,
        link=desk_link(ticket),
        noun="Service request",
    )


register_recipients(ServiceRequest, request_escalation_audience)


def portal_link(request: ServiceRequest) -> str:
    """Customers follow their requests in the portal."""
    return f"/portal/requests/{request.pk}/"


def desk_link(request: ServiceRequest) -> str:
    return f"/requests/{request.pk}/"


def _told(person: Person | None, request: ServiceRequest) -> list[Person]:
    """An active person with an address who still belongs to the request's organisation."""
    if (
        person is None
        or not person.is_active
        or not (person.email or "").strip()
        or person.organisation_id != request.organisation_id
    ):
        return []
    return [person]


def _values(request: ServiceRequest) -> dict[str, object]:
    return {
        "reference": request.reference,
        "title": request.title,
        "organisation": request.organisation.name,
    }


def fulfilment_due(request: ServiceRequest) -> dt.datetime | None:
    """When the customer's SLA wants the request fulfilled (never the internal OLA's target)."""
    started = getattr(request, "started_clocks", None)
    clocks = started if started is not None else selectors.clocks_for([request])[request.pk]
    dues = [
        c.due_at
        for c in clocks
        if c.agreement_kind == AgreementKind.SLA
        and c.metric == Metric.FULFILMENT
        and c.due_at is not None
        and c.stopped_at is None
    ]
    return min(dues) if dues else None


def notify_request_created(request: ServiceRequest, *, now: dt.datetime) -> list[Notified]:
    """Confirm to the requester that the request is in, with its number and target."""
    due = fulfilment_due(request)
    return notify_customer(
        event=MailEvent.TICKET_CREATED,
        source=request,
        recipients=_told(request.requester, request),
        values={**_values(request), "when": now, "due": due or NOT_SET_TEXT},
        link=portal_link(request),
        now=now,
    )


def notify_approvers(approval: Approval, *, now: dt.datetime, reminder: bool) -> list[Notified]:
    """Ask the approvers to decide (or remind them, once). Customer approvers are sent to the
    portal, provider approvers to the request's page; the requester is never asked."""
    request = approval.request
    people = [
        p
        for p in selectors.approvers_for(approval.approver_role, approval.organisation_id)
        if p.pk != request.requester_id
    ]
    suffix = f"{approval.pk}:{'reminder' if reminder else 'asked'}"
    values = {
        **_values(request),
        "when": approval.requested_at,
        "requester": str(request.requester),
        "due": NOT_SET_TEXT,
    }
    results: list[Notified] = []
    customers = [p for p in people if p.organisation_id == request.organisation_id]
    staff = [p for p in people if p not in customers and _is_provider(p)]
    for recipients, link in ((customers, portal_link(request)), (staff, desk_link(request))):
        if recipients:
            results += notify_customer(
                event=MailEvent.REQUEST_APPROVAL_NEEDED,
                source=request,
                recipients=recipients,
                values=values,
                link=link,
                now=now,
                key_suffix=suffix,
            )
    return results


def _is_provider(person: Person) -> bool:
    return person.organisation is not None and person.organisation.kind == OrganisationKind.PROVIDER


def notify_decided(
    request: ServiceRequest, approval: Approval, *, now: dt.datetime
) -> list[Notified]:
    """Tell the requester how the approver decided, with the reason given."""
    event = (
        MailEvent.REQUEST_APPROVED
        if approval.decision == "approved"
        else MailEvent.REQUEST_REJECTED
    )
    return notify_customer(
        event=event,
        source=request,
        recipients=_told(request.requester, request),
        values={**_values(request), "when": now, "comment": approval.reason},
        link=portal_link(request),
        now=now,
        key_suffix=str(approval.pk),
    )


def notify_status_changed(
    request: ServiceRequest, *, previous: str, actor: Person | None, now: dt.datetime
) -> list[Notified]:
    """Tell the requester about a move they would care about, unless they made it: fulfilled
    (with what was delivered), waiting for them, closed or cancelled by the desk, reopened."""
    status = request.status
    recipients = _told(request.requester, request)
    if not recipients or status == previous:
        return []
    if actor is not None and actor.pk in (request.requester_id, request.created_by_id):
        return []
    values = {**_values(request), "when": now}
    if status == S.FULFILLED:
        return notify_customer(
            event=MailEvent.REQUEST_FULFILLED,
            source=request,
            recipients=recipients,
            values={**values, "comment": request.fulfilment_notes},
            link=portal_link(request),
            now=now,
            key_suffix=str(request.version),
        )
    if previous == S.FULFILLED and status == S.IN_FULFILMENT:
        told, suffix = REOPENED, f"reopened:{request.version}"
    elif status in TOLD_STATUSES:
        told, suffix = Localized(STATUS_NAMES[status]), f"{status}:{request.version}"
    else:
        return []
    return notify_customer(
        event=MailEvent.TICKET_STATUS_CHANGED,
        source=request,
        recipients=recipients,
        values={**values, "status": told, "comment": ""},
        link=portal_link(request),
        now=now,
        key_suffix=suffix,
    )


def notify_public_reply(
    request: ServiceRequest, comment: Comment, *, now: dt.datetime
) -> list[Notified]:
    """Pass a public reply of the provider's staff on to the requester."""
    if not comment.is_public or not comment.by_provider:
        return []
    return notify_customer(
        event=MailEvent.TICKET_PUBLIC_REPLY,
        source=request,
        recipients=_told(request.requester, request),
        values={
            **_values(request),
            "when": comment.created_at,
            "comment": comment.body,
            "author": str(comment.author) if comment.author_id else SERVICE_DESK,
            "status": Localized(
                STATUS_NAMES.get(request.status, {"en": request.get_status_display()})
            ),
        },
        link=portal_link(request),
        now=now,
        key_suffix=f"comment:{comment.pk}",
    )
