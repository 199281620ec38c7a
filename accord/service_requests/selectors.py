"""Read queries of service requests, each starting from what the person may see.

Provider staff and auditors see every request. A customer's manager sees the requests of their
organisation; every other customer person sees the requests they made (for themselves or for a
colleague), and those waiting for, or given, their decision as an approver. Suppliers and
everyone else see none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from accord.agreements import clocks
from accord.agreements.models import TicketClock
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person, RoleAssignment
from accord.core.permissions import has_capability, role_assignments, sees_all_organisations
from accord.service_requests.choices import ApprovalDecision
from accord.service_requests.models import Approval, FulfilmentTask, ServiceRequest
from accord.tickets.models import Attachment, Comment


def _active(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def sees_organisation_requests(person: Any, organisation_id: int | None) -> bool:
    """A customer's manager follows every request of their organisation."""
    return (
        _active(person)
        and organisation_id is not None
        and person.organisation_id == organisation_id
        and any(
            role == Role.CUSTOMER_MANAGER and org in (None, organisation_id)
            for role, org in role_assignments(person)
        )
    )


def approval_scope(person: Any) -> Q | None:
    """The pending approvals ``person`` may decide, as a filter on Approval (None: none).

    A role held for an organisation decides for that organisation; a role held without one
    decides everywhere for provider staff, and for the person's own organisation otherwise.
    """
    if not _active(person):
        return None
    provider = sees_all_organisations(person)
    scope = Q(pk__in=[])
    for role, org in role_assignments(person):
        if org is not None:
            scope |= Q(approver_role=role, organisation_id=org)
        elif provider:
            scope |= Q(approver_role=role)
        elif person.organisation_id is not None:
            scope |= Q(approver_role=role, organisation_id=person.organisation_id)
    return scope


def requests_visible_to(person: Any) -> QuerySet[ServiceRequest]:
    qs = ServiceRequest.objects.select_related(
        "organisation",
        "requester",
        "service",
        "catalogue_item",
        "fulfilment_team",
        "assignee",
    )
    if sees_all_organisations(person):
        return qs
    if not _active(person) or person.organisation_id is None:
        return qs.none()
    org = person.organisation_id
    if sees_organisation_requests(person, org):
        return qs.filter(organisation_id=org)
    visible = Q(pk__in=Approval.objects.filter(decided_by=person).values("request_id"))
    if has_capability(person, "requests.raise", org):
        # What they asked for, for themselves or on a colleague's behalf.
        visible |= Q(requester_id=person.pk) | Q(created_by_id=person.pk)
    scope = approval_scope(person)
    if scope is not None:
        deciding = Approval.objects.filter(scope, decision=ApprovalDecision.PENDING)
        visible |= Q(pk__in=deciding.values("request_id"))
    return qs.filter(visible, organisation_id=org)


def approvals_pending_for(person: Any) -> QuerySet[Approval]:
    """The approver's queue: pending decisions they may take, oldest first."""
    scope = approval_scope(person)
    if scope is None:
        return Approval.objects.none()
    return (
        Approval.objects.filter(scope, decision=ApprovalDecision.PENDING)
        .exclude(request__requester_id=person.pk)
        .select_related("request__requester", "request__catalogue_item", "organisation")
        .order_by("requested_at", "pk")
    )


def approvers_for(role: str, organisation_id: int) -> QuerySet[Person]:
    """Active people who may decide an approval of ``role`` for the organisation: holders of
    the role for it, provider staff holding it everywhere, and the organisation's own people
    holding it without an organisation."""
    holders = RoleAssignment.objects.filter(
        Q(organisation_id=organisation_id)
        | Q(
            organisation__isnull=True,
            person__organisation__kind=OrganisationKind.PROVIDER,
        )
        | Q(organisation__isnull=True, person__organisation_id=organisation_id),
        role=role,
    ).values("person_id")
    return Person.objects.filter(pk__in=holders, is_active=True).order_by("pk")


def sees_internal(person: Any) -> bool:
    """Work notes, internal files, the OLA clocks and the team's tasks are for the provider."""
    return sees_all_organisations(person)


def _ticket(request: ServiceRequest) -> dict[str, Any]:
    return {
        "content_type": ContentType.objects.get_for_model(ServiceRequest),
        "object_id": request.pk,
    }


def comments_visible_to(person: Any, request: ServiceRequest) -> QuerySet[Comment]:
    qs = Comment.objects.filter(**_ticket(request)).select_related("author")
    return qs if sees_internal(person) else qs.filter(is_public=True)


def attachments_visible_to(person: Any, request: ServiceRequest) -> QuerySet[Attachment]:
    qs = Attachment.objects.filter(**_ticket(request)).select_related("uploaded_by")
    return qs if sees_internal(person) else qs.filter(is_public=True)


def tasks_of(request: ServiceRequest) -> QuerySet[FulfilmentTask]:
    return FulfilmentTask.objects.filter(request=request).select_related("assignee")


def approvals_of(request: ServiceRequest) -> QuerySet[Approval]:
    return Approval.objects.filter(request=request).select_related("decided_by")


def clock_readings(request: ServiceRequest, now: dt.datetime) -> list[clocks.Reading]:
    """Every clock of the request as it stands at ``now``."""
    return [clocks.reading(c, now) for c in clocks.clocks_of(request)]


def clocks_for(requests: list[ServiceRequest]) -> dict[int, list[TicketClock]]:
    """The clocks of many requests in one query plus one for their agreements."""
    if not requests:
        return {}
    rows = list(
        TicketClock.objects.filter(
            content_type=ContentType.objects.get_for_model(ServiceRequest),
            object_id__in=[r.pk for r in requests],
        )
        .select_related("agreement__calendar", "target")
        .order_by("pk")
    )
    found: dict[int, list[TicketClock]] = {r.pk: [] for r in requests}
    for clock in rows:
        found[clock.object_id].append(clock)
    return found
