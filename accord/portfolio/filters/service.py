"""The filter set of services, shared by the portfolio page, the API and the CSV export."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from accord.core.filters import SearchFilterMixin
from accord.core.models import Person, Team
from accord.portfolio.choices import Criticality, ServiceStatus
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_visible_to


def _owners(request: Any) -> QuerySet[Person]:
    """People who own a service the asking person may see."""
    user = getattr(request, "user", None)
    visible = services_visible_to(user).values("owner_id")
    return Person.objects.filter(pk__in=visible).order_by("last_name", "first_name", "username")


def _teams(request: Any) -> QuerySet[Team]:
    user = getattr(request, "user", None)
    visible = services_visible_to(user).values("owning_team_id")
    return Team.objects.filter(pk__in=visible).order_by("name")


class ServiceFilterSet(SearchFilterMixin):
    search_fields = ("code", "name", "summary")
    q = django_filters.CharFilter(
        method="filter_q", label="Search", help_text="Text in the code, name or summary."
    )
    status = django_filters.ChoiceFilter(
        choices=ServiceStatus.choices, help_text="Lifecycle status."
    )
    criticality = django_filters.ChoiceFilter(
        choices=Criticality.choices, help_text="How critical the service is to its customers."
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=_owners, label="Owner", help_text="The service owner (person id)."
    )
    owning_team = django_filters.ModelChoiceFilter(
        queryset=_teams, label="Owning team", help_text="The team that owns the service (id)."
    )
    review_due_by = django_filters.DateFilter(
        field_name="next_review",
        lookup_expr="lte",
        label="Review due by",
        help_text="Services whose next review is on or before this date (YYYY-MM-DD).",
    )

    class Meta:
        model = Service
        fields = ["q", "status", "criticality", "owner", "owning_team", "review_due_by"]
