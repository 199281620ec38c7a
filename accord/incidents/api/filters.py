"""Filters and sort orders of the incident list in the REST API.

The SLA filters and sort read the clocks a person may see: provider staff the stored summary of
every clock (SLA, OLA and UC), a customer only their SLA clocks, so neither a filter nor a sort
order tells a customer anything about the provider's internal agreements.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import DateTimeField, Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

from accord.agreements.choices import AgreementKind, ClockState
from accord.agreements.models import TicketClock
from accord.core.choices import Priority
from accord.core.filters import InstantFilter, SearchFilterMixin, described_id
from accord.incidents import selectors
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Category, Incident

#: Sorts after every real due instant, so incidents without a counting clock come last.
NO_DUE = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def _sla_clocks() -> QuerySet[TicketClock]:
    """The customer-visible clocks of the incident in the outer query (SLA, not cancelled)."""
    return TicketClock.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=OuterRef("pk"),
        agreement_kind=AgreementKind.SLA,
    ).exclude(state=ClockState.CANCELLED)


class IncidentFilterSet(SearchFilterMixin):
    search_fields = ("reference", "title")
    q = django_filters.CharFilter(
        method="filter_q", help_text="Text in the reference (INC-000042) or the title."
    )
    # Plain columns: no join can repeat a row, so no DISTINCT (it would sort every match).
    status = django_filters.MultipleChoiceFilter(
        choices=IncidentStatus.choices,
        distinct=False,
        help_text="One or more statuses (repeat the parameter: ?status=new&status=assigned).",
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices,
        distinct=False,
        help_text="One or more priorities, P1 … P4 (repeatable).",
    )
    organisation = described_id("organisation_id", "The organisation the incident is for (id).")
    service = described_id("service_id", "The affected service (id).")
    category = described_id("category_id", "The category (id).")
    assignment_group = described_id(
        "assignment_group_id", "The team the incident is assigned to (id)."
    )
    assignee = described_id("assignee_id", "The person working it (id).")
    caller = described_id("caller_id", "The person who reported it (id).")
    is_major = django_filters.BooleanFilter(help_text="Declared major incidents only (true).")
    sla_breached = django_filters.BooleanFilter(
        method="filter_sla_breached",
        help_text="Whether a clock you may see has breached its target (customers: the SLA's).",
    )
    opened_after = InstantFilter(
        field_name="opened_at", lookup_expr="gte", help_text="Opened at or after (ISO 8601)."
    )
    opened_before = InstantFilter(
        field_name="opened_at", lookup_expr="lt", help_text="Opened before (ISO 8601)."
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_sla_breached(
        self, queryset: QuerySet[Incident], name: str, value: bool
    ) -> QuerySet[Incident]:
        if selectors.sees_internal(getattr(self.request, "user", None)):
            return queryset.filter(sla_breached=value)
        breached = Exists(_sla_clocks().filter(breached=True))
        return queryset.filter(breached) if value else queryset.exclude(breached)


class CategoryFilterSet(SearchFilterMixin):
    search_fields = ("name", "description")
    q = django_filters.CharFilter(method="filter_q", help_text="Text in the name or description.")
    is_active = django_filters.BooleanFilter(help_text="In use (true) or retired (false).")

    class Meta:
        model = Category
        fields: list[str] = []


#: The sort orders offered, as ``order_by`` arguments. The first field positions the cursor
#: (cursor pagination); the rest break ties so that pages never overlap or skip.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "-opened_at": ("-opened_at", "-id"),
    "opened_at": ("opened_at", "id"),
    "priority": ("priority", "-opened_at", "-id"),
    "-priority": ("-priority", "-opened_at", "-id"),
    "sla_due_at": ("sla_due_sort", "id"),
    "-sla_due_at": ("-sla_due_sort", "-id"),
}
DEFAULT_ORDERING = "-opened_at"


class IncidentOrdering(BaseFilterBackend):
    """``?ordering=`` for the incident list, in a form cursor pagination can page through.

    ``sla_due_at`` sorts by the soonest due instant (incidents without one last), through an
    annotation that is never null, because a cursor cannot be positioned on a null value.
    """

    param = "ordering"

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        value = request.query_params.get(self.param) or DEFAULT_ORDERING
        if value not in ORDERINGS:
            raise serializers.ValidationError(
                {self.param: [f"Sort by one of: {', '.join(ORDERINGS)}; not {value!r}."]}
            )
        return ORDERINGS[value]

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Incident], view: Any
    ) -> QuerySet[Incident]:
        ordering = self.get_ordering(request, queryset, view)
        if ordering[0].lstrip("-") == "sla_due_sort":
            if selectors.sees_internal(request.user):
                due: Any = "sla_due_at"
            else:
                soonest = (
                    _sla_clocks()
                    .filter(stopped_at__isnull=True, due_at__isnull=False)
                    .order_by("due_at")
                    .values("due_at")[:1]
                )
                due = Subquery(soonest, output_field=DateTimeField())
            queryset = queryset.annotate(
                sla_due_sort=Coalesce(due, Value(NO_DUE), output_field=DateTimeField())
            )
        return queryset.order_by(*ordering)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": "Sort order: opened_at, priority or sla_due_at (the soonest due "
                "instant of a counting clock you may see), ascending, or descending with a "
                f"leading '-'. Default {DEFAULT_ORDERING}.",
                "schema": {"type": "string", "enum": list(ORDERINGS)},
            }
        ]
