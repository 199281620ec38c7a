"""The catalogue of key performance indicators: the one place that says what each figure means.

Every KPI has a key, a label, a unit, the definition shown beside it everywhere (dashboards,
the user guide, and, where the same figure appears, objectives and service reports), the
direction in which it gets better, and a function that counts it in the database over a
:class:`Window` (days ``start`` to ``end`` of a time zone, both included) and a :class:`Reach`
(which services, which customer, which agreement, whose tickets). The function returns a
:class:`KpiResult`: the value, its denominator or count, and the address of the list that shows
the items when a list offers the filters needed.

Where :mod:`accord.governance.measures` already defines a figure (SLA attainment, breaches,
satisfaction, complaints, major incidents, requests on time) the KPI takes that definition text
and applies the same rules (a clock is judged when it stops, a clock that ever breached is not
met, cancelled clocks are left out, rounding half up to one place), so an objective, a
dashboard and a report say the same thing. Where a report section states a figure (backlog,
problems, changes, capacity, availability), the KPI counts it with that section's rules.

This module holds the catalogue itself (the window, reach and result types, the :func:`kpi`
decorator, the :data:`KPIS` registry and :func:`compute`); the figures live in one module per
process family, which registers its KPIs when imported:

- :mod:`~accord.reports.kpis.service_level`: SLA attainment and breaches, satisfaction,
  complaints, requests on time;
- :mod:`~accord.reports.kpis.tickets`: incidents and service requests (workload, backlog, time
  to resolve, major incidents);
- :mod:`~accord.reports.kpis.problems`: open, opened and resolved problems, known errors;
- :mod:`~accord.reports.kpis.changes`: changes implemented, success, emergencies, incidents
  caused;
- :mod:`~accord.reports.kpis.availability`: availability against targets and capacity levels;
- :mod:`~accord.reports.kpis.governance`: improvements, actions, nonconformities, internal
  audits and objectives;
- :mod:`~accord.reports.kpis.queries`: the query pieces several families share.

The families are imported at the bottom, in a fixed order, so the registry is complete whenever
this package is imported and lists the KPIs in the order dashboards show them; their public
names are re-exported here, so callers keep importing from ``accord.reports.kpis``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

HIGHER = "higher"
LOWER = "lower"
NEUTRAL = "neutral"
ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Window:
    """The days ``start`` to ``end`` (both included) of ``zone``, read at ``now`` (which only
    figures of the present, such as availability so far, need)."""

    start: dt.date
    end: dt.date
    zone: zoneinfo.ZoneInfo = field(default_factory=lambda: zoneinfo.ZoneInfo("UTC"))
    now: dt.datetime | None = None

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The instants ``[first, after)`` of the days in the zone."""
        first = dt.datetime.combine(self.start, dt.time.min, tzinfo=self.zone)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=self.zone)
        return first, after

    @property
    def period(self) -> str:
        """The period as the availability figures name it (``2026-10-01..2026-10-15``)."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True)
class Reach:
    """What a figure counts: every service (``service_ids`` None) or these; every customer or
    one organisation's records; one agreement's clocks; or one person's own tickets (as caller,
    requester or the one who raised them)."""

    service_ids: tuple[int, ...] | None = None
    organisation_id: int | None = None
    agreement_id: int | None = None
    person_id: int | None = None


EVERYTHING = Reach()


@dataclass(frozen=True)
class KpiResult:
    """One figure: ``value`` (None when nothing was measured), ``count`` (the denominator of a
    ratio, the items of a count) and ``link`` (the list of the items, when one exists)."""

    value: Decimal | None
    count: int
    link: str | None = None


KpiFunction = Callable[[Window, Reach], KpiResult]


@dataclass(frozen=True)
class Kpi:
    """A key performance indicator. ``tolerance`` is the change (in the KPI's unit) below which
    a trend counts as flat; ``present`` marks a figure of now (levels, open items) that has no
    earlier month to compare with."""

    key: str
    label: str
    unit: str
    definition: str
    direction: str
    compute: KpiFunction
    tolerance: Decimal = Decimal(0)
    present: bool = False


KPIS: dict[str, Kpi] = {}


def kpi(
    key: str,
    *,
    label: str,
    unit: str,
    definition: str,
    direction: str,
    tolerance: Decimal = Decimal(0),
    present: bool = False,
) -> Callable[[KpiFunction], KpiFunction]:
    """Add a KPI to the catalogue (a decorator on its compute function)."""

    def add(function: KpiFunction) -> KpiFunction:
        KPIS[key] = Kpi(key, label, unit, definition, direction, function, tolerance, present)
        return function

    return add


def compute(key: str, window: Window, reach: Reach = EVERYTHING) -> KpiResult:
    """The figure of KPI ``key`` over ``window`` and ``reach``."""
    return KPIS[key].compute(window, reach)


# The families register their KPIs as they are imported: this order is the registry's order,
# which dashboards follow, so the imports are kept out of import sorting.
# isort: off
from accord.reports.kpis.service_level import (  # noqa: E402
    complaints,
    requests_on_time,
    satisfaction,
    sla_attainment,
    sla_breaches,
    sla_clocks,
)
from accord.reports.kpis.tickets import (  # noqa: E402
    BACKLOG_DEFINITION,
    OPENED_DEFINITION,
    REQUESTS_FULFILLED_DEFINITION,
    RESOLVED_DEFINITION,
    TIME_TO_RESOLVE_DEFINITION,
    backlog,
    incidents_opened,
    incidents_resolved,
    major_incidents,
    requests_fulfilled,
    time_to_resolve,
)
from accord.reports.kpis.problems import (  # noqa: E402
    KNOWN_ERRORS_DEFINITION,
    PROBLEMS_OPEN_DEFINITION,
    PROBLEMS_OPENED_DEFINITION,
    PROBLEMS_RESOLVED_DEFINITION,
    known_errors,
    problems_open,
    problems_opened,
    problems_resolved,
)
from accord.reports.kpis.changes import (  # noqa: E402
    CHANGE_SUCCESS_DEFINITION,
    CHANGES_CAUSED_DEFINITION,
    CHANGES_IMPLEMENTED_DEFINITION,
    EMERGENCY_RATIO_DEFINITION,
    change_success_rate,
    changes_caused_incidents,
    changes_implemented,
    emergency_change_ratio,
)
from accord.reports.kpis.availability import (  # noqa: E402
    AVAILABILITY_DEFINITION,
    AVAILABILITY_MET_DEFINITION,
    CAPACITY_DEFINITION,
    availability_met,
    availability_overall,
    capacity_critical,
    capacity_warning,
    measured_services,
)
from accord.reports.kpis.governance import (  # noqa: E402
    ACTIONS_OVERDUE_DEFINITION,
    AUDIT_NONCONFORMITIES_DEFINITION,
    IMPROVEMENTS_CLOSED_DEFINITION,
    IMPROVEMENTS_OPEN_DEFINITION,
    NONCONFORMITIES_OPEN_DEFINITION,
    OBJECTIVES_ON_TRACK_DEFINITION,
    actions_overdue,
    audit_nonconformities,
    audit_results,
    improvements_by_stage,
    improvements_closed,
    improvements_open,
    nonconformities_open,
    objectives_on_track,
)
# isort: on

__all__ = [
    "ACTIONS_OVERDUE_DEFINITION",
    "AUDIT_NONCONFORMITIES_DEFINITION",
    "AVAILABILITY_DEFINITION",
    "AVAILABILITY_MET_DEFINITION",
    "BACKLOG_DEFINITION",
    "CAPACITY_DEFINITION",
    "CHANGES_CAUSED_DEFINITION",
    "CHANGES_IMPLEMENTED_DEFINITION",
    "CHANGE_SUCCESS_DEFINITION",
    "EMERGENCY_RATIO_DEFINITION",
    "EVERYTHING",
    "HIGHER",
    "IMPROVEMENTS_CLOSED_DEFINITION",
    "IMPROVEMENTS_OPEN_DEFINITION",
    "KNOWN_ERRORS_DEFINITION",
    "KPIS",
    "LOWER",
    "NEUTRAL",
    "NONCONFORMITIES_OPEN_DEFINITION",
    "OBJECTIVES_ON_TRACK_DEFINITION",
    "ONE_PLACE",
    "OPENED_DEFINITION",
    "PROBLEMS_OPENED_DEFINITION",
    "PROBLEMS_OPEN_DEFINITION",
    "PROBLEMS_RESOLVED_DEFINITION",
    "REQUESTS_FULFILLED_DEFINITION",
    "RESOLVED_DEFINITION",
    "TIME_TO_RESOLVE_DEFINITION",
    "Kpi",
    "KpiFunction",
    "KpiResult",
    "Reach",
    "Window",
    "actions_overdue",
    "audit_nonconformities",
    "audit_results",
    "availability_met",
    "availability_overall",
    "backlog",
    "capacity_critical",
    "capacity_warning",
    "change_success_rate",
    "changes_caused_incidents",
    "changes_implemented",
    "complaints",
    "compute",
    "emergency_change_ratio",
    "improvements_by_stage",
    "improvements_closed",
    "improvements_open",
    "incidents_opened",
    "incidents_resolved",
    "known_errors",
    "kpi",
    "major_incidents",
    "measured_services",
    "nonconformities_open",
    "objectives_on_track",
    "problems_open",
    "problems_opened",
    "problems_resolved",
    "requests_fulfilled",
    "requests_on_time",
    "satisfaction",
    "sla_attainment",
    "sla_breaches",
    "sla_clocks",
    "time_to_resolve",
]
