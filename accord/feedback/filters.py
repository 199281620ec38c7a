"""Filter sets of feedback. The complaint filters serve the complaint list page and the API, so
the two doors cannot drift; each is backed by an index of ``Complaint`` (status, service,
organisation, owner). The survey filters of the API are backed by the survey indexes
(organisation, service or team with the offering instant)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from accord.core.choices import OrganisationKind
from accord.core.filters import IdFilter, InstantFilter, SearchFilterMixin
from accord.core.models import Organisation
from accord.core.selectors import organisations_visible_to
from accord.feedback.choices import ComplaintStatus
from accord.feedback.models import Complaint, Survey
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_visible_to


def _user(request: Any) -> Any:
    return getattr(request, "user", None)


def _services(request: Any) -> QuerySet[Service]:
    return services_visible_to(_user(request)).order_by("name")


def _customers(request: Any) -> QuerySet[Organisation]:
    return (
        organisations_visible_to(_user(request))
        .filter(kind=OrganisationKind.CUSTOMER)
        .order_by("name")
    )


class ComplaintFilterSet(SearchFilterMixin):
    search_fields = ("reference", "title")
    status = django_filters.MultipleChoiceFilter(choices=ComplaintStatus.choices)
    service = django_filters.ModelChoiceFilter(queryset=_services)
    organisation = django_filters.ModelChoiceFilter(queryset=_customers, label="Customer")

    class Meta:
        model = Complaint
        fields = ["status", "service", "organisation", "owner"]


class SurveyFilterSet(django_filters.FilterSet):
    organisation = IdFilter(field_name="organisation_id")
    service = IdFilter(field_name="service_id")
    team = IdFilter(field_name="team_id")
    answered = django_filters.BooleanFilter(
        field_name="answered_at", lookup_expr="isnull", exclude=True, label="Answered"
    )
    offered_after = InstantFilter(field_name="offered_at", lookup_expr="gte")
    offered_before = InstantFilter(field_name="offered_at", lookup_expr="lt")

    class Meta:
        model = Survey
        fields: list[str] = []
