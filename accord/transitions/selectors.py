"""Read queries of service transitions, scoped to who may see them.

Transitions are the provider's own planning records: its staff and auditors read them, a
customer's people never do (their services' changes reach them as catalogue entries and
agreements, not as plans).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from accord.core.choices import AuditAction
from accord.core.models import AuditEvent
from accord.core.permissions import sees_all_organisations
from accord.core.selectors import audit_events_visible_to
from accord.transitions.choices import TransitionKind
from accord.transitions.models import ServiceTransition

AUDIT_TYPE = "transitions.servicetransition"
#: The audit types of the rows that belong to a transition; their creation events name it.
CHILD_AUDIT_TYPES = (
    "transitions.acceptancecriterion",
    "transitions.transitionactivity",
    "transitions.datadisposition",
)


def may_read(person: Any) -> bool:
    """Provider staff and auditors (the people who see every organisation)."""
    return sees_all_organisations(person)


def transitions_visible_to(person: Any) -> QuerySet[ServiceTransition]:
    """The transitions ``person`` may read, with what their lists show."""
    if not may_read(person):
        return ServiceTransition.objects.none()
    return ServiceTransition.objects.select_related("service", "owner")


def with_progress(queryset: QuerySet[ServiceTransition]) -> QuerySet[ServiceTransition]:
    """Annotate the counts a list shows: criteria verified of agreed, activities done of
    planned (one query for the whole page)."""
    return queryset.annotate(
        criteria_total=Count("criteria", distinct=True),
        criteria_verified=Count(
            "criteria", filter=Q(criteria__verified_at__isnull=False), distinct=True
        ),
        activities_total=Count("activities", distinct=True),
        activities_done=Count(
            "activities", filter=Q(activities__done_at__isnull=False), distinct=True
        ),
    )


def transitions_of_service(person: Any, service: Any) -> QuerySet[ServiceTransition]:
    """A service's transitions, newest first: its history in the portfolio."""
    return transitions_visible_to(person).filter(service=service).order_by("-created_at", "-pk")


def early_life_transition(incident: Any) -> ServiceTransition | None:
    """The transition whose early life support ``incident`` falls in: the latest one that took
    its service live (new, change or transfer in) before the incident was opened, when the
    incident was opened within its early-life days (one query)."""
    if incident.service_id is None:
        return None
    latest = (
        ServiceTransition.objects.filter(
            service_id=incident.service_id,
            kind__in=[TransitionKind.NEW, TransitionKind.CHANGE, TransitionKind.TRANSFER_IN],
            completed_at__isnull=False,
            completed_at__lte=incident.opened_at,
        )
        .order_by("-completed_at")
        .first()
    )
    if latest is None or latest.completed_at is None:
        return None
    ends = latest.completed_at + dt.timedelta(days=latest.early_life_days)
    return latest if incident.opened_at < ends else None


def transition_history(person: Any, transition: ServiceTransition) -> QuerySet[AuditEvent]:
    """The audit events of a transition and of its criteria, activities and dispositions
    (those deleted since included), newest first, in one query. A child is known by its
    creation event, which records the transition it was made for."""
    created = AuditEvent.objects.filter(
        action=AuditAction.CREATE, changes__transition=[None, transition.pk]
    )
    belongs = Q(object_type=AUDIT_TYPE, object_id=str(transition.pk))
    for kind in CHILD_AUDIT_TYPES:
        belongs |= Q(
            object_type=kind,
            object_id__in=created.filter(object_type=kind).values("object_id"),
        )
    return audit_events_visible_to(person).filter(belongs).order_by("-occurred_at", "-id")
