"""Filter sets of configuration items, their relationships and types: one set per record
serves the list page, the CSV export and the REST API, so the doors cannot drift."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from accord.core.filters import IdFilter, SearchFilterMixin
from accord.core.selectors import organisations_visible_to
from accord.portfolio.choices import CIRelationKind, CIStatus
from accord.portfolio.models import CIRelationship, CIType, ConfigurationItem


def _organisations(request: Any) -> QuerySet[Any]:
    return organisations_visible_to(getattr(request, "user", None)).only("pk", "name")


class CIFilterSet(SearchFilterMixin):
    search_fields = ("name", "description")
    ci_type = django_filters.ModelChoiceFilter(
        queryset=CIType.objects.all(), label="Type", field_name="ci_type"
    )
    type = django_filters.CharFilter(
        field_name="ci_type__code", label="Type code", lookup_expr="iexact"
    )
    status = django_filters.ChoiceFilter(choices=CIStatus.choices)
    organisation = django_filters.ModelChoiceFilter(queryset=_organisations)
    owner = IdFilter(field_name="owner_id", label="Owner (person id)")
    service = IdFilter(field_name="services", label="Supports service (id)")

    class Meta:
        model = ConfigurationItem
        fields: list[str] = []


class CIRelationshipFilterSet(django_filters.FilterSet):
    source = IdFilter(field_name="source_id", label="Source CI (id)")
    target = IdFilter(field_name="target_id", label="Target CI (id)")
    ci = IdFilter(method="filter_ci", label="Either end (CI id)")
    kind = django_filters.ChoiceFilter(choices=CIRelationKind.choices)
    organisation = IdFilter(field_name="organisation_id")

    class Meta:
        model = CIRelationship
        fields: list[str] = []

    def filter_ci(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return queryset.filter(Q(source_id=value) | Q(target_id=value))


class CITypeFilterSet(SearchFilterMixin):
    search_fields = ("code", "name")

    class Meta:
        model = CIType
        fields: list[str] = []
