"""The filter sets of change management, shared by the list pages and the API, and the API's
ordering of changes (cursor pagination needs it as a backend)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

from accord.changes.choices import (
    ChangeStatus,
    ChangeType,
    ReleaseStatus,
    ReleaseType,
    RiskClass,
    TemplateStatus,
)
from accord.changes.models import Change, ChangeTemplate, FreezeWindow, Release
from accord.core.choices import OrganisationKind
from accord.core.filters import IdFilter, InstantFilter, SearchFilterMixin
from accord.core.models import Person, Team
from accord.portfolio.models import Service
from accord.problems.filters import BoundedModelChoiceFilter

#: ``?ordering=`` values and the order each gives (the id breaks ties, for stable pages).
ORDERINGS: dict[str, tuple[str, ...]] = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "planned_start": ("planned_start", "id"),
    "-planned_start": ("-planned_start", "-id"),
    "reference": ("reference",),
    "-reference": ("-reference",),
    "status": ("status", "-id"),
    "risk_score": ("risk_score", "-id"),
    "-risk_score": ("-risk_score", "-id"),
    "-updated_at": ("-updated_at", "-id"),
}
DEFAULT_ORDERING = "-created_at"


def _services(request: Any) -> QuerySet[Service]:
    return Service.objects.order_by("name")


def _people(request: Any) -> QuerySet[Person]:
    return Person.objects.filter(
        is_active=True, organisation__kind=OrganisationKind.PROVIDER
    ).order_by("first_name", "last_name", "username")


def _teams(request: Any) -> QuerySet[Team]:
    return Team.objects.order_by("name")


def _releases(request: Any) -> QuerySet[Release]:
    return Release.objects.order_by("-planned_date", "-pk")


class ChangeFilter(SearchFilterMixin):
    """Filters of the change list (page and API). ``planned_from`` / ``planned_to`` keep the
    changes whose planned window overlaps the period, so a calendar-like question ("what is
    planned this week?") has one answer on both doors."""

    search_fields = ("reference", "title")
    q = django_filters.CharFilter(
        method="filter_q", label="Search", help_text="Text in the reference or title."
    )
    status = django_filters.MultipleChoiceFilter(choices=ChangeStatus.choices)
    change_type = django_filters.ChoiceFilter(choices=ChangeType.choices, label="Type")
    risk_class = django_filters.ChoiceFilter(choices=RiskClass.choices, label="Risk")
    service = BoundedModelChoiceFilter(queryset=_services, field_name="services", distinct=True)
    ci = IdFilter(field_name="configuration_items", label="Configuration item (id)", distinct=True)
    owner = BoundedModelChoiceFilter(queryset=_people)
    requester = BoundedModelChoiceFilter(queryset=_people)
    implementer_team = BoundedModelChoiceFilter(queryset=_teams, label="Implementer team")
    release = BoundedModelChoiceFilter(queryset=_releases)
    planned_from = InstantFilter(
        method="filter_planned_from",
        label="Planned from",
        help_text="Changes whose planned window ends after this instant.",
    )
    planned_to = InstantFilter(
        method="filter_planned_to",
        label="Planned to",
        help_text="Changes whose planned window starts before this instant.",
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS], method="filter_ordering", label="Sort by"
    )

    class Meta:
        model = Change
        fields: list[str] = []

    def filter_planned_from(self, queryset: QuerySet[Change], name: str, value: Any):
        return queryset.filter(planned_end__gt=value)

    def filter_planned_to(self, queryset: QuerySet[Change], name: str, value: Any):
        return queryset.filter(planned_start__lt=value)

    def filter_ordering(self, queryset: QuerySet[Change], name: str, value: str):
        return queryset.order_by(*ORDERINGS[value])


class ChangeOrdering(BaseFilterBackend):
    """``?ordering=`` for the API list, in a form cursor pagination can page through."""

    param = "ordering"

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        value = request.query_params.get(self.param) or DEFAULT_ORDERING
        if value not in ORDERINGS:
            raise serializers.ValidationError(
                {self.param: [f"Sort by one of: {', '.join(ORDERINGS)}; not {value!r}."]}
            )
        return ORDERINGS[value]

    def filter_queryset(self, request: Request, queryset: QuerySet[Change], view: Any):
        return queryset.order_by(*self.get_ordering(request, queryset, view))


class ChangeTemplateFilter(SearchFilterMixin):
    search_fields = ("name", "title", "summary")
    status = django_filters.ChoiceFilter(choices=TemplateStatus.choices)
    service = BoundedModelChoiceFilter(queryset=_services, field_name="services", distinct=True)

    class Meta:
        model = ChangeTemplate
        fields: list[str] = []


class FreezeWindowFilter(SearchFilterMixin):
    """``active_from`` / ``active_to`` keep the windows overlapping the period."""

    search_fields = ("name", "reason")
    service = BoundedModelChoiceFilter(
        queryset=_services,
        method="filter_service",
        help_text="Windows on this service, including those on every service.",
    )
    active_from = InstantFilter(field_name="ends_at", lookup_expr="gt", label="Active from")
    active_to = InstantFilter(field_name="starts_at", lookup_expr="lt", label="Active to")

    class Meta:
        model = FreezeWindow
        fields: list[str] = []

    def filter_service(self, queryset: QuerySet[FreezeWindow], name: str, value: Any):
        if value is None:
            return queryset
        return queryset.filter(Q(services=value) | Q(services__isnull=True)).distinct()


class ReleaseFilter(SearchFilterMixin):
    search_fields = ("reference", "name")
    status = django_filters.MultipleChoiceFilter(choices=ReleaseStatus.choices)
    release_type = django_filters.ChoiceFilter(choices=ReleaseType.choices, label="Type")
    owner = BoundedModelChoiceFilter(queryset=_people)
    planned_after = django_filters.DateFilter(field_name="planned_date", lookup_expr="gte")
    planned_before = django_filters.DateFilter(field_name="planned_date", lookup_expr="lte")

    class Meta:
        model = Release
        fields: list[str] = []
