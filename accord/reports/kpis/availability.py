"""Availability and capacity KPIs: services meeting their availability target, availability
over all services measured, and capacity metrics at warning or critical.

Availability is measured by :mod:`accord.availability.selectors` in each service's own time
zone, and capacity levels are those the threshold evaluation last set, so these figures match
the availability and capacity pages and the report's sections.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accord.availability import selectors as availability
from accord.capacity.choices import Level
from accord.capacity.models import Metric as CapacityMetric
from accord.domain import availability as av
from accord.governance import measures
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.reports.kpis import HIGHER, LOWER, KpiResult, Reach, Window, kpi
from accord.reports.kpis.queries import _link


def _services_reached(reach: Reach) -> list[int]:
    """The services a figure about services covers: the reach's, else every live service and
    those retired (as the provider-wide report counts them)."""
    if reach.service_ids is not None:
        return list(reach.service_ids)
    return list(
        Service.objects.filter(status__in=[ServiceStatus.LIVE, ServiceStatus.RETIRED])
        .order_by("pk")
        .values_list("pk", flat=True)
    )


AVAILABILITY_MET_DEFINITION = (
    "Services meeting their availability target as a percentage of the services measured that "
    "have one (the target of the service's governing SLA). Availability = uptime / agreed "
    "service time x 100 over the period's agreed service time, in each service's own time zone "
    "(for the current month: so far). The same figures as the availability pages and the "
    "report's availability section."
)
AVAILABILITY_DEFINITION = (
    "Uptime as a percentage of agreed service time, over every service measured together "
    "(agreed times and uptimes added up, so a service with longer service hours weighs more), "
    "each in its own time zone (for the current month: so far)."
)


def measured_services(window: Window, reach: Reach) -> list[availability.Measured]:
    """The availability of each service of the reach over the window (constant queries)."""
    services = list(
        Service.objects.filter(pk__in=_services_reached(reach))
        .select_related("service_hours")
        .order_by("code", "pk")
    )
    now = window.now or dt.datetime.now(dt.UTC)
    return availability.measure_services(services, period=window.period, now=now)


@kpi(
    "availability_met",
    label="Services meeting their availability target",
    unit="%",
    definition=AVAILABILITY_MET_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.5"),
)
def availability_met(window: Window, reach: Reach) -> KpiResult:
    with_target = met = 0
    for result in measured_services(window, reach):
        if result.target is None or result.figures.availability is None:
            continue
        with_target += 1
        met += result.figures.availability >= result.target
    return KpiResult(
        measures.percent(met, with_target), with_target, _link("availability-overview")
    )


@kpi(
    "availability",
    label="Availability",
    unit="%",
    definition=AVAILABILITY_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.05"),
)
def availability_overall(window: Window, reach: Reach) -> KpiResult:
    found = [r.figures for r in measured_services(window, reach)]
    if not found:
        return KpiResult(None, 0, _link("availability-overview"))
    total = av.combine(found)
    return KpiResult(total.availability, len(found), _link("availability-overview"))


CAPACITY_DEFINITION = (
    "Active capacity metrics of the services now at {level} (or above, for warning: warning or "
    "critical), as the threshold evaluation last set them. The same levels as the capacity "
    "pages and the report's capacity section."
)


def _capacity(reach: Reach, levels: list[str]) -> int:
    rows = CapacityMetric.objects.filter(is_active=True, state__level__in=levels)
    if reach.service_ids is not None:
        rows = rows.filter(service_id__in=reach.service_ids)
    return rows.count()


@kpi(
    "capacity_warning",
    label="Capacity metrics at warning or critical",
    unit="metrics",
    definition=CAPACITY_DEFINITION.format(level="warning"),
    direction=LOWER,
    present=True,
)
def capacity_warning(window: Window, reach: Reach) -> KpiResult:
    n = _capacity(reach, [Level.WARNING, Level.CRITICAL])
    return KpiResult(Decimal(n), n, _link("capacity-overview"))


@kpi(
    "capacity_critical",
    label="Capacity metrics at critical",
    unit="metrics",
    definition=CAPACITY_DEFINITION.format(level="critical"),
    direction=LOWER,
    present=True,
)
def capacity_critical(window: Window, reach: Reach) -> KpiResult:
    n = _capacity(reach, [Level.CRITICAL])
    return KpiResult(Decimal(n), n, _link("capacity-overview"))
