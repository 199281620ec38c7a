"""Incident and service request KPIs: incidents opened and resolved, the open backlog, mean
time to resolve, major incidents and requests fulfilled.

Each counts tickets the way the report's workload, backlog and service requests sections do
(cancelled tickets left out, a reopened ticket counted once), so a dashboard tile and the
report of the same period and reach agree. Requests on time is a service level figure and
lives in :mod:`accord.reports.kpis.service_level`.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from accord.governance import measures
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident
from accord.reports.kpis import HIGHER, LOWER, NEUTRAL, ONE_PLACE, KpiResult, Reach, Window, kpi
from accord.reports.kpis.queries import _link, _tickets
from accord.service_requests.choices import RequestStatus
from accord.service_requests.models import ServiceRequest

OPENED_DEFINITION = (
    "Incidents opened in the period (by the instant they were opened), cancelled ones left out; "
    "a reopened incident counts once, in the period it was first opened. The same count as the "
    "report's workload section."
)
RESOLVED_DEFINITION = (
    "Incidents resolved in the period (by their resolution instant), cancelled ones left out; an "
    "incident resolved, reopened and resolved again counts once, at its last resolution."
)
BACKLOG_DEFINITION = (
    "Incidents and service requests open at the end of the period: opened before its end and "
    "not resolved (incidents), fulfilled (requests) or closed by then, nor cancelled or "
    "rejected. For the current month: open now. The same count as the report's backlog section."
)
TIME_TO_RESOLVE_DEFINITION = (
    "The mean wall-clock time from opening to resolution, in hours to one place, of the "
    "incidents resolved in the period (cancelled ones left out). Wall clock: nights, weekends "
    "and pauses count, unlike the business time the SLA clocks measure."
)


@kpi(
    "incidents_opened",
    label="Incidents opened",
    unit="incidents",
    definition=OPENED_DEFINITION,
    direction=NEUTRAL,
)
def incidents_opened(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    n = (
        _tickets(Incident, reach)
        .filter(opened_at__gte=first, opened_at__lt=after)
        .exclude(status=IncidentStatus.CANCELLED)
        .count()
    )
    return KpiResult(Decimal(n), n, _link("incident-list", queue="all"))


@kpi(
    "incidents_resolved",
    label="Incidents resolved",
    unit="incidents",
    definition=RESOLVED_DEFINITION,
    direction=HIGHER,
)
def incidents_resolved(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    n = (
        _tickets(Incident, reach)
        .filter(resolved_at__gte=first, resolved_at__lt=after)
        .exclude(status=IncidentStatus.CANCELLED)
        .count()
    )
    return KpiResult(Decimal(n), n, _link("incident-list", queue="all", status="resolved"))


def _open_at(model: Any, reach: Reach, after: dt.datetime) -> QuerySet[Any]:
    done = "resolved_at" if model is Incident else "fulfilled_at"
    excluded = (
        [IncidentStatus.CANCELLED]
        if model is Incident
        else [RequestStatus.CANCELLED, RequestStatus.REJECTED]
    )
    return (
        _tickets(model, reach)
        .filter(opened_at__lt=after)
        .exclude(Q(**{f"{done}__lt": after}) | Q(closed_at__lt=after))
        .exclude(status__in=excluded)
    )


@kpi(
    "backlog",
    label="Open tickets",
    unit="tickets",
    definition=BACKLOG_DEFINITION,
    direction=LOWER,
)
def backlog(window: Window, reach: Reach) -> KpiResult:
    _, after = window.bounds()
    n = _open_at(Incident, reach, after).count() + _open_at(ServiceRequest, reach, after).count()
    return KpiResult(Decimal(n), n, _link("incident-list", queue="open"))


@kpi(
    "time_to_resolve",
    label="Mean time to resolve",
    unit="hours",
    definition=TIME_TO_RESOLVE_DEFINITION,
    direction=LOWER,
    tolerance=Decimal("0.5"),
)
def time_to_resolve(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    took = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())
    row = (
        _tickets(Incident, reach)
        .filter(resolved_at__gte=first, resolved_at__lt=after)
        .exclude(status=IncidentStatus.CANCELLED)
        .aggregate(n=Count("pk"), mean=Avg(took))
    )
    mean = row["mean"]
    if not row["n"] or mean is None:
        return KpiResult(None, row["n"] or 0)
    hours = Decimal(str(mean.total_seconds())) / Decimal(3600)
    return KpiResult(hours.quantize(ONE_PLACE, rounding=ROUND_HALF_UP), row["n"])


@kpi(
    "major_incidents",
    label="Major incidents",
    unit="incidents",
    definition=measures.MAJOR_INCIDENTS_DEFINITION,
    direction=LOWER,
)
def major_incidents(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    n = (
        _tickets(Incident, reach)
        .filter(is_major=True, major_declared_at__gte=first, major_declared_at__lt=after)
        .count()
    )
    return KpiResult(Decimal(n), n, _link("incident-list", queue="major"))


REQUESTS_FULFILLED_DEFINITION = (
    "Service requests fulfilled in the period (by their fulfilment instant; a request "
    "fulfilled, reopened and fulfilled again counts once, at its last fulfilment), cancelled "
    "ones left out. The same count as the report's service requests section."
)


@kpi(
    "requests_fulfilled",
    label="Requests fulfilled",
    unit="requests",
    definition=REQUESTS_FULFILLED_DEFINITION,
    direction=HIGHER,
)
def requests_fulfilled(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    n = (
        _tickets(ServiceRequest, reach)
        .filter(fulfilled_at__gte=first, fulfilled_at__lt=after)
        .exclude(status=RequestStatus.CANCELLED)
        .count()
    )
    return KpiResult(Decimal(n), n, _link("request-list"))
