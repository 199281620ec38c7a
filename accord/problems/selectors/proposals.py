"""Read queries of proposals, scoped to what the reader may see, and the filter set that the
proposals page and the API share.

Proposals are the provider's working material: its staff and the auditor (``problems.view``)
read them; customers see none, and a proposal they ask for answers 404.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Value,
    When,
)

from accord.core.permissions import has_capability, sees_all_organisations
from accord.incidents.models import Incident
from accord.problems.choices import ProposalRule, ProposalStatus
from accord.problems.models import ProblemIncident, ProblemProposal


def may_read_proposals(person: Any) -> bool:
    """The provider's staff and the auditor."""
    return sees_all_organisations(person) and has_capability(person, "problems.view")


def proposals_visible_to(person: Any) -> QuerySet[ProblemProposal]:
    """Every proposal for those who may read them, with its number of incidents; none for
    anybody else."""
    qs = ProblemProposal.objects.select_related(
        "service", "configuration_item", "category", "decided_by", "problem"
    ).annotate(incident_count=Count("incidents", distinct=True))
    if not may_read_proposals(person):
        return qs.none()
    return qs


def open_first(qs: QuerySet[ProblemProposal]) -> QuerySet[ProblemProposal]:
    """Open proposals first, then the decided ones; newest first within each."""
    return qs.annotate(
        open_rank=Case(
            When(status=ProposalStatus.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("open_rank", "-proposed_at", "-pk")


def with_incidents(qs: QuerySet[ProblemProposal]) -> QuerySet[ProblemProposal]:
    """Each proposal's incidents (reference, title, status, opened, and whether a problem holds
    them already, e.g. from another rule's proposal) in one more query for the whole page,
    oldest first, as ``proposal.incident_rows``."""
    rows = (
        Incident.objects.only("id", "reference", "title", "status", "opened_at")
        .annotate(in_problem=Exists(ProblemIncident.objects.filter(incident=OuterRef("pk"))))
        .order_by("opened_at", "pk")
    )
    return qs.prefetch_related(Prefetch("incidents", queryset=rows, to_attr="incident_rows"))


class ProposalFilterSet(django_filters.FilterSet):
    """Filters of the proposals page and of ``/api/v1/problem-proposals/``."""

    status = django_filters.ChoiceFilter(
        choices=ProposalStatus.choices, help_text="open, accepted or dismissed."
    )
    rule = django_filters.ChoiceFilter(
        choices=ProposalRule.choices,
        help_text="service_ci (same service and CI), category or title (same normalised title).",
    )

    class Meta:
        model = ProblemProposal
        fields: list[str] = []
