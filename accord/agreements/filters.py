"""Filter sets of calendars, agreements and targets, shared by the pages and the REST API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.models import Agreement, Calendar, Target
from accord.core.choices import Priority
from accord.core.filters import IdFilter, SearchFilterMixin

ALL_PRIORITIES = "all"


class CalendarFilterSet(SearchFilterMixin):
    search_fields = ("name", "description")
    time_zone = django_filters.CharFilter(help_text="IANA time zone name, e.g. Europe/Berlin.")
    holiday_country = django_filters.CharFilter(
        lookup_expr="iexact", help_text="ISO 3166 country code of the public holidays."
    )

    class Meta:
        model = Calendar
        fields: list[str] = []


class AgreementFilterSet(SearchFilterMixin):
    search_fields = ("code", "name")
    kind = django_filters.ChoiceFilter(choices=AgreementKind.choices)
    status = django_filters.ChoiceFilter(choices=AgreementStatus.choices)
    organisation = IdFilter(field_name="organisation_id", label="Organisation (id)")
    team = IdFilter(field_name="team_id", label="Team (id)")
    calendar = IdFilter(field_name="calendar_id", label="Calendar (id)")
    service = IdFilter(method="filter_service", label="Service (id)")

    class Meta:
        model = Agreement
        fields: list[str] = []

    def filter_service(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        through = Agreement.services.through.objects.filter(service_id=value)
        return queryset.filter(pk__in=through.values("agreement_id"))


class TargetFilterSet(django_filters.FilterSet):
    agreement = IdFilter(field_name="agreement_id", label="Agreement (id)")
    metric = django_filters.ChoiceFilter(choices=Metric.choices)
    priority = django_filters.ChoiceFilter(
        choices=[*Priority.choices, (ALL_PRIORITIES, "All priorities")],
        method="filter_priority",
        help_text="P1 … P4, or 'all' for the targets that apply to every priority.",
    )

    class Meta:
        model = Target
        fields: list[str] = []

    def filter_priority(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(priority="" if value == ALL_PRIORITIES else value)
