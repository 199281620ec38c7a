"""Read helpers of the service request pages: the fulfilment queues, the page's filter set, the
people and teams a request may be routed to, and the answers as the requester saw the form.

They only read; every change goes through ``accord.service_requests.services``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet

from accord.core.choices import OrganisationKind, Priority
from accord.core.models import Organisation, Person, Team
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.roles import ROLE_CAPABILITIES
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.service_requests import selectors
from accord.service_requests.choices import OPEN_STATUSES, RequestStatus
from accord.service_requests.filters import RequestFilterSet
from accord.service_requests.models import ServiceRequest

#: The fulfilment queues of the workspace, in the order of its tabs.
QUEUES = {
    "mine": "My work",
    "teams": "My teams",
    "unassigned": "Unassigned",
    "approval": "Awaiting approval",
    "breaching": "Breaching soon",
    "open": "All open",
    "all": "All",
}
#: A request whose soonest clock falls due within this window is "breaching soon".
BREACHING_WINDOW = dt.timedelta(hours=2)
#: Roles whose holders fulfil requests (and so may be named as assignees).
WORKER_ROLES = tuple(
    sorted(str(role) for role, caps in ROLE_CAPABILITIES.items() if "requests.work" in caps)
)


def may_open_requests(user: Any) -> bool:
    """The provider's staff and auditors read every request; a customer's people who may
    raise requests read theirs (or their organisation's, for its manager)."""
    return sees_all_organisations(user) or has_capability(user, "requests.raise")


def works_requests(user: Any) -> bool:
    """Provider staff who fulfil requests get the workspace; everyone else a plain list."""
    return sees_all_organisations(user) and has_capability(user, "requests.work")


def queue(person: Any, name: str, now: dt.datetime) -> QuerySet[ServiceRequest]:
    """The requests of one fulfilment queue, scoped to what ``person`` may see."""
    qs = selectors.requests_visible_to(person)
    open_qs = qs.filter(status__in=sorted(OPEN_STATUSES))
    if name == "mine":
        return open_qs.filter(assignee=person)
    if name == "teams":
        return open_qs.filter(fulfilment_team__in=person.teams.all())
    if name == "unassigned":
        # Waiting for an approver is not waiting for the team: those have their own queue.
        return open_qs.filter(assignee__isnull=True).exclude(status=RequestStatus.AWAITING_APPROVAL)
    if name == "approval":
        return qs.filter(status=RequestStatus.AWAITING_APPROVAL)
    if name == "breaching":
        return open_qs.filter(sla_due_at__isnull=False, sla_due_at__lte=now + BREACHING_WINDOW)
    if name == "open":
        return open_qs
    return qs


def request_workers() -> QuerySet[Person]:
    """Active provider staff who fulfil requests: the possible assignees of requests and tasks."""
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
    """The provider's active teams: the possible fulfilment teams."""
    return Team.objects.filter(
        organisation__kind=OrganisationKind.PROVIDER, is_active=True
    ).order_by("name")


def _user(request: Any) -> Any:
    return getattr(request, "user", None)


def _services(request: Any) -> Any:
    return services_visible_to(_user(request)).order_by("name")


def _items(request: Any) -> Any:
    return catalogue_items_visible_to(_user(request)).order_by("name")


def _teams(request: Any) -> Any:
    return provider_teams()


def _workers(request: Any) -> Any:
    return request_workers()


def _organisations(request: Any) -> Any:
    if not sees_all_organisations(_user(request)):
        return Organisation.objects.none()
    return Organisation.objects.exclude(kind=OrganisationKind.SUPPLIER).order_by("name")


#: Filters about the provider's routing, offered to its staff only.
STAFF_FILTERS = ("fulfilment_team", "assignee", "organisation")
#: Filters of the API that the page does not offer (dates and ids nobody types in a form).
API_ONLY_FILTERS = ("requester", "sla_breached", "opened_after", "opened_before")


class RequestPageFilterSet(RequestFilterSet):
    """The API's filters with the same names and meanings, offered as choices on the page
    (a status, a service from a list rather than an id)."""

    q = django_filters.CharFilter(
        method="filter_q", label="Search", help_text="Text in the reference or the title."
    )
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    service = django_filters.ModelChoiceFilter(queryset=_services)
    catalogue_item = django_filters.ModelChoiceFilter(queryset=_items, label="Catalogue item")
    fulfilment_team = django_filters.ModelChoiceFilter(queryset=_teams, label="Team")
    assignee = django_filters.ModelChoiceFilter(queryset=_workers)
    organisation = django_filters.ModelChoiceFilter(queryset=_organisations)

    class Meta(RequestFilterSet.Meta):
        pass

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in API_ONLY_FILTERS:
            self.filters.pop(name, None)
        if not sees_all_organisations(_user(self.request)):
            for name in STAFF_FILTERS:
                self.filters.pop(name, None)


def _shown(kind: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool) or kind == "boolean":
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def answer_rows(request: ServiceRequest) -> list[tuple[str, str]]:
    """The answers with the labels of the form the requester filled in (its snapshot), so they
    stay readable after the catalogue owner changes the item's form."""
    answers = dict(request.answers or {})
    rows = []
    for field in request.form_snapshot or []:
        if not isinstance(field, dict) or "name" not in field:
            continue
        name = field["name"]
        rows.append(
            (
                str(field.get("label") or name),
                _shown(field.get("type", ""), answers.pop(name, None)),
            )
        )
    # Answers to fields the snapshot no longer names stay visible under their own names.
    rows += [(name, _shown("", value)) for name, value in answers.items()]
    return rows
