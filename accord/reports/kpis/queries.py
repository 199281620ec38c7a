"""The query pieces the KPI families share: a reach applied to tickets, the customer test of
records that name their customers, and the address of the list that shows a figure's items.

They live apart from the families so that every figure about tickets, problems or changes
narrows its rows by a :class:`~accord.reports.kpis.Reach` the same way, and so that the
figures of the dashboards and of the report sections cannot drift apart. They are internal to
the catalogue (hence the leading underscore): callers use the KPIs, not these.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse

from accord.incidents.models import Incident
from accord.reports.kpis import Reach


def _link(name: str, **params: Any) -> str | None:
    """The address of a list page with its filters, or None if there is no such page."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return None
    query = urlencode([(k, v) for k, v in params.items() if v not in (None, "")], doseq=True)
    return f"{url}?{query}" if query else url


def _own(model: Any, person_id: int) -> Q:
    who = "caller_id" if model is Incident else "requester_id"
    return Q(**{who: person_id}) | Q(created_by_id=person_id)


def _tickets(model: Any, reach: Reach) -> QuerySet[Any]:
    """Incidents or service requests of the reach."""
    rows = model._default_manager.all()
    if reach.service_ids is not None:
        rows = rows.filter(service_id__in=reach.service_ids)
    if reach.organisation_id is not None:
        rows = rows.filter(organisation_id=reach.organisation_id)
    if reach.person_id is not None:
        rows = rows.filter(_own(model, reach.person_id))
    return rows


def _customer_reached(org_id: int | None, through: Any, column: str) -> Q:
    """Rows that name no customer or name ``org_id`` among them (as the report counts)."""
    if org_id is None:
        return Q()
    named = through.objects.filter(**{column: OuterRef("pk")})
    return ~Q(Exists(named)) | Q(Exists(named.filter(organisation_id=org_id)))
