"""The ticket sections of a service report: SLA attainment, response and resolution times, the
backlog at the period's end, the workload and the service requests (ISO/IEC 20000-1, 8.3.3
and 9.1: performance against the agreed service levels, reported at planned intervals).

Every section reads one :class:`~accord.reports.scope.ReportScope` and counts with aggregate
queries grouped by priority, service or week, so its number of queries does not grow with the
tickets. The rules are those of :mod:`accord.governance.measures`: a clock is judged in the
period in which it stopped, a clock that ever breached is not met, cancelled clocks and the
clocks of cancelled tickets are left out, and a reopened ticket keeps one clock per target, so
it counts once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncWeek

from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.agreements.models import Target, TicketClock
from accord.agreements.selectors import business_duration
from accord.core.choices import Priority
from accord.core.report_parts import DASH, LIST_LIMIT, pct, section, table
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident
from accord.reports.charts import count_columns, percent_bars
from accord.reports.scope import ReportScope
from accord.service_requests.choices import RequestStatus
from accord.service_requests.models import ServiceRequest

PRIORITIES: list[str] = [str(value) for value in Priority.values]
METRIC_LABELS: dict[str, str] = {str(k): str(v) for k, v in Metric.choices}
#: The clock metrics a ticket report judges (availability is the services' part).
TICKET_METRICS: list[str] = [
    str(Metric.FIRST_RESPONSE),
    str(Metric.RESOLUTION),
    str(Metric.FULFILMENT),
]
FIRST_RESPONSE, RESOLUTION, FULFILMENT = TICKET_METRICS
#: Ageing buckets of the backlog: (label, youngest age in whole days, oldest or None).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-2 days", 0, 2),
    ("3-7 days", 3, 7),
    ("8-30 days", 8, 30),
    ("over 30 days", 31, None),
)
#: Catalogue items listed as the most requested.
TOP_ITEMS = 10
#: Tickets listed as the oldest of the backlog.
OLDEST = 10
TENTH = Decimal("0.1")

CLOCK_SOURCE = (
    "SLA clocks (TicketClock) of the scope's incidents and service requests"
    " — for an agreement, that agreement's clocks only."
)


# --- shared pieces ----------------------------------------------------------------------------


def attainment(met: int, measured: int) -> Decimal | None:
    """``met`` / ``measured`` as a percentage rounded down to one place, so 99.96 % is shown
    as 99.9 % and never as a promise kept (100 %) that was not; None when nothing measured."""
    if not measured:
        return None
    return (Decimal(100 * met) / Decimal(measured)).quantize(TENTH, rounding=ROUND_DOWN)


def nearest_rank(values: Sequence[Any], percent: int) -> Any:
    """The nearest-rank ``percent``-th percentile of ``values`` (sorted or not): the smallest
    value with at least ``percent`` % of the values at or below it. It is always one of the
    values (no interpolation), so a median of business durations is a duration a ticket
    really took. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))  # ceil(percent x n / 100), exactly
    return ordered[rank - 1]


def _ticket_types() -> list[tuple[Any, int]]:
    """(model, content type id) of the ticket kinds a report counts (cached lookups)."""
    return [
        (model, ContentType.objects.get_for_model(model).pk) for model in (Incident, ServiceRequest)
    ]


def _cancelled(model: Any) -> str:
    return str(IncidentStatus.CANCELLED if model is Incident else RequestStatus.CANCELLED)


def scope_clocks(scope: ReportScope) -> QuerySet[TicketClock]:
    """The clocks a report judges: the agreement's (any kind) for an agreement scope, else the
    SLA clocks of the scope's tickets; never a cancelled clock or a cancelled ticket's clock."""
    condition = Q()
    for model, ct in _ticket_types():
        tickets = model._default_manager.exclude(status=_cancelled(model))
        if scope.agreement is None:
            tickets = scope.tickets(tickets)
        # A correlated EXISTS: one primary-key probe per clock of the period, instead of
        # gathering every (scoped) ticket of the table first, which on a large table costs a
        # scan per query and, past the planner's hashing memory, a scan per clock.
        condition |= Q(content_type_id=ct) & Q(
            Exists(tickets.filter(pk=OuterRef("object_id")).values("pk"))
        )
    clocks = TicketClock.objects.filter(condition).exclude(state=ClockState.CANCELLED)
    if scope.agreement is not None:
        return clocks.filter(agreement=scope.agreement)
    return clocks.filter(agreement_kind=AgreementKind.SLA)


