"""Filters of service request lists, shared by the API and the pages (same names, same
meaning, so a page's address and an API query read alike)."""

from __future__ import annotations

import django_filters

from accord.core.choices import Priority
from accord.core.filters import InstantFilter, SearchFilterMixin, described_id
from accord.service_requests.choices import RequestStatus
from accord.service_requests.models import ServiceRequest


class RequestFilterSet(SearchFilterMixin):
    search_fields = ("reference", "title")
    q = django_filters.CharFilter(
        method="filter_q", help_text="Text in the reference (REQ-000042) or the title."
    )
    status = django_filters.MultipleChoiceFilter(
        choices=RequestStatus.choices,
        distinct=False,
        help_text="One or more statuses (repeatable: ?status=submitted&status=approved).",
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, distinct=False, help_text="One or more priorities (repeatable)."
    )
    organisation = described_id("organisation_id", "The organisation (id).")
    service = described_id("service_id", "The service (id).")
    catalogue_item = described_id("catalogue_item_id", "The item (id).")
    requester = described_id("requester_id", "The requester (id).")
    fulfilment_team = described_id("fulfilment_team_id", "The team (id).")
    assignee = described_id("assignee_id", "Who fulfils it (id).")
    sla_breached = django_filters.BooleanFilter(help_text="Whether a clock breached.")
    opened_after = InstantFilter(
        field_name="opened_at", lookup_expr="gte", help_text="Opened at or after (ISO 8601)."
    )
    opened_before = InstantFilter(
        field_name="opened_at", lookup_expr="lt", help_text="Opened before (ISO 8601)."
    )

    class Meta:
        model = ServiceRequest
        fields: list[str] = []
