"""Filter sets shared by the list pages and the REST API, so the two doors cannot drift."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from accord.core.choices import AuditAction, Door, OrganisationKind, Role
from accord.core.models import AuditEvent, Organisation, Person, RoleAssignment, Team


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
    member = django_filters.NumberFilter(field_name="members", label="Member (person id)")

    class Meta:
        model = Team
        fields = ["organisation", "is_active", "lead"]


class PersonFilterSet(SearchFilterMixin):
    search_fields = ("username", "first_name", "last_name", "email")
    role = django_filters.ChoiceFilter(
        choices=Role.choices, field_name="role_assignments__role", distinct=True
    )
    team = django_filters.NumberFilter(field_name="teams", label="Team (id)")

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
    actor = django_filters.NumberFilter(field_name="actor_id", label="Actor (person id)")
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    request_id = django_filters.CharFilter()
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []
