"""Filter sets shared by the list pages and the REST API, so the two doors cannot drift."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accord.core.choices import AuditAction, Door, OrganisationKind, Role
from accord.core.models import AuditEvent, Organisation, Person, RoleAssignment, Team


@extend_schema_field(OpenApiTypes.INT64)
class IdFilter(django_filters.NumberFilter):
    """A record id. Decimals and numbers beyond a 64-bit id are bad input (400) and never reach
    the database, where SQLite cannot even bind them."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class SearchFilterMixin(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    search_fields: tuple[str, ...] = ()

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class OrganisationFilterSet(SearchFilterMixin):
    search_fields = ("code", "name")
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)

    class Meta:
        model = Organisation
        fields = ["kind", "is_active"]


class TeamFilterSet(SearchFilterMixin):
    search_fields = ("code", "name")
    member = IdFilter(field_name="members", label="Member (person id)")

    class Meta:
        model = Team
        fields = ["organisation", "is_active", "lead"]


class PersonFilterSet(SearchFilterMixin):
    search_fields = ("username", "first_name", "last_name", "email")
    role = django_filters.ChoiceFilter(
        choices=Role.choices, field_name="role_assignments__role", distinct=True
    )
    team = IdFilter(field_name="teams", label="Team (id)")

    class Meta:
        model = Person
        fields = ["organisation", "is_active"]


class RoleAssignmentFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = RoleAssignment
        fields = ["person", "role", "organisation"]


class AuditEventFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=AuditAction.choices)
    door = django_filters.ChoiceFilter(choices=Door.choices)
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    actor = IdFilter(field_name="actor_id", label="Actor (person id)")
    organisation = IdFilter(field_name="organisation_id")
    request_id = django_filters.CharFilter()
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []
