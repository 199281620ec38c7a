"""The filter set of problems, shared by the problem list page and the API, and the API's
ordering (cursor pagination needs it as a backend)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import ModelChoiceField as FilterModelChoiceField
from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

from accord.core.choices import OrganisationKind, Priority
from accord.core.filters import IdFilter, SearchFilterMixin
from accord.core.models import Person
from accord.incidents.models import Category
from accord.portfolio.models import Service
from accord.problems.choices import KNOWN_ERROR_STATUSES, ProblemStatus
from accord.problems.models import Problem

#: ``?ordering=`` values and the order each gives (the id breaks ties, for stable pages).
ORDERINGS: dict[str, tuple[str, ...]] = {
    "-opened_at": ("-opened_at", "-id"),
    "opened_at": ("opened_at", "id"),
    "priority": ("priority", "-id"),
    "-priority": ("-priority", "-id"),
    "reference": ("reference",),
    "-reference": ("-reference",),
    "status": ("status", "-id"),
    "-updated_at": ("-updated_at", "-id"),
}
DEFAULT_ORDERING = "-opened_at"
MAX_ID = 2**63 - 1


class BoundedModelChoiceField(FilterModelChoiceField):
    """A record id that must fit a 64-bit id before it reaches the database (SQLite cannot
    bind a larger number): anything else is 'not one of the choices' (400)."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            text = str(value).strip()
            if not text.lstrip("-").isdigit() or not -MAX_ID <= int(text) <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                )
        return super().to_python(value)


class BoundedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = BoundedModelChoiceField


def _services(request: Any) -> QuerySet[Service]:
    return Service.objects.order_by("name")


def _people(request: Any) -> QuerySet[Person]:
    return Person.objects.filter(
        is_active=True, organisation__kind=OrganisationKind.PROVIDER
    ).order_by("first_name", "last_name", "username")


class ProblemFilterSet(SearchFilterMixin):
    search_fields = ("reference", "title", "description", "root_cause", "workaround")
    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        help_text="Text in the reference, title, description, root cause or workaround.",
    )
    status = django_filters.ChoiceFilter(choices=ProblemStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    service = BoundedModelChoiceFilter(queryset=_services)
    ci = IdFilter(field_name="configuration_items", label="Configuration item (id)", distinct=True)
    category = BoundedModelChoiceFilter(queryset=Category.objects.order_by("name"))
    problem_manager = BoundedModelChoiceFilter(queryset=_people)
    assignee = BoundedModelChoiceFilter(queryset=_people)
    known_error = django_filters.BooleanFilter(
        method="filter_known_error",
        label="Known error",
        help_text="Known errors (known error or awaiting change) only, or none of them.",
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS], method="filter_ordering", label="Sort by"
    )

    class Meta:
        model = Problem
        fields: list[str] = []

    def filter_known_error(self, queryset: QuerySet[Problem], name: str, value: Any):
        condition = {"status__in": list(KNOWN_ERROR_STATUSES)}
        return queryset.filter(**condition) if value else queryset.exclude(**condition)

    def filter_ordering(self, queryset: QuerySet[Problem], name: str, value: str):
        return queryset.order_by(*ORDERINGS[value])


class ProblemOrdering(BaseFilterBackend):
    """``?ordering=`` for the API list, in a form cursor pagination can page through."""

    param = "ordering"

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        value = request.query_params.get(self.param) or DEFAULT_ORDERING
        if value not in ORDERINGS:
            raise serializers.ValidationError(
                {self.param: [f"Sort by one of: {', '.join(ORDERINGS)}; not {value!r}."]}
            )
        return ORDERINGS[value]

    def filter_queryset(self, request: Request, queryset: QuerySet[Problem], view: Any):
        return queryset.order_by(*self.get_ordering(request, queryset, view))
