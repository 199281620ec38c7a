"""Read queries of problems, scoped to what the reader may see.

Problems are the provider's own work: provider staff and auditors holding ``problems.view``
read every problem; nobody else reads any (a customer sees a published workaround through the
known-error selectors, never the problem record). Every page, API list and export starts here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from accord.core.permissions import has_capability, sees_all_organisations
from accord.incidents.choices import OPEN_STATUSES as INCIDENT_OPEN_STATUSES
from accord.problems.models import Problem, ProblemIncident


def may_read_problems(person: Any) -> bool:
    """Provider staff and auditors with ``problems.view``."""
    return sees_all_organisations(person) and has_capability(person, "problems.view")


def problems_visible_to(person: Any) -> QuerySet[Problem]:
    """Every problem for its readers (with what a list row shows), none for anyone else."""
    qs = (
        Problem.objects.select_related("service", "category", "problem_manager", "assignee", "team")
        .prefetch_related("configuration_items", "organisations")
        .annotate(incident_count=Count("incident_links", distinct=True))
    )
    return qs if may_read_problems(person) else qs.none()


def problem_detail(person: Any, pk: Any) -> Problem:
    """One problem with its places and affected customers loaded (raises DoesNotExist when
    the person may not see it: the doors answer 404)."""
    return problems_visible_to(person).get(pk=pk)


def incidents_of(problem: Problem) -> QuerySet[ProblemIncident]:
    """The incident links of a problem with each incident's row data, newest link first, in
    one query whatever their number."""
    return ProblemIncident.objects.filter(problem=problem).select_related(
        "incident",
        "incident__service",
        "incident__organisation",
        "incident__assignee",
        "linked_by",
    )


def incident_counts(problem: Problem) -> dict[str, int]:
    """How many incidents are linked (``total``), still open (``open``) and had the workaround
    applied (``workaround_applied``), in one query."""
    return ProblemIncident.objects.filter(problem=problem).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(incident__status__in=INCIDENT_OPEN_STATUSES)),
        workaround_applied=Count("pk", filter=Q(workaround_applied_at__isnull=False)),
    )


def problems_of_incident(person: Any, incident: Any) -> QuerySet[Problem]:
    """The problems an incident is linked to, for the incident's page."""
    return problems_visible_to(person).filter(incident_links__incident=incident)


__all__ = [
    "incident_counts",
    "incidents_of",
    "may_read_problems",
    "problem_detail",
    "problems_of_incident",
    "problems_visible_to",
]
