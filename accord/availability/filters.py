"""The filter set of outages, shared by the outage list page and the REST API, so both doors
answer the same question the same way."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.availability.choices import OutageKind, OutageSeverity, OutageState
from accord.availability.models import Outage
from accord.core.filters import IdFilter, InstantFilter, SearchFilterMixin


def state_condition(state: str, now: dt.datetime) -> Q:
    """The outages in ``state`` at ``now``, as a query condition. It reads the same stored
    instants as :func:`accord.availability.services.state_of`, so the list and the record agree
    on where an outage stands, and it runs in the database (no row is loaded to decide)."""
    live = Q(cancelled_at__isnull=True, closed_at__isnull=True)
    if state == OutageState.CANCELLED:
        return Q(cancelled_at__isnull=False)
    if state == OutageState.CLOSED:
        return Q(cancelled_at__isnull=True, closed_at__isnull=False)
    if state == OutageState.UPCOMING:
        return live & Q(start__gt=now)
    if state == OutageState.ONGOING:
        return live & Q(start__lte=now) & (Q(end__isnull=True) | Q(end__gt=now))
    if state == OutageState.RESTORED:
        return live & Q(start__lte=now, end__isnull=False, end__lte=now)
    raise ValueError(f"unknown outage state {state!r}")


def reached_condition(organisation_id: int) -> Q:
    """Outages that reached the customer: those limited to nobody (every customer of the
    service) and those limited to a list naming it."""
    through = Outage.customers.through
    limited = through.objects.values("outage_id")
    naming = through.objects.filter(organisation_id=organisation_id).values("outage_id")
    return ~Q(pk__in=limited) | Q(pk__in=naming)


class OutageFilter(SearchFilterMixin):
    """Filters of the outage list. ``state`` is derived from the start, end, closure and
    cancellation against the clock of the request (``now``, default the current instant)."""

    search_fields = ("reference", "title")
    q = django_filters.CharFilter(
        method="filter_q", label="Search", help_text="Text in the reference or title."
    )
    service = IdFilter(field_name="service_id", label="Service (id)")
    kind = django_filters.ChoiceFilter(choices=OutageKind.choices)
    severity = django_filters.ChoiceFilter(choices=OutageSeverity.choices)
    state = django_filters.ChoiceFilter(
        choices=OutageState.choices,
        method="filter_state",
        help_text="upcoming, ongoing, restored, closed or cancelled, as of now.",
    )
    incident = IdFilter(field_name="incident_id", label="Incident (id)")
    change = IdFilter(field_name="change_id", label="Change (id)")
    customer = IdFilter(
        method="filter_customer",
        label="Customer (organisation id)",
        help_text="Outages that reached this customer (not limited to other customers).",
    )
    start_after = InstantFilter(
        field_name="start",
        lookup_expr="gte",
        label="Started after",
        help_text="Outages starting at or after this instant (ISO 8601 with an offset).",
    )
    start_before = InstantFilter(
        field_name="start",
        lookup_expr="lt",
        label="Started before",
        help_text="Outages starting before this instant (ISO 8601 with an offset).",
    )

    class Meta:
        model = Outage
        fields: list[str] = []

    def __init__(self, *args: Any, now: dt.datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def filter_state(self, queryset: QuerySet[Outage], name: str, value: str) -> QuerySet[Outage]:
        if not value:
            return queryset
        return queryset.filter(state_condition(value, self.now))

    def filter_customer(self, queryset: QuerySet[Outage], name: str, value: Any):
        if value is None:
            return queryset
        return queryset.filter(reached_condition(int(value)))