def stopped_in(scope: ReportScope) -> QuerySet[TicketClock]:
    """Clocks met or breached whose stop falls in the period (the day they are judged)."""
    first, after = scope.bounds()
    return scope_clocks(scope).filter(
        state__in=[ClockState.MET, ClockState.BREACHED],
        stopped_at__isnull=False,
        stopped_at__gte=first,
        stopped_at__lt=after,
        metric__in=TICKET_METRICS,
    )


def _reference() -> Case:
    """The ticket reference of a clock, read through its content type in one expression."""
    whens = []
    for model, ct in _ticket_types():
        ref = model._default_manager.filter(pk=OuterRef("object_id")).values("reference")[:1]
        whens.append(When(content_type_id=ct, then=Subquery(ref)))
    return Case(*whens, default=Value(""), output_field=CharField())


def _rank(count: F, percent: int) -> Any:
    """The nearest rank ``ceil(percent x count / 100)`` in integer arithmetic, the same on
    SQLite and PostgreSQL (both divide integers exactly, rounding down)."""
    return (count * percent + 99) / 100


@dataclass(frozen=True)
class Spread:
    """How many clocks of a group stopped and their nearest-rank median and 90th percentile."""

    count: int
    median: dt.timedelta | None = None
    p90: dt.timedelta | None = None


