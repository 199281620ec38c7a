"""The live measures an objective can be judged by (ISO/IEC 20000-1, 6.2 and 9.1).

Each measure is one function over a period of whole UTC days, ``start`` to ``end`` with both
days included, optionally limited to one service. The database does the counting (one
aggregate query per call, no loop over rows in Python); Python only divides the two counts it
returns, so the figure, its denominator and its definition always travel together in a
:class:`MeasureResult`.

:data:`MEASURES` maps each ``ObjectiveMeasure`` value to its function and :data:`MEASURE_INFO`
to its unit, definition and sensible target range. Another app (availability, changes) adds a
measure with :func:`register_measure`, after adding its value to ``ObjectiveMeasure``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.agreements.models import TicketClock
from accord.feedback.models import Complaint, Survey
from accord.governance.choices import ObjectiveMeasure
from accord.incidents.models import Incident
from accord.service_requests.models import ServiceRequest

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class MeasureResult:
    """One figure of a live measure over a period.

    ``value`` is None when nothing was measured (an empty denominator); ``count`` is the
    denominator of a ratio or the counted items of a count; ``link`` is the address of a list
    that shows exactly the items counted, or None when no list offers the needed filters.
    """

    value: Decimal | None
    count: int
    definition: str
    link: str | None = None


@dataclass(frozen=True)
class MeasureInfo:
    """What the pages, the API and the services need to know about a measure."""

    unit: str
    definition: str
    minimum: Decimal
    maximum: Decimal | None


MeasureFunction = Callable[..., MeasureResult]
#: Live measures by ``ObjectiveMeasure`` value. ``manual`` is absent: its values are recorded.
MEASURES: dict[str, MeasureFunction] = {}
MEASURE_INFO: dict[str, MeasureInfo] = {}


def register_measure(
    key: str,
    *,
    unit: str,
    definition: str,
    minimum: Decimal = Decimal(0),
    maximum: Decimal | None = None,
) -> Callable[[MeasureFunction], MeasureFunction]:
    """Add a live measure to the registry (a decorator). ``minimum`` and ``maximum`` bound the
    targets an objective may set, so a percentage cannot be promised at 150."""

    def add(function: MeasureFunction) -> MeasureFunction:
        MEASURES[key] = function
        MEASURE_INFO[key] = MeasureInfo(
            unit=unit, definition=definition, minimum=minimum, maximum=maximum
        )
        return function

    return add


def is_live(measure: str) -> bool:
    """Whether Accord computes the measure itself (the owner records the others)."""
    return measure in MEASURES


def default_unit(measure: str) -> str:
    """The unit an objective shows when it names none (empty for manual measures)."""
    info = MEASURE_INFO.get(measure)
    return info.unit if info else ""


def definition_of(measure: str) -> str:
    """The definition shown beside a figure (for manual measures: who records it)."""
    info = MEASURE_INFO.get(measure)
    if info is not None:
        return info.definition
    return MANUAL_DEFINITION


MANUAL_DEFINITION = (
    "Recorded by the objective's owner: the latest value they recorded, with its evidence."
)


# --- helpers --------------------------------------------------------------------------------


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants [first, after) covering the UTC days ``start`` to ``end``, both included."""
    first = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return first, after


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` as a percentage rounded down to one place (None when ``whole``
    is 0): 99.96 % reads 99.9 %, never a promise kept (100 %) that was not. The service
    reports and the dashboards round the same way, so an objective, a dashboard and a report
    show the same figure."""
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_DOWN)


def _service_id(service: Any) -> int | None:
    return getattr(service, "pk", service)


def _ticket_of_service(service_id: int) -> Q:
    """Clocks whose ticket is for ``service_id``.

    A clock points at its ticket through ``content_type`` and ``object_id`` and carries no
    service of its own; the service is the ticket's. So the clock must belong to an incident
    of that service or to a service request of that service: one ``EXISTS`` per ticket model,
    each on the ticket's primary key. (The agreement's services would be wrong: one agreement
    covers many services, and its clocks would all count for each of them.)
    """
    condition = Q()
    for model in (Incident, ServiceRequest):
        tickets = model._default_manager.filter(pk=OuterRef("object_id"), service_id=service_id)
        condition |= Q(Exists(tickets), content_type=ContentType.objects.get_for_model(model))
    return condition


def _sla_clocks(service: Any) -> QuerySet[TicketClock]:
    clocks = TicketClock.objects.filter(agreement_kind=AgreementKind.SLA).exclude(
        state=ClockState.CANCELLED
    )
    service_id = _service_id(service)
    if service_id is not None:
        clocks = clocks.filter(_ticket_of_service(service_id))
    return clocks


# --- the measures ---------------------------------------------------------------------------

SLA_ATTAINMENT_DEFINITION = (
    "SLA clocks met as a percentage of SLA clocks measured: every clock of a service level "
    "agreement (first response, resolution, fulfilment) that stopped in the period, met or "
    "breached, counts once; cancelled clocks and clocks still running are left out. "
    "A clock that breached before its ticket was reopened stays breached."
)


@register_measure(
    ObjectiveMeasure.SLA_ATTAINMENT,
    unit="%",
    definition=SLA_ATTAINMENT_DEFINITION,
    maximum=Decimal(100),
)
def sla_attainment(*, start: dt.date, end: dt.date, service: Any = None) -> MeasureResult:
    """Met / measured x 100 over the SLA clocks stopped in the period.

    The denominator is the clocks that stopped (state met or breached, ``stopped_at`` set)
    within the period: a clock is judged when it stops, so a clock that runs across the end of
    the period counts in the period in which it stops. Cancelled clocks (a cancelled ticket)
    are neither met nor breached. Met means state met and never breached.
    """
    first, after = day_bounds(start, end)
    met = Q(state=ClockState.MET, breached=False)
    row = (
        _sla_clocks(service)
        .filter(
            state__in=[ClockState.MET, ClockState.BREACHED],
            stopped_at__isnull=False,
            stopped_at__gte=first,
            stopped_at__lt=after,
        )
        .aggregate(measured=Count("pk"), met=Count("pk", filter=met))
    )
    measured = row["measured"] or 0
    return MeasureResult(
        value=percent(row["met"] or 0, measured),
        count=measured,
        definition=SLA_ATTAINMENT_DEFINITION,
    )


SLA_BREACHES_DEFINITION = (
    "The number of SLA clocks that breached their target, each counted once however often its "
    "ticket was reopened: a stopped clock in the period it stopped (when it was judged, as the "
    "attainment counts it), a clock still running in the period its due instant fell; "
    "cancelled clocks are left out."
)


def breached_in(first: dt.datetime, after: dt.datetime) -> Q:
    """Clocks whose breach belongs to ``[first, after)``: a stopped clock by its stop (a stopped
    clock keeps no due instant), a running one by its due instant."""
    return Q(breached=True) & (
        Q(stopped_at__gte=first, stopped_at__lt=after)
        | Q(stopped_at__isnull=True, due_at__gte=first, due_at__lt=after)
    )


@register_measure(
    ObjectiveMeasure.SLA_BREACHES, unit="breaches", definition=SLA_BREACHES_DEFINITION
)
def sla_breaches(*, start: dt.date, end: dt.date, service: Any = None) -> MeasureResult:
    """Breached SLA clocks, each in the period it was judged (stopped) or, while it runs, the
    period it fell due, so the count of a past period stays put."""
    first, after = day_bounds(start, end)
    count = (
        _sla_clocks(service).filter(breached_in(first, after)).aggregate(n=Count("pk"))["n"] or 0
    )
    return MeasureResult(value=Decimal(count), count=count, definition=SLA_BREACHES_DEFINITION)


SATISFACTION_DEFINITION = (
    "The mean score (1 to 5) of the satisfaction surveys answered in the period, to two "
    "places; surveys not answered do not count."
)


@register_measure(
    ObjectiveMeasure.SATISFACTION,
    unit="score",
    definition=SATISFACTION_DEFINITION,
    minimum=Decimal(1),
    maximum=Decimal(5),
)
def satisfaction(*, start: dt.date, end: dt.date, service: Any = None) -> MeasureResult:
    """Sum and number of the scores answered in the period, divided exactly (the database's
    average would be a float on SQLite)."""
    first, after = day_bounds(start, end)
    surveys = Survey.objects.filter(
        answered_at__gte=first, answered_at__lt=after, score__isnull=False
    )
    service_id = _service_id(service)
    if service_id is not None:
        surveys = surveys.filter(service_id=service_id)
    row = surveys.aggregate(answered=Count("pk"), total=Sum("score"))
    answered = row["answered"] or 0
    value = None
    if answered:
        value = (Decimal(row["total"]) / Decimal(answered)).quantize(
            TWO_PLACES, rounding=ROUND_HALF_UP
        )
    return MeasureResult(value=value, count=answered, definition=SATISFACTION_DEFINITION)


COMPLAINTS_DEFINITION = (
    "The number of complaints raised in the period, whatever became of them (withdrawn ones "
    "included)."
)


@register_measure(ObjectiveMeasure.COMPLAINTS, unit="complaints", definition=COMPLAINTS_DEFINITION)
def complaints(*, start: dt.date, end: dt.date, service: Any = None) -> MeasureResult:
    """Complaints by the instant they were raised."""
    first, after = day_bounds(start, end)
    rows = Complaint.objects.filter(raised_at__gte=first, raised_at__lt=after)
    service_id = _service_id(service)
    if service_id is not None:
        rows = rows.filter(service_id=service_id)
    count = rows.aggregate(n=Count("pk"))["n"] or 0
    return MeasureResult(value=Decimal(count), count=count, definition=COMPLAINTS_DEFINITION)


MAJOR_INCIDENTS_DEFINITION = (
    "The number of incidents declared major in the period (by the instant of the declaration)."
)


@register_measure(
    ObjectiveMeasure.MAJOR_INCIDENTS, unit="incidents", definition=MAJOR_INCIDENTS_DEFINITION
)
def major_incidents(*, start: dt.date, end: dt.date, service: Any = None) -> MeasureResult:
    """Incidents that are major, by ``major_declared_at``."""
    first, after = day_bounds(start, end)
    rows = Incident.objects.filter(
        is_major=True, major_declared_at__gte=first, major_declared_at__lt=after
    )
    service_id = _service_id(service)
    if service_id is not None:
        rows = rows.filter(service_id=service_id)
    count = rows.aggregate(n=Count("pk"))["n"] or 0
    return MeasureResult(value=Decimal(count), count=count, definition=MAJOR_INCIDENTS_DEFINITION)


REQUESTS_ON_TIME_DEFINITION = (
    "Service requests fulfilled in the period that met their fulfilment target, as a "
    "percentage of the requests fulfilled in the period that had one: a request counts when "
    "its last fulfilment falls in the period and an SLA fulfilment clock measured it; it is on "
    "time when none of its SLA fulfilment clocks breached. Requests without a fulfilment "
    "target, and reopened requests not fulfilled again, are left out."
)


@register_measure(
    ObjectiveMeasure.REQUESTS_ON_TIME,
    unit="%",
    definition=REQUESTS_ON_TIME_DEFINITION,
    maximum=Decimal(100),
)
def requests_on_time(*, start: dt.date, end: dt.date, service: Any = None) -> MeasureResult:
    """On time / fulfilled x 100. ``fulfilled_at`` is cleared when a request is reopened and
    set again at its next fulfilment, so each request counts once, at its last fulfilment."""
    first, after = day_bounds(start, end)
    clocks = TicketClock.objects.filter(
        content_type=ContentType.objects.get_for_model(ServiceRequest),
        object_id=OuterRef("pk"),
        agreement_kind=AgreementKind.SLA,
        metric=Metric.FULFILMENT,
    ).exclude(state=ClockState.CANCELLED)
    rows = ServiceRequest.objects.filter(
        Exists(clocks), fulfilled_at__gte=first, fulfilled_at__lt=after
    )
    service_id = _service_id(service)
    if service_id is not None:
        rows = rows.filter(service_id=service_id)
    row = rows.aggregate(
        fulfilled=Count("pk"), late=Count("pk", filter=Exists(clocks.filter(breached=True)))
    )
    fulfilled = row["fulfilled"] or 0
    return MeasureResult(
        value=percent(fulfilled - (row["late"] or 0), fulfilled),
        count=fulfilled,
        definition=REQUESTS_ON_TIME_DEFINITION,
    )


def measure(key: str, *, start: dt.date, end: dt.date, service: Any = None) -> MeasureResult | None:
    """The figure of live measure ``key`` (None for a measure Accord does not compute)."""
    function = MEASURES.get(key)
    if function is None:
        return None
    return function(start=start, end=end, service=service)
