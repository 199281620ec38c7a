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
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.urls import NoReverseMatch, reverse

from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.agreements.models import TicketClock
from accord.availability import selectors as availability
from accord.capacity.choices import Level
from accord.capacity.models import Metric as CapacityMetric
from accord.changes.choices import DONE_STATUSES, ChangeType, IncidentRelation, Outcome
from accord.changes.models import Change, ChangeIncident
from accord.domain import availability as av
from accord.feedback.models import Complaint, Survey
from accord.governance import measures
from accord.governance.choices import AuditStatus, FindingKind, ObjectiveStatus
from accord.governance.models import Audit, Finding, Objective
from accord.improvement.choices import NonconformityStatus, Stage
from accord.improvement.models import Action, CorrectiveAction, Improvement, Nonconformity
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.problems.choices import KNOWN_ERROR_STATUSES, ProblemStatus
from accord.problems.models import Problem
from accord.service_requests.choices import RequestStatus
from accord.service_requests.models import ServiceRequest

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


# --- helpers --------------------------------------------------------------------------------


def _link(name: str, **params: Any) -> str | None:
    """The address of a list page with its filters, or None if there is no such page."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return None
    query = urlencode([(k, v) for k, v in params.items() if v not in (None, "")], doseq=True)
    return f"{url}?{query}" if query else url


def _count(value: int) -> KpiResult:
    return KpiResult(value=Decimal(value), count=value)


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


def _one_service(reach: Reach) -> int | None:
    if reach.service_ids is not None and len(reach.service_ids) == 1:
        return reach.service_ids[0]
    return None


def sla_clocks(reach: Reach) -> QuerySet[TicketClock]:
    """The SLA clocks of the reach, cancelled ones left out (the rules of the SLA measures).
    A clock carries its customer but not its service: the service is its ticket's, read with
    one ``EXISTS`` per ticket kind."""
    clocks = TicketClock.objects.filter(agreement_kind=AgreementKind.SLA).exclude(
        state=ClockState.CANCELLED
    )
    if reach.agreement_id is not None:
        clocks = clocks.filter(agreement_id=reach.agreement_id)
    if reach.organisation_id is not None:
        clocks = clocks.filter(organisation_id=reach.organisation_id)
    if reach.service_ids is not None or reach.person_id is not None:
        condition = Q()
        for model in (Incident, ServiceRequest):
            tickets = _tickets(model, Reach(reach.service_ids, person_id=reach.person_id))
            condition |= Q(
                Exists(tickets.filter(pk=OuterRef("object_id"))),
                content_type=ContentType.objects.get_for_model(model),
            )
        clocks = clocks.filter(condition)
    return clocks


def _customer_reached(org_id: int | None, through: Any, column: str) -> Q:
    """Rows that name no customer or name ``org_id`` among them (as the report counts)."""
    if org_id is None:
        return Q()
    named = through.objects.filter(**{column: OuterRef("pk")})
    return ~Q(Exists(named)) | Q(Exists(named.filter(organisation_id=org_id)))


def _problems(reach: Reach) -> QuerySet[Problem]:
    rows = Problem.objects.all()
    if reach.service_ids is not None:
        rows = rows.filter(service_id__in=reach.service_ids)
    return rows.filter(
        _customer_reached(reach.organisation_id, Problem.organisations.through, "problem_id")
    )


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


# --- service level ----------------------------------------------------------------------------


@kpi(
    "sla_attainment",
    label="SLA attainment",
    unit="%",
    definition=measures.SLA_ATTAINMENT_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.5"),
)
def sla_attainment(window: Window, reach: Reach) -> KpiResult:
    """Met / measured over the SLA clocks stopped in the window."""
    first, after = window.bounds()
    row = (
        sla_clocks(reach)
        .filter(
            state__in=[ClockState.MET, ClockState.BREACHED],
            stopped_at__isnull=False,
            stopped_at__gte=first,
            stopped_at__lt=after,
        )
        .aggregate(
            measured=Count("pk"), met=Count("pk", filter=Q(state=ClockState.MET, breached=False))
        )
    )
    measured = row["measured"] or 0
    return KpiResult(measures.percent(row["met"] or 0, measured), measured)


@kpi(
    "sla_breaches",
    label="SLA breaches",
    unit="breaches",
    definition=measures.SLA_BREACHES_DEFINITION,
    direction=LOWER,
)
def sla_breaches(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    n = sla_clocks(reach).filter(measures.breached_in(first, after)).aggregate(n=Count("pk"))["n"]
    return _count(n or 0)


@kpi(
    "satisfaction",
    label="Customer satisfaction",
    unit="score",
    definition=measures.SATISFACTION_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.05"),
)
def satisfaction(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    rows = _tickets(Survey, Reach(reach.service_ids, reach.organisation_id)).filter(
        answered_at__gte=first, answered_at__lt=after, score__isnull=False
    )
    row = rows.aggregate(answered=Count("pk"), total=Sum("score"))
    answered = row["answered"] or 0
    value = None
    if answered:
        value = (Decimal(row["total"]) / Decimal(answered)).quantize(
            measures.TWO_PLACES, rounding=ROUND_HALF_UP
        )
    return KpiResult(value, answered)


@kpi(
    "complaints",
    label="Complaints raised",
    unit="complaints",
    definition=measures.COMPLAINTS_DEFINITION,
    direction=LOWER,
)
def complaints(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    rows = _tickets(Complaint, Reach(reach.service_ids, reach.organisation_id)).filter(
        raised_at__gte=first, raised_at__lt=after
    )
    n = rows.count()
    return KpiResult(Decimal(n), n, _link("complaint-list"))


@kpi(
    "requests_on_time",
    label="Requests fulfilled on time",
    unit="%",
    definition=measures.REQUESTS_ON_TIME_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.5"),
)
def requests_on_time(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    clocks = TicketClock.objects.filter(
        content_type=ContentType.objects.get_for_model(ServiceRequest),
        object_id=OuterRef("pk"),
        agreement_kind=AgreementKind.SLA,
        metric=Metric.FULFILMENT,
    ).exclude(state=ClockState.CANCELLED)
    if reach.agreement_id is not None:
        clocks = clocks.filter(agreement_id=reach.agreement_id)
    rows = _tickets(ServiceRequest, reach).filter(
        Exists(clocks), fulfilled_at__gte=first, fulfilled_at__lt=after
    )
    row = rows.aggregate(
        fulfilled=Count("pk"), late=Count("pk", filter=Exists(clocks.filter(breached=True)))
    )
    fulfilled = row["fulfilled"] or 0
    return KpiResult(measures.percent(fulfilled - (row["late"] or 0), fulfilled), fulfilled)


# --- incidents and requests -------------------------------------------------------------------

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


# --- problems -------------------------------------------------------------------------------

PROBLEMS_OPEN_DEFINITION = (
    "Problems open at the end of the period: opened before its end and neither resolved nor "
    "closed by then (for the current month: open now). The same count as the report's "
    "problems section."
)
KNOWN_ERRORS_DEFINITION = (
    "Problems now in known error or awaiting change that record a workaround: the known errors "
    "the service desk can apply."
)
PROBLEMS_OPENED_DEFINITION = "Problems opened in the period, by the instant they were opened."
PROBLEMS_RESOLVED_DEFINITION = "Problems resolved in the period, by their resolution instant."


@kpi(
    "problems_open",
    label="Open problems",
    unit="problems",
    definition=PROBLEMS_OPEN_DEFINITION,
    direction=LOWER,
)
def problems_open(window: Window, reach: Reach) -> KpiResult:
    _, after = window.bounds()
    n = (
        _problems(reach)
        .filter(opened_at__lt=after)
        .exclude(resolved_at__lt=after)
        .exclude(closed_at__lt=after)
        .count()
    )
    return KpiResult(Decimal(n), n, _link("problem-list"))


@kpi(
    "known_errors",
    label="Known errors with a workaround",
    unit="known errors",
    definition=KNOWN_ERRORS_DEFINITION,
    direction=NEUTRAL,
    present=True,
)
def known_errors(window: Window, reach: Reach) -> KpiResult:
    n = _problems(reach).filter(status__in=KNOWN_ERROR_STATUSES).exclude(workaround="").count()
    return KpiResult(Decimal(n), n, _link("known-error-list"))


@kpi(
    "problems_opened",
    label="Problems opened",
    unit="problems",
    definition=PROBLEMS_OPENED_DEFINITION,
    direction=NEUTRAL,
)
def problems_opened(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    n = _problems(reach).filter(opened_at__gte=first, opened_at__lt=after).count()
    return KpiResult(Decimal(n), n, _link("problem-list"))


@kpi(
    "problems_resolved",
    label="Problems resolved",
    unit="problems",
    definition=PROBLEMS_RESOLVED_DEFINITION,
    direction=HIGHER,
)
def problems_resolved(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    n = _problems(reach).filter(resolved_at__gte=first, resolved_at__lt=after).count()
    return KpiResult(Decimal(n), n, _link("problem-list", status=ProblemStatus.RESOLVED))


# --- changes --------------------------------------------------------------------------------

CHANGES_IMPLEMENTED_DEFINITION = (
    "Changes implemented in the period: those that reached implemented, failed, in review or "
    "closed, counted once by their actual end. The same count as the change metrics and the "
    "report's changes section."
)
CHANGE_SUCCESS_DEFINITION = (
    "Successful changes as a percentage of the changes implemented in the period (one place)."
)
EMERGENCY_RATIO_DEFINITION = (
    "Emergency changes as a percentage of the changes implemented in the period (one place)."
)
CHANGES_CAUSED_DEFINITION = (
    "Changes implemented in the period with at least one incident linked as caused by the change."
)


def _changes(window: Window, reach: Reach) -> dict[str, int]:
    first, after = window.bounds()
    rows = Change.objects.filter(
        status__in=DONE_STATUSES, actual_end__gte=first, actual_end__lt=after
    )
    if reach.service_ids is not None:
        on = Change.services.through.objects.filter(
            change_id=OuterRef("pk"), service_id__in=reach.service_ids
        )
        rows = rows.filter(Exists(on))
    rows = rows.filter(
        _customer_reached(reach.organisation_id, Change.organisations.through, "change_id")
    )
    caused = ChangeIncident.objects.filter(
        change_id=OuterRef("pk"), relation=IncidentRelation.CAUSED
    )
    if reach.organisation_id is not None:
        caused = caused.filter(organisation_id=reach.organisation_id)
    return rows.order_by().aggregate(
        implemented=Count("pk"),
        successful=Count("pk", filter=Q(outcome=Outcome.SUCCESSFUL)),
        emergency=Count("pk", filter=Q(change_type=ChangeType.EMERGENCY)),
        caused=Count("pk", filter=Q(Exists(caused))),
    )


@kpi(
    "changes_implemented",
    label="Changes implemented",
    unit="changes",
    definition=CHANGES_IMPLEMENTED_DEFINITION,
    direction=NEUTRAL,
)
def changes_implemented(window: Window, reach: Reach) -> KpiResult:
    n = _changes(window, reach)["implemented"]
    return KpiResult(Decimal(n), n, _link("change-list"))


@kpi(
    "change_success_rate",
    label="Change success rate",
    unit="%",
    definition=CHANGE_SUCCESS_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.5"),
)
def change_success_rate(window: Window, reach: Reach) -> KpiResult:
    row = _changes(window, reach)
    return KpiResult(measures.percent(row["successful"], row["implemented"]), row["implemented"])


@kpi(
    "emergency_change_ratio",
    label="Emergency changes",
    unit="%",
    definition=EMERGENCY_RATIO_DEFINITION,
    direction=LOWER,
    tolerance=Decimal("0.5"),
)
def emergency_change_ratio(window: Window, reach: Reach) -> KpiResult:
    row = _changes(window, reach)
    return KpiResult(
        measures.percent(row["emergency"], row["implemented"]),
        row["implemented"],
        _link("change-list", change_type=ChangeType.EMERGENCY),
    )


@kpi(
    "changes_caused_incidents",
    label="Changes that caused incidents",
    unit="changes",
    definition=CHANGES_CAUSED_DEFINITION,
    direction=LOWER,
)
def changes_caused_incidents(window: Window, reach: Reach) -> KpiResult:
    n = _changes(window, reach)["caused"]
    return KpiResult(Decimal(n), n)


# --- availability and capacity ----------------------------------------------------------------

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


# --- improvement, audits, objectives ----------------------------------------------------------

IMPROVEMENTS_OPEN_DEFINITION = (
    "Improvement opportunities in the register not yet closed (in plan, do, check or act), now."
)
IMPROVEMENTS_CLOSED_DEFINITION = "Improvements closed (adopted or abandoned) in the period."
ACTIONS_OVERDUE_DEFINITION = (
    "Improvement actions and corrective actions not done whose due day has passed, now."
)
NONCONFORMITIES_OPEN_DEFINITION = (
    "Nonconformities not yet closed (open, in progress or awaiting their effectiveness check), "
    "now, whatever their source (audit finding, complaint, SLA breach, incident)."
)
AUDIT_NONCONFORMITIES_DEFINITION = (
    "Minor and major nonconformities found by the internal audits reported in the period."
)
OBJECTIVES_ON_TRACK_DEFINITION = (
    "Active objectives whose measure is on track (or met) against its target, as a percentage "
    "of the active objectives with a value: each measured over its own period, as the "
    "objectives pages show it."
)


@kpi(
    "improvements_open",
    label="Improvements open",
    unit="improvements",
    definition=IMPROVEMENTS_OPEN_DEFINITION,
    direction=NEUTRAL,
    present=True,
)
def improvements_open(window: Window, reach: Reach) -> KpiResult:
    rows = Improvement.objects.exclude(stage=Stage.CLOSED)
    if reach.service_ids is not None:
        rows = rows.filter(service_id__in=reach.service_ids)
    n = rows.count()
    return KpiResult(Decimal(n), n, _link("improvement-list"))


@kpi(
    "improvements_closed",
    label="Improvements closed",
    unit="improvements",
    definition=IMPROVEMENTS_CLOSED_DEFINITION,
    direction=HIGHER,
)
def improvements_closed(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    rows = Improvement.objects.filter(closed_at__gte=first, closed_at__lt=after)
    if reach.service_ids is not None:
        rows = rows.filter(service_id__in=reach.service_ids)
    n = rows.count()
    return KpiResult(Decimal(n), n, _link("improvement-list", stage=Stage.CLOSED))


@kpi(
    "actions_overdue",
    label="Overdue actions",
    unit="actions",
    definition=ACTIONS_OVERDUE_DEFINITION,
    direction=LOWER,
    present=True,
)
def actions_overdue(window: Window, reach: Reach) -> KpiResult:
    today = (window.now or dt.datetime.now(dt.UTC)).astimezone(window.zone).date()
    n = (
        Action.objects.filter(done_at__isnull=True, due_on__lt=today).count()
        + CorrectiveAction.objects.filter(done_at__isnull=True, due_on__lt=today).count()
    )
    return KpiResult(Decimal(n), n)


@kpi(
    "nonconformities_open",
    label="Open nonconformities",
    unit="nonconformities",
    definition=NONCONFORMITIES_OPEN_DEFINITION,
    direction=LOWER,
    present=True,
)
def nonconformities_open(window: Window, reach: Reach) -> KpiResult:
    n = Nonconformity.objects.exclude(status=NonconformityStatus.CLOSED).count()
    return KpiResult(Decimal(n), n, _link("nonconformity-list"))


@kpi(
    "audit_nonconformities",
    label="Audit nonconformities",
    unit="findings",
    definition=AUDIT_NONCONFORMITIES_DEFINITION,
    direction=LOWER,
)
def audit_nonconformities(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    n = Finding.objects.filter(
        audit__status=AuditStatus.REPORTED,
        audit__reported_at__gte=first,
        audit__reported_at__lt=after,
        kind__in=[FindingKind.MINOR, FindingKind.MAJOR],
    ).count()
    return KpiResult(Decimal(n), n, _link("internal-audit-list"))


@kpi(
    "objectives_on_track",
    label="Objectives on track",
    unit="%",
    definition=OBJECTIVES_ON_TRACK_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.5"),
    present=True,
)
def objectives_on_track(window: Window, reach: Reach) -> KpiResult:
    from accord.governance.selectors.objectives import objectives_with_progress

    now = window.now or dt.datetime.now(dt.UTC)
    rows = objectives_with_progress(Objective.objects.filter(status=ObjectiveStatus.ACTIVE), now)
    judged = [o.progress.met for o in rows if o.progress.met is not None]  # type: ignore[attr-defined]
    return KpiResult(
        measures.percent(sum(judged), len(judged)), len(judged), _link("objective-list")
    )


def audit_results(limit: int = 1) -> list[dict[str, Any]]:
    """The last reported internal audits with their findings counted by grade (one query for
    the audits, one for the counts)."""
    audits = list(
        Audit.objects.filter(status=AuditStatus.REPORTED, reported_at__isnull=False)
        .order_by("-reported_at", "-pk")
        .values("pk", "reference", "title", "reported_at")[:limit]
    )
    counts: dict[int, dict[str, int]] = {a["pk"]: {} for a in audits}
    for row in (
        Finding.objects.filter(audit_id__in=list(counts))
        .values("audit_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[row["audit_id"]][row["kind"]] = row["n"]
    return [
        {
            **a,
            "grades": [
                (str(kind.label), counts[a["pk"]].get(kind.value, 0)) for kind in FindingKind
            ],
        }
        for a in audits
    ]


def improvements_by_stage() -> list[tuple[str, str, int]]:
    """(stage, label, count) of the improvement register, in PDCA order (one query)."""
    found = dict(
        Improvement.objects.values("stage")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("stage", "n")
    )
    return [(stage.value, str(stage.label), found.get(stage.value, 0)) for stage in Stage]
