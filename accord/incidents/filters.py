"""The filter set of incidents, shared by the agent workspace, the customers' list and the API.

Every filter is backed by an index of ``Incident`` (status, priority, assignee, assignment group,
organisation, due instant); the text search is the exception and scans the rows the other
filters leave. Customers are not offered the filters about the provider's own routing
(assignment group, assignee) nor other organisations.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from accord.core.choices import OrganisationKind, Priority
from accord.core.filters import SearchFilterMixin
from accord.core.models import Organisation, Person, Team
from accord.core.permissions import sees_all_organisations
from accord.core.roles import ROLE_CAPABILITIES
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_visible_to

#: Roles whose holders work incidents (and so may be assignees).
WORKER_ROLES = sorted(
    str(role) for role, caps in ROLE_CAPABILITIES.items() if "incidents.work" in caps
)


def incident_workers() -> QuerySet[Person]:
    """Active people of the provider who work incidents: the possible assignees."""
    return (
        Person.objects.filter(
            is_active=True,
            organisation__kind=OrganisationKind.PROVIDER,
            pk__in=Person.objects.filter(role_assignments__role__in=WORKER_ROLES).values("pk"),
        )
        .select_related("organisation")
        .order_by("first_name", "last_name", "username")
    )


def provider_teams() -> QuerySet[Team]:
    """The provider's active teams: the possible assignment groups."""
    return Team.objects.filter(
        organisation__kind=OrganisationKind.PROVIDER, is_active=True
    ).order_by("name")


def _user(request: Any) -> Any:
    return getattr(request, "user", None)


def _services(request: Any) -> QuerySet[Service]:
    return services_visible_to(_user(request)).order_by("name")


def _groups(request: Any) -> QuerySet[Team]:
    return provider_teams()


def _assignees(request: Any) -> QuerySet[Person]:
    return incident_workers()


def _organisations(request: Any) -> QuerySet[Organisation]:
    if not sees_all_organisations(_user(request)):
        return Organisation.objects.none()
    return Organisation.objects.exclude(kind=OrganisationKind.SUPPLIER).order_by("name")


#: Filters about the provider's routing, offered to its staff only.
STAFF_FILTERS = ("assignment_group", "assignee", "organisation")


class IncidentFilterSet(SearchFilterMixin):
    search_fields = ("reference", "title")
    q = django_filters.CharFilter(
        method="filter_q", label="Search", help_text="Text in the reference or title."
    )
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    service = django_filters.ModelChoiceFilter(queryset=_services)
    assignment_group = django_filters.ModelChoiceFilter(queryset=_groups, label="Assignment group")
    assignee = django_filters.ModelChoiceFilter(queryset=_assignees)
    organisation = django_filters.ModelChoiceFilter(queryset=_organisations)

    class Meta:
        model = Incident
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not sees_all_organisations(_user(self.request)):
            for name in STAFF_FILTERS:
                self.filters.pop(name, None)
