"""The request list: the fulfilment workspace for the provider's staff who fulfil requests, a
read-only list for everyone else who may see requests (auditors and managers of the provider,
customers' people: their own, or their organisation's for its manager).

Queues come from ``support.queue``; filters from the API's filter set (``RequestPageFilterSet``).
The list is sorted by one of two orderings that the model's indexes serve (newest first, soonest
due) and paged by keyset, so neither a deep page nor a large queue costs a count or an offset.
The SLA badge of each row is computed from the clocks of all rows, loaded in one query.
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
from accord.incidents.views.keyset import BadCursor, Ordering, SortKey, keyset_page
from accord.incidents.views.sla import most_urgent, reading_views
from accord.service_requests import selectors
from accord.service_requests.choices import REQUEST_STATUS_COLOURS
from accord.service_requests.views.support import (
    QUEUES,
    RequestPageFilterSet,
    may_open_requests,
    queue,
    works_requests,
)

PER_PAGE = 50

SORTS: dict[str, Ordering] = {
    "opened": Ordering(
        "Newest first", (SortKey("opened_at", descending=True), SortKey("id", descending=True))
    ),
    "due": Ordering("Due first", (SortKey("sla_due_at", nullable=True), SortKey("id"))),
}
# The stored due instant is the soonest of every clock, the provider's OLAs included: sorting
# a customer's list by it would tell them those.
CUSTOMER_SORTS = ("opened",)


def default_sort(queue_name: str | None) -> str:
    return "due" if queue_name == "breaching" else "opened"


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


class RequestListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not may_open_requests(user):
            raise PermissionDenied("This page is not part of your role.")
        now = timezone.now()
        internal = selectors.sees_internal(user)
        workspace = works_requests(user)
        problems: list[str] = []
        params = request.GET

        queue_name: str | None = None
        if workspace:
            queue_name = params.get("queue") or "mine"
            if queue_name not in QUEUES:
                problems.append(f"There is no queue '{queue_name}'.")
                queue_name = "mine"
            base = queue(user, queue_name, now)
        else:
            base = selectors.requests_visible_to(user)

        sorts = tuple(SORTS) if internal else CUSTOMER_SORTS
        sort = params.get("sort") or default_sort(queue_name)
        if sort not in sorts:
            problems.append(f"Requests cannot be sorted by '{sort}'.")
            sort = default_sort(queue_name) if default_sort(queue_name) in sorts else "opened"

        filterset = RequestPageFilterSet(params, queryset=base, request=request)
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
        for row in page.rows:
            row.status_colour = REQUEST_STATUS_COLOURS.get(row.status, "grey")
            row.priority_colour = PRIORITY_COLOURS.get(row.priority, "grey")
            row.sla = most_urgent(reading_views(clocks.get(row.pk, []), now, internal=internal))

        kept = params.copy()
        kept.pop("cursor", None)
        context: dict[str, Any] = {
            "workspace": workspace,
            "internal": internal,
            "organisation_wide": selectors.sees_organisation_requests(
                user, getattr(user, "organisation_id", None)
            ),
            "queues": [
                {"key": key, "label": label, "url": f"?queue={key}"}
                for key, label in QUEUES.items()
            ],
            "queue": queue_name,
            "queue_label": QUEUES.get(queue_name or "", ""),
            "sorts": [(key, SORTS[key].label) for key in sorts],
            "sort": sort,
            "filter": filterset,
            "page": page,
            "problems": problems,
            "next_url": _query(kept, cursor=page.next_cursor) if page.next_cursor else "",
            "previous_url": (
                _query(kept, cursor=page.previous_cursor) if page.previous_cursor else ""
            ),
            "first_url": _query(kept) if page.is_later else "",
        }
        return render(
            request,
            "service_requests/request_list.html",
            context,
            status=400 if problems else 200,
        )