def percentiles(
    clocks: QuerySet[TicketClock],
) -> tuple[dict[tuple[str, str], Spread], dict[str, Spread]]:
    """Count, median and 90th percentile of the business time stored on ``clocks`` (when they
    stopped), per (metric, priority) and per metric, in one query whatever their number.

    Window functions number each clock in its group by business time (``RowNumber``) and
    count the group (``Count``); only the rows at the nearest ranks of the median and the 90th
    percentile come back, so the figures equal :func:`nearest_rank` over the same values.
    """
    group = [F("metric"), F("priority")]
    order = [F("elapsed").asc(), F("pk").asc()]
    rows = (
        clocks.filter(elapsed__isnull=False)
        .annotate(
            n=Window(Count("pk"), partition_by=group),
            rank=Window(RowNumber(), partition_by=group, order_by=order),
            n_metric=Window(Count("pk"), partition_by=[F("metric")]),
            rank_metric=Window(RowNumber(), partition_by=[F("metric")], order_by=order),
        )
        .filter(
            Q(rank=_rank(F("n"), 50))
            | Q(rank=_rank(F("n"), 90))
            | Q(rank_metric=_rank(F("n_metric"), 50))
        )
        .values_list("metric", "priority", "elapsed", "n", "rank", "n_metric", "rank_metric")
        .order_by()
    )
    groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    metrics: dict[str, Spread] = {}
    for metric, priority, elapsed, n, rank, n_metric, rank_metric in rows:
        found = groups[(metric, priority)]
        found["count"] = n
        if rank == -(-50 * n // 100):
            found["median"] = elapsed
        if rank == -(-90 * n // 100):
            found["p90"] = elapsed
        if rank_metric == -(-50 * n_metric // 100):
            metrics[metric] = Spread(n_metric, elapsed)
    by_group = {key: Spread(**values) for key, values in groups.items() if "median" in values}
    return by_group, metrics


def _instant(value: dt.datetime | None, scope: ReportScope) -> str:
    """An instant in the scope's zone, to the minute."""
    if value is None:
        return DASH
    return value.astimezone(scope.zone).strftime("%Y-%m-%d %H:%M")


def _zone_note(scope: ReportScope) -> str:
    return f"Days and instants are those of the time zone {scope.zone.key}."


# --- 1. SLA attainment ------------------------------------------------------------------------

SLA_DEFINITION = (
    "For each target (metric) and priority: the clocks that stopped in the period (measured), "
    "those met and those breached. Attainment = met / measured x 100, rounded down to one "
    "decimal place (99.96 % is shown as 99.9 %). A clock is judged in the period in which it "
    "stopped; a clock that breached before its ticket was reopened stays breached and counts "
    "once; cancelled clocks, clocks still running and the clocks of cancelled tickets are left "
    "out. Paused time (waiting on the customer, or on a supplier where the agreement says so) "
    "does not count. A breach's due instant and how late it stopped (in business time) are "
    "those the clock recorded when it stopped, from its start, pauses and stop on the "
    "agreement's calendar. A dash means nothing was measured."
)


def sla_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """SLA attainment per (metric, priority), the overall figure and the breaches."""
    stopped = stopped_in(scope)
    met_q = Q(state=ClockState.MET, breached=False)
    grouped = list(
        stopped.values("metric", "priority")
        .annotate(measured=Count("pk"), met=Count("pk", filter=met_q))
        .order_by("metric", "priority")
    )
    targets: dict[tuple[str, str], dt.timedelta | None] = {}
    if scope.agreement is not None:
        for target in Target.objects.filter(agreement=scope.agreement, metric__in=TICKET_METRICS):
            targets[(target.metric, target.priority)] = target.duration

    def target_of(metric: str, priority: str) -> str:
        if scope.agreement is None:
            return DASH
        duration = targets.get((metric, priority), targets.get((metric, "")))
        return business_duration(duration) if duration else DASH

    order = {m: i for i, m in enumerate(TICKET_METRICS)}
    grouped.sort(key=lambda r: (order.get(r["metric"], 9), r["priority"]))
    rows = []
    measured_total = met_total = 0
    by_priority: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in grouped:
        measured, met = r["measured"], r["met"]
        measured_total += measured
        met_total += met
        by_priority[r["priority"]][0] += met
        by_priority[r["priority"]][1] += measured
        rows.append(
            [
                METRIC_LABELS.get(r["metric"], r["metric"]),
                r["priority"],
                target_of(r["metric"], r["priority"]),
                measured,
                met,
                measured - met,
                pct(attainment(met, measured)),
            ]
        )

    breaches = (
        stopped.exclude(met_q)
        .annotate(ticket_reference=_reference())
        .order_by("stopped_at", "pk")
        .values_list(
            "ticket_reference",
            "priority",
            "metric",
            "final_due_at",
            "stopped_at",
            "elapsed",
            "target_duration",
        )[:LIST_LIMIT]
    )
    breach_rows = []
    for reference, priority, metric, due, stopped_at, elapsed, target in breaches:
        overrun = elapsed - target if elapsed is not None and elapsed > target else None
        breach_rows.append(
            [
                reference or DASH,
                priority,
                METRIC_LABELS.get(metric, metric),
                _instant(due, scope),
                _instant(stopped_at, scope),
                business_duration(overrun) if overrun else DASH,
            ]
        )
    columns = ["Target", "Priority", "Agreed", "Measured", "Met", "Breached", "Attainment"]
    chart = percent_bars(
        [(p, attainment(*by_priority[p])) for p in PRIORITIES if p in by_priority],
        title="SLA attainment per priority",
    )
    return section(
        "sla",
        1,
        "Service level attainment",
        SLA_DEFINITION,
        CLOCK_SOURCE,
        figures=[
            ("Overall attainment", pct(attainment(met_total, measured_total))),
            ("Clocks measured", measured_total),
            ("Breaches", measured_total - met_total),
        ],
        tables=[
            table(columns, rows, title="Attainment per target and priority"),
            table(
                ["Ticket", "Priority", "Target", "Due", "Stopped", "Late by (business time)"],
                breach_rows,
                title="Breaches",
                total=measured_total - met_total,
                limit=LIST_LIMIT,
            ),
        ],
        charts=[chart] if grouped else [],
        note=_zone_note(scope),
    )


# --- 2. Response and resolution times ---------------------------------------------------------

TIMES_DEFINITION = (
    "Business time from the start of each clock to its stop, for clocks that stopped in the "
    "period: first response clocks for response, resolution clocks for incident resolution, "
    "fulfilment clocks for service requests. Business time counts only the agreement "
    "calendar's working hours, and paused time is excluded. The median (50th) and 90th "
    "percentile are nearest-rank: the smallest time with at least half (nine tenths) of the "
    "clocks at or under it, so each is a time a ticket really took. Same clocks as the "
    "attainment section; cancelled clocks and cancelled tickets are left out."
)


def times_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Median and 90th percentile business times per metric and priority."""
    groups, metrics = percentiles(stopped_in(scope))
    rows = []
    for metric in TICKET_METRICS:
        for priority in PRIORITIES:
            spread = groups.get((metric, priority))
            if spread is None:
                continue
            rows.append(
                [
                    METRIC_LABELS[metric],
                    priority,
                    spread.count,
                    business_duration(spread.median),
                    business_duration(spread.p90),
                ]
            )

    def overall(metric: str) -> str:
        spread = metrics.get(metric)
        return business_duration(spread.median) if spread is not None else DASH

    return section(
        "times",
        2,
        "Response and resolution times",
        TIMES_DEFINITION,
        CLOCK_SOURCE + " Business time from the agreement's calendar.",
        figures=[
            ("Median first response", overall(FIRST_RESPONSE)),
            ("Median resolution", overall(RESOLUTION)),
            ("Median fulfilment", overall(FULFILMENT)),
        ],
        tables=[
            table(
                ["Target", "Priority", "Clocks", "Median", "90th percentile"],
                rows,
                title="Business time per target and priority",
            )
        ],
        note=_zone_note(scope),
    )


# --- 3. Backlog -------------------------------------------------------------------------------

BACKLOG_DEFINITION = (
    "Incidents and service requests of the scope open at the end of the period: opened before "
    "its end and not resolved (incidents), fulfilled (requests), closed, cancelled or "
    "rejected by then (a ticket cancelled after the period's end was open at it). A ticket "
    "resolved in the period but reopened later counts as open only if it is unresolved now. "
    "Age is calendar age in whole days at the end of the period (0-2 days, 3-7, 8-30, over "
    "30)."
)


def _open_at(model: Any, scope: ReportScope) -> QuerySet[Any]:
    """Tickets of the scope open at the period's end ``T``: opened before ``T`` and neither
    resolved (fulfilled), closed nor cancelled before it, by the instants recorded, so a
    ticket cancelled (or rejected, which closes it) after ``T`` counts as open at ``T``. A
    ticket cancelled or rejected without a recorded instant is left out: when is unknown."""
    _, after = scope.bounds()
    rows = scope.tickets(model._default_manager.filter(opened_at__lt=after))
    done = "resolved_at" if model is Incident else "fulfilled_at"
    ended = Q(**{f"{done}__lt": after}) | Q(closed_at__lt=after) | Q(cancelled_at__lt=after)
    unknown = Q(status=_cancelled(model), cancelled_at__isnull=True)
    if model is ServiceRequest:
        unknown |= Q(status=RequestStatus.REJECTED, closed_at__isnull=True)
    return rows.exclude(ended).exclude(unknown)


def _age_filter(after: dt.datetime, youngest: int, oldest: int | None) -> Q:
    """Tickets whose whole-day age at ``after`` is between ``youngest`` and ``oldest``."""
    condition = Q(opened_at__lte=after - dt.timedelta(days=youngest))
    if oldest is not None:
        condition &= Q(opened_at__gt=after - dt.timedelta(days=oldest + 1))
    return condition


def backlog_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Open tickets at the period's end by priority and age, with the oldest listed."""
    _, after = scope.bounds()
    buckets = {
        f"b{i}": Count("pk", filter=_age_filter(after, low, high))
        for i, (_, low, high) in enumerate(AGE_BUCKETS)
    }
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * (len(AGE_BUCKETS) + 1))
    oldest: list[tuple[dt.datetime, str, str, str, str]] = []
    for model in (Incident, ServiceRequest):
        rows = _open_at(model, scope)
        for r in rows.values("priority").annotate(n=Count("pk"), **buckets).order_by():
            line = counts[r["priority"]]
            line[0] += r["n"]
            for i in range(len(AGE_BUCKETS)):
                line[i + 1] += r[f"b{i}"]
        kind = "Incident" if model is Incident else "Request"
        for ref, opened, priority, status in rows.order_by("opened_at", "pk").values_list(
            "reference", "opened_at", "priority", "status"
        )[:OLDEST]:
            oldest.append((opened, ref, kind, priority, status))
    oldest.sort()
    total = [sum(counts[p][i] for p in counts) for i in range(len(AGE_BUCKETS) + 1)]
    rows = [[p, *counts[p]] for p in PRIORITIES if p in counts]
    if counts:
        rows.append(["All", *total])
    old_rows = [
        [ref, kind, priority, status, _instant(opened, scope), (after - opened).days]
        for opened, ref, kind, priority, status in oldest[:OLDEST]
    ]
    return section(
        "backlog",
        3,
        "Backlog at the end of the period",
        BACKLOG_DEFINITION,
        "Incidents and service requests of the scope (opened, resolved, fulfilled and closed "
        "instants).",
        figures=[("Open at the end of the period", total[0])],
        tables=[
            table(
                ["Priority", "Open", *(label for label, _, _ in AGE_BUCKETS)],
                rows,
                title="Open tickets by priority and age",
            ),
            table(
                ["Ticket", "Kind", "Priority", "Status now", "Opened", "Age (days)"],
                old_rows,
                title=f"The oldest {OLDEST}",
                total=min(total[0], OLDEST),
            ),
        ],
        note=_zone_note(scope),
    )


# --- 4. Workload ------------------------------------------------------------------------------

WORKLOAD_DEFINITION = (
    "Incidents and service requests opened in the period, per service and per week (weeks "
    "start on Monday in the scope's time zone; the first and last may be partial). Cancelled "
    "tickets are shown apart and not counted. A reopened ticket counts once, in the period it "
    "was opened."
)


def _opened_in(model: Any, scope: ReportScope) -> QuerySet[Any]:
    first, after = scope.bounds()
    return scope.tickets(model._default_manager.filter(opened_at__gte=first, opened_at__lt=after))


def workload_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Tickets opened per service and per week, against the agreement's workload limits."""
    per_service: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    per_week: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for index, model in enumerate((Incident, ServiceRequest)):
        cancelled = Q(status=_cancelled(model))
        rows = _opened_in(model, scope)
        for r in (
            rows.values("service__code", "service__name")
            .annotate(n=Count("pk", filter=~cancelled), c=Count("pk", filter=cancelled))
            .order_by()
        ):
            line = per_service[(r["service__code"] or DASH, r["service__name"] or "")]
            line[index] += r["n"]
            line[2 + index] += r["c"]
        for r in (
            rows.exclude(cancelled)
            .annotate(week=TruncWeek("opened_at", tzinfo=scope.zone))
            .values("week")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            per_week[r["week"].astimezone(scope.zone).date()][index] += r["n"]
    service_rows = [
        [code, name, line[0], line[1], line[0] + line[1], line[2] + line[3]]
        for (code, name), line in sorted(per_service.items())
    ]
    incidents = sum(line[0] for line in per_service.values())
    requests = sum(line[1] for line in per_service.values())
    cancelled_total = sum(line[2] + line[3] for line in per_service.values())
    week_rows = [
        [f"{week:%Y-%m-%d}", line[0], line[1], line[0] + line[1]]
        for week, line in sorted(per_week.items())
    ]
    figures: list[tuple[str, Any]] = [
        ("Incidents opened", incidents),
        ("Service requests opened", requests),
        ("Cancelled (not counted)", cancelled_total),
    ]
    note = _zone_note(scope)
    if scope.agreement is not None:
        limits = (scope.agreement.workload_limits or "").strip()
        figures.append(("Agreed workload limits", limits or "None stated in the agreement"))
        if limits:
            note += " The workload limits are quoted from the agreement as written."
    chart = count_columns(
        [(f"{week:%d %b}", line[0] + line[1]) for week, line in sorted(per_week.items())],
        title="Tickets opened per week",
    )
    return section(
        "workload",
        4,
        "Workload",
        WORKLOAD_DEFINITION,
        "Incidents and service requests of the scope, by their opened instant; the agreement's "
        "workload limits.",
        figures=figures,
        tables=[
            table(
                ["Service", "Name", "Incidents", "Requests", "Total", "Cancelled"],
                service_rows,
                title="Opened per service",
            ),
            table(
                ["Week of", "Incidents", "Requests", "Total"], week_rows, title="Opened per week"
            ),
        ],
        charts=[chart] if per_week else [],
        note=note,
    )


# --- 5. Service requests ----------------------------------------------------------------------

REQUESTS_DEFINITION = (
    "Service requests of the scope: opened in the period (cancelled ones counted apart), "
    "fulfilled in the period (by their fulfilment instant; a request fulfilled, reopened and "
    "fulfilled again counts once, at its last fulfilment), and opened in the period and since "
    "cancelled. Fulfilled on time = fulfilment clocks met / fulfilment clocks stopped in the "
    "period, rounded down to one decimal, with the attainment section's rules. Median "
    "fulfilment time: nearest-rank median of the business time of those clocks, pauses "
    "(waiting on the customer, or on approval where the agreement says so) excluded. The "
    "catalogue items most requested count the requests opened in the period, cancelled ones "
    "left out."
)


def requests_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Requests opened, fulfilled and cancelled; fulfilment on time; the most requested."""
    first, after = scope.bounds()
    cancelled = Q(status=RequestStatus.CANCELLED)
    opened = _opened_in(ServiceRequest, scope).aggregate(
        n=Count("pk", filter=~cancelled), c=Count("pk", filter=cancelled)
    )
    fulfilled = (
        scope.tickets(
            ServiceRequest.objects.filter(fulfilled_at__gte=first, fulfilled_at__lt=after)
        )
        .exclude(cancelled)
        .aggregate(n=Count("pk"))["n"]
    )
    clocks = stopped_in(scope).filter(metric=Metric.FULFILMENT)
    on_time = clocks.aggregate(
        measured=Count("pk"), met=Count("pk", filter=Q(state=ClockState.MET, breached=False))
    )
    _, metrics = percentiles(clocks)
    items = list(
        _opened_in(ServiceRequest, scope)
        .exclude(cancelled)
        .values("catalogue_item__name", "service__code")
        .annotate(n=Count("pk"))
        .order_by("-n", "catalogue_item__name")[: TOP_ITEMS + 1]
    )
    item_rows = [[r["catalogue_item__name"], r["service__code"], r["n"]] for r in items]
    fulfilment = metrics.get(FULFILMENT)
    median = fulfilment.median if fulfilment is not None else None
    return section(
        "requests",
        5,
        "Service requests",
        REQUESTS_DEFINITION,
        "Service requests of the scope and their SLA fulfilment clocks.",
        figures=[
            ("Opened", opened["n"]),
            ("Fulfilled", fulfilled),
            ("Cancelled", opened["c"]),
            ("Fulfilled on time", pct(attainment(on_time["met"], on_time["measured"]))),
            ("Fulfilment clocks measured", on_time["measured"]),
            ("Median fulfilment time", DASH if median is None else business_duration(median)),
        ],
        tables=[
            table(
                ["Catalogue item", "Service", "Requests"],
                item_rows[:TOP_ITEMS],
                title="Most requested",
                limit=TOP_ITEMS,
            )
        ],
        note=_zone_note(scope),
    )


SECTIONS = [sla_section, times_section, backlog_section, workload_section, requests_section]
