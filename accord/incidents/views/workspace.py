"""The incident list: the agent workspace for the provider's staff, a plain list for customers.

Queues come from ``selectors.queue``; filters from ``IncidentFilterSet``. The list is sorted by
one of three orderings that the model's indexes serve (newest first, priority, SLA due) and
paged by keyset, so neither a deep page nor a large queue costs a count or an offset. The SLA
badge of each row is computed from the clocks of all rows, loaded in one query.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from accord.core.choices import PRIORITY_COLOURS
from accord.core.permissions import has_capability, sees_all_organisations
from accord.incidents import selectors
from accord.incidents.choices import INCIDENT_STATUS_COLOURS
from accord.incidents.filters import IncidentFilterSet
from accord.incidents.views.config import may_configure
from accord.incidents.views.keyset import BadCursor, Ordering, SortKey, keyset_page
from accord.incidents.views.sla import most_urgent, reading_views

PER_PAGE = 50

SORTS: dict[str, Ordering] = {
    "opened": Ordering(
        "Newest first", (SortKey("opened_at", descending=True), SortKey("id", descending=True))
    ),
    "priority": Ordering(
        "Priority",
        (
            SortKey("priority"),
            SortKey("opened_at", descending=True),
            SortKey("id", descending=True),
        ),
    ),
    "due": Ordering("SLA due first", (SortKey("sla_due_at", nullable=True), SortKey("id"))),
}
CUSTOMER_SORTS = ("opened", "priority")


def may_open_incidents(user: Any) -> bool:
    """The provider's staff and auditors read every incident; a customer's people who may
    raise incidents read their organisation's."""
    return sees_all_organisations(user) or has_capability(user, "incidents.raise")


def may_raise(user: Any) -> bool:
    """Who the new incident page is for: staff who work incidents, customers who raise them."""
    if sees_all_organisations(user):
        return has_capability(user, "incidents.work")
    return has_capability(user, "incidents.raise")


def default_queue(user: Any) -> str:
    return "mine" if has_capability(user, "incidents.work") else "open"


def default_sort(queue: str | None) -> str:
    return "due" if queue == "breaching" else "opened"


def _query(params: QueryDict, **changes: str | None) -> str:
    """The current query string with some parameters changed (None drops one)."""
    query = params.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


class IncidentListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not may_open_incidents(user):
            raise PermissionDenied("This page is not part of your role.")
        now = timezone.now()
        internal = selectors.sees_internal(user)
        problems: list[str] = []
        params = request.GET

        queue_name: str | None = None
        if internal:
            queue_name = params.get("queue") or default_queue(user)
            if queue_name not in selectors.QUEUES:
                problems.append(f"There is no queue '{queue_name}'.")
                queue_name = default_queue(user)
            base = selectors.queue(user, queue_name, now)
        else:
            base = selectors.incidents_visible_to(user)

        # The stored due instant is the soonest of every clock, the provider's OLAs and
        # suppliers' contracts included: sorting a customer's list by it would tell them those.
        sorts = SORTS if internal else CUSTOMER_SORTS
        sort = params.get("sort") or default_sort(queue_name)
        if sort not in sorts:
            problems.append(f"Incidents cannot be sorted by '{sort}'.")
            sort = default_sort(queue_name)

        filterset = IncidentFilterSet(params, queryset=base, request=request)
        if not filterset.is_valid():
            problems.append("Check the filters: some values are not valid.")
            rows_qs = base.none()
        else:
            rows_qs = filterset.qs

        try:
            page = keyset_page(
                rows_qs,
                sort=sort,
                ordering=SORTS[sort],
                cursor=params.get("cursor"),
                per_page=PER_PAGE,
            )
        except BadCursor:
            problems.append("That page link is no longer valid; this is the first page.")
            page = keyset_page(
                rows_qs, sort=sort, ordering=SORTS[sort], cursor=None, per_page=PER_PAGE
            )

        clocks = selectors.clocks_for(page.rows)
        for incident in page.rows:
            incident.status_colour = INCIDENT_STATUS_COLOURS.get(incident.status, "grey")
            incident.priority_colour = PRIORITY_COLOURS.get(incident.priority, "grey")
            incident.sla = most_urgent(
                reading_views(clocks.get(incident.pk, []), now, internal=internal)
            )

        kept = params.copy()
        kept.pop("cursor", None)
        return render(
            request,
            "incidents/incident_list.html",
            {
                "workspace": internal,
                "queues": [
                    {"key": key, "label": label, "url": f"?queue={key}"}
                    for key, label in selectors.QUEUES.items()
                ],
                "queue": queue_name,
                "queue_label": selectors.QUEUES.get(queue_name or "", ""),
                "sorts": [(key, SORTS[key].label) for key in sorts],
                "sort": sort,
                "filter": filterset,
                "page": page,
                "problems": problems,
                "can_create": may_raise(user),
                "can_configure": may_configure(user),
                "next_url": _query(kept, cursor=page.next_cursor) if page.next_cursor else "",
                "previous_url": (
                    _query(kept, cursor=page.previous_cursor) if page.previous_cursor else ""
                ),
                "first_url": _query(kept) if page.is_later else "",
            },
            status=400 if problems else 200,
        )
