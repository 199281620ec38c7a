"""Filter sets shared by the list pages and the REST API, so the two doors cannot drift."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django_filters.fields import IsoDateTimeField
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


class InstantField(IsoDateTimeField):
    """An instant in ISO 8601, handed on in UTC. An offset such as ``+17:44`` is valid ISO
    8601 but beyond what PostgreSQL accepts, and an instant near year 1 or 9999 may not exist
    in UTC at all: both are bad input (400), never a database error."""

    def to_python(self, value: Any) -> dt.datetime | None:
        instant = super().to_python(value)
        if instant is None:
            return None
        try:
            return instant.astimezone(dt.UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError("This instant is out of range.", code="invalid") from exc


class InstantFilter(django_filters.IsoDateTimeFilter):
    """A filter on an instant (see :class:`InstantField`)."""

    field_class = InstantField


def described_id(field_name: str, description: str) -> IdFilter:
    """An id filter described in the API schema (the id type's own schema carries no text)."""
    described = extend_schema_field(
        {"type": "integer", "format": "int64", "description": description}
    )(type("DescribedIdFilter", (IdFilter,), {}))
    return described(field_name=field_name)


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
    occurred_after = InstantFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = InstantFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []
