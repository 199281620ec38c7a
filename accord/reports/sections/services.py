"""Sections about the services of a report's scope (numbered 6 to 11): availability against
target, capacity, problems and known errors, changes, satisfaction and complaints, and the
chain of OLAs and underpinning contracts behind the SLA targets.

Each section reads its figures with aggregate queries (and the existing availability and
capacity selectors, which load what they need in a constant number of queries), so the number
of queries does not grow with the records counted. An agreement's report counts only what
concerns its customer: records limited to other customers are left out.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Lag

from accord.agreements.choices import AgreementKind, AgreementStatus, ClockState, Metric
from accord.agreements.models import Agreement, Target, TicketClock
from accord.availability.models import Outage
from accord.availability.selectors import (
    Measured,
    agreements_for_measure,
    measure_agreements,
    measure_services,
)
from accord.capacity.choices import Aggregation, Granularity, Level
from accord.capacity.models import Metric as CapacityMetric
from accord.capacity.models import Rollup
from accord.capacity.selectors import outlooks
from accord.changes.choices import DONE_STATUSES, ChangeType, IncidentRelation, Outcome
from accord.changes.models import Change, ChangeIncident
from accord.core.report_parts import DASH, day, number, pct, section, table
from accord.feedback.choices import ComplaintStatus
from accord.feedback.models import Complaint, Survey
from accord.governance.measures import percent
from accord.portfolio.models import Service
from accord.problems.choices import KNOWN_ERROR_STATUSES, ProblemStatus
from accord.problems.models import Problem
from accord.reports.scope import ReportScope

TWO_PLACES = Decimal("0.01")


def _yes_no(value: bool | None) -> str:
    if value is None:
        return DASH
    return "yes" if value else "no"


def _minutes(value: dt.timedelta | None) -> str:
    """A duration in whole minutes (rounded half up), or a dash when there is none."""
    if value is None:
        return DASH
    seconds = Decimal(str(value.total_seconds()))
    return number((seconds / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _scope_words(scope: ReportScope) -> str:
    if scope.agreement is not None:
        return (
            f"the services of {scope.agreement.code}, counting only what concerns its customer "
            "(records limited to other customers are left out)"
        )
    if scope.service is not None:
        return f"the service {scope.service.code}"
    return "every live service (and those retired during the period)"


def _customer_reached(org_id: int | None, through: Any, field: str) -> Q:
    """Rows that name no customer, or name ``org_id`` among their customers (``through`` is the
    many-to-many table from the row to its customers, ``field`` the row's column in it)."""
    if org_id is None:
        return Q()
    named = through.objects.filter(**{field: OuterRef("pk")})
    return ~Q(Exists(named)) | Q(Exists(named.filter(organisation_id=org_id)))


# --- 6. availability ----------------------------------------------------------------------------

AVAILABILITY_DEFINITION = (
    "Availability = uptime / agreed service time x 100, over the agreed service time of the "
    "period (service hours, less agreed maintenance windows and exclusions). Downtime is the "
    "weighted outage time inside it (a partial outage counts at its weight); failures are the "
    "unplanned outage episodes; MTBF = uptime / failures; MTRS = downtime / failures. The "
    "target is met when the availability is at or above it. For an agreement, its calendar and "
    "target and the outages that reached its customer; for a service, its service hours and "
    "the target of its governing SLA (the strictest active one). A dash: nothing to measure "
    "or no target."
)


def _figure_row(label: str, measured: Measured) -> list[Any]:
    figures = measured.figures
    met = (
        None
        if measured.target is None or figures.availability is None
        else figures.availability >= measured.target
    )
    return [
        label,
        pct(figures.availability),
        pct(measured.target),
        _yes_no(met),
        _minutes(figures.downtime),
        figures.failures,
        _minutes(figures.mtbf),
        _minutes(figures.mtrs),
    ]


FIGURE_COLUMNS = [
    "Service",
    "Availability",
    "Target",
    "Met",
    "Downtime (min)",
    "Failures",
    "MTBF (min)",
    "MTRS (min)",
]


def availability_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Availability of the agreement (and each of its services), or of each service."""
    period = f"{scope.start.isoformat()}..{scope.end.isoformat()}"
    figures: list[tuple[str, Any]] = []
    rows: list[list[Any]] = []
    counted: set[Any] = set()
    if scope.agreement is not None:
        agreements = list(agreements_for_measure(Agreement.objects.filter(pk=scope.agreement.pk)))
        measured = measure_agreements(agreements, period=period, now=now)[0]
        row = _figure_row(scope.agreement.code, measured)
        figures = list(zip(FIGURE_COLUMNS[1:], row[1:], strict=True))
        for part in measured.services:
            rows.append(_figure_row(part.subject.code, part))
            counted.update(part.figures.counted)
    else:
        services = list(
            Service.objects.filter(pk__in=scope.service_ids())
            .select_related("service_hours")
            .order_by("code", "pk")
        )
        results = measure_services(services, period=period, now=now)
        met = 0
        with_target = 0
        for result in results:
            row = _figure_row(result.subject.code, result)
            rows.append(row)
            counted.update(result.figures.counted)
            if row[3] != DASH:
                with_target += 1
                met += row[3] == "yes"
        figures = [
            ("Services measured", len(results)),
            ("Services with a target", with_target),
            ("Services meeting their target", met if with_target else DASH),
        ]
        if scope.service is not None and rows:
            figures = list(zip(FIGURE_COLUMNS[1:], rows[0][1:], strict=True))
    outage_rows = [
        [
            o["reference"],
            o["service__code"],
            o["start"].astimezone(scope.zone).strftime("%Y-%m-%d %H:%M"),
            o["end"].astimezone(scope.zone).strftime("%Y-%m-%d %H:%M") if o["end"] else DASH,
            _minutes(o["end"] - o["start"]) if o["end"] else DASH,
            o["kind"],
        ]
        for o in Outage.objects.filter(pk__in=list(counted))
        .values("reference", "service__code", "start", "end", "kind")
        .order_by("start", "pk")
    ]
    return section(
        "availability",
        6,
        "Availability against target",
        AVAILABILITY_DEFINITION,
        f"Outages recorded in availability management on {_scope_words(scope)}, measured by "
        "the availability figures (the same as the availability pages).",
        figures=figures,
        tables=[
            table(FIGURE_COLUMNS, rows, title="By service"),
            table(
                ["Outage", "Service", "Start", "End", "Minutes", "Kind"],
                outage_rows,
                title="Outages counted",
            ),
        ],
        note="" if rows else "No service to measure.",
    )


# --- 7. capacity --------------------------------------------------------------------------------

CAPACITY_DEFINITION = (
    "For each active capacity metric of the scope's services: its level now (normal, warning "
    "or critical, as the threshold evaluation last set it), its utilisation (the last daily "
    "value on the metric's aggregation / usable capacity, as of the period's last day or today "
    "if earlier), and the forecast day its trend reaches the warning threshold and the usable "
    "capacity (exhaustion). Crossings: the hours of the period in which the metric rose to a "
    "higher level than in the hour before (normal to warning or critical, warning to critical)."
)


def _hour_value(aggregation: str) -> Any:
    if aggregation == str(Aggregation.P95):
        return F("p95")
    if aggregation == str(Aggregation.MEAN):
        return F("total") / F("count")
    return F("maximum")


def _crossings(
    metrics: list[CapacityMetric], first: dt.datetime, after: dt.datetime
) -> dict[int, int]:
    """Crossings per metric in ``[first, after)``: hourly rollups whose level is above the
    level of the hour before. One query per aggregation in use (three at most)."""
    found: dict[int, int] = {}
    groups: dict[str, list[CapacityMetric]] = {}
    for metric in metrics:
        groups.setdefault(metric.aggregation, []).append(metric)
    for aggregation, group in groups.items():
        value = _hour_value(aggregation)
        level = Case(
            When(Q(value__gte=F("metric__critical_threshold")), then=2),
            When(Q(value__gte=F("metric__warning_threshold")), then=1),
            default=0,
            output_field=IntegerField(),
        )
        rows = (
            Rollup.objects.filter(
                metric__in=[m.pk for m in group], granularity=Granularity.HOUR, bucket__lt=after
            )
            .annotate(value=value)
            .annotate(level=level)
            .annotate(
                before=Coalesce(
                    Window(Lag("level"), partition_by=[F("metric_id")], order_by=F("bucket").asc()),
                    0,
                )
            )
            .filter(level__gt=F("before"))
            .values_list("metric_id", "bucket")
        )
        for metric_id, bucket in rows:
            if bucket >= first:
                found[metric_id] = found.get(metric_id, 0) + 1
    return found


def capacity_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Where the capacity of the scope's services stands and where it is heading."""
    first, after = scope.bounds()
    metrics = list(
        CapacityMetric.objects.filter(service_id__in=scope.service_ids(), is_active=True)
        .select_related("service", "state")
        .order_by("service__code", "code", "pk")
    )
    today = min(scope.end, now.astimezone(scope.zone).date())
    found = outlooks(metrics, today=today)
    crossings = _crossings(metrics, first, after)
    levels: dict[str, int] = {str(Level.NORMAL): 0, str(Level.WARNING): 0, str(Level.CRITICAL): 0}
    rows = []
    for outlook in found:
        metric = outlook.metric
        levels[outlook.level] = levels.get(outlook.level, 0) + 1
        warning = outlook.warning
        rows.append(
            [
                metric.code,
                metric.service.code if metric.service_id else DASH,
                str(Level(outlook.level).label),
                DASH if outlook.current is None else f"{outlook.current:g} {metric.unit}",
                DASH
                if outlook.utilisation is None
                else pct(Decimal(str(round(outlook.utilisation * 100, 1)))),
                "already"
                if warning and warning.already
                else day(warning.expected if warning else None),
                day(outlook.runs_out),
                crossings.get(metric.pk, 0),
            ]
        )
    return section(
        "capacity",
        7,
        "Capacity",
        CAPACITY_DEFINITION,
        f"Capacity metrics, their threshold states and daily aggregates, of {_scope_words(scope)}.",
        figures=[
            ("Metrics", len(found)),
            ("Normal", levels[str(Level.NORMAL)]),
            ("Warning", levels[str(Level.WARNING)]),
            ("Critical", levels[str(Level.CRITICAL)]),
            ("Crossings in the period", sum(crossings.values())),
        ],
        tables=[
            table(
                [
                    "Metric",
                    "Service",
                    "Level",
                    "Current",
                    "Utilisation",
                    "Warning expected",
                    "Exhaustion expected",
                    "Crossings",
                ],
                rows,
                title="Metrics",
            )
        ],
        note="" if found else "No capacity metric is recorded for these services.",
    )


# --- 8. problems --------------------------------------------------------------------------------

PROBLEMS_DEFINITION = (
    "Problems recorded against the scope's services. Open at the end of the period: opened "
    "before its end and neither resolved nor closed by then, grouped by their status now. "
    "Opened and resolved: by the instant they were opened and resolved. Known errors with a "
    "workaround: problems now in known error or awaiting change that record a workaround."
)


def _problems(scope: ReportScope) -> QuerySet[Problem]:
    org = scope.organisation.pk if scope.organisation is not None else None
    return Problem.objects.filter(service_id__in=scope.service_ids()).filter(
        _customer_reached(org, Problem.organisations.through, "problem_id")
    )


def problems_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Problems and known errors affecting the scope's services."""
    first, after = scope.bounds()
    open_at_end = (
        Q(opened_at__lt=after)
        & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=after))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=after))
    )
    known = Q(status__in=KNOWN_ERROR_STATUSES) & ~Q(workaround="")
    problems = _problems(scope)
    counts = {
        "opened": Count("pk", filter=Q(opened_at__gte=first, opened_at__lt=after)),
        "resolved": Count("pk", filter=Q(resolved_at__gte=first, resolved_at__lt=after)),
        "known": Count("pk", filter=known),
        **{
            f"open_{status}": Count("pk", filter=open_at_end & Q(status=status))
            for status in ProblemStatus.values
        },
    }
    totals = problems.aggregate(**counts)
    open_total = sum(totals[f"open_{s}"] for s in ProblemStatus.values)
    figures: list[tuple[str, Any]] = [("Open at the end of the period", open_total)]
    figures += [
        (f"Open: {ProblemStatus(s).label}", totals[f"open_{s}"])
        for s in ProblemStatus.values
        if totals[f"open_{s}"]
    ]
    figures += [
        ("Opened in the period", totals["opened"]),
        ("Resolved in the period", totals["resolved"]),
        ("Known errors with a workaround", totals["known"]),
    ]
    listed = problems.filter(
        open_at_end
        | Q(opened_at__gte=first, opened_at__lt=after)
        | Q(resolved_at__gte=first, resolved_at__lt=after)
    )
    total = listed.count()
    rows = [
        [p["reference"], p["title"], str(ProblemStatus(p["status"]).label), _yes_no(p["wa"])]
        for p in listed.annotate(wa=~Q(workaround=""))
        .values("reference", "title", "status", "wa")
        .order_by("opened_at", "pk")[:50]
    ]
    return section(
        "problems",
        8,
        "Problems and known errors",
        PROBLEMS_DEFINITION,
        f"The problem register, for {_scope_words(scope)}.",
        figures=figures,
        tables=[
            table(
                ["Problem", "Title", "Status", "Workaround"],
                rows,
                title="Problems open, opened or resolved in the period",
                total=total,
            )
        ],
    )


# --- 9. changes ---------------------------------------------------------------------------------

CHANGES_DEFINITION = (
    "Changes implemented in the period (those that reached implemented, failed, in review or "
    "closed, counted by their actual end) on the scope's services, each once. Success rate = "
    "successful / implemented; emergency ratio = emergency changes / implemented; changes that "
    "caused incidents: those with at least one incident linked as caused by the change (for an "
    "agreement, an incident of its customer). The same definitions as the change metrics."
)


def changes_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Changes implemented on the scope's services in the period, and how they went."""
    first, after = scope.bounds()
    org = scope.organisation.pk if scope.organisation is not None else None
    on_services = Change.services.through.objects.filter(
        change_id=OuterRef("pk"), service_id__in=scope.service_ids()
    )
    changes = (
        Change.objects.filter(Exists(on_services))
        .filter(_customer_reached(org, Change.organisations.through, "change_id"))
        .filter(status__in=DONE_STATUSES, actual_end__gte=first, actual_end__lt=after)
        .order_by()
    )
    caused = ChangeIncident.objects.filter(
        change_id=OuterRef("pk"), relation=IncidentRelation.CAUSED
    )
    if org is not None:
        caused = caused.filter(organisation_id=org)
    row = changes.aggregate(
        implemented=Count("pk"),
        successful=Count("pk", filter=Q(outcome=Outcome.SUCCESSFUL)),
        emergency=Count("pk", filter=Q(change_type=ChangeType.EMERGENCY)),
        caused=Count("pk", filter=Q(Exists(caused))),
    )
    implemented = row["implemented"]
    rows = [
        [
            c["reference"],
            c["title"],
            str(ChangeType(c["change_type"]).label),
            str(Outcome(c["outcome"]).label) if c["outcome"] else DASH,
            day(c["actual_end"]),
            _yes_no(c["hurt"]),
        ]
        for c in changes.annotate(hurt=Exists(caused))
        .values("reference", "title", "change_type", "outcome", "actual_end", "hurt")
        .order_by("actual_end", "pk")[:50]
    ]
    return section(
        "changes",
        9,
        "Changes",
        CHANGES_DEFINITION,
        f"Change management records, for {_scope_words(scope)}.",
        figures=[
            ("Changes implemented", implemented),
            ("Success rate", pct(percent(row["successful"], implemented))),
            ("Emergency ratio", pct(percent(row["emergency"], implemented))),
            ("Changes that caused incidents", row["caused"]),
        ],
        tables=[
            table(
                ["Change", "Title", "Type", "Outcome", "Implemented", "Caused incidents"],
                rows,
                title="Changes implemented",
                total=implemented,
            )
        ],
    )


# --- 10. satisfaction ---------------------------------------------------------------------------

SATISFACTION_DEFINITION = (
    "Surveys answered in the period about the scope's tickets: the mean score (1 to 5) to two "
    "places, the number answered and how many gave each score. Complaints: raised in the "
    "period, resolved in the period, and open at its end (raised before its end, neither "
    "resolved nor closed by then, and not withdrawn). For an agreement: its customer's "
    "complaints about its services or about no service."
)

CLOSED_COMPLAINT = (ComplaintStatus.WITHDRAWN,)


def satisfaction_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """What the scope's customers said: survey scores and complaints."""
    first, after = scope.bounds()
    surveys = scope.tickets(Survey.objects.all()).filter(
        answered_at__gte=first, answered_at__lt=after, score__isnull=False
    )
    scores = surveys.aggregate(
        answered=Count("pk"),
        total=Sum("score"),
        **{f"s{n}": Count("pk", filter=Q(score=n)) for n in range(1, 6)},
    )
    answered = scores["answered"] or 0
    mean = (
        (Decimal(scores["total"]) / Decimal(answered)).quantize(TWO_PLACES, ROUND_HALF_UP)
        if answered
        else None
    )
    ids = scope.service_ids()
    complaints = Complaint.objects.all()
    if scope.organisation is not None:
        complaints = complaints.filter(organisation=scope.organisation).filter(
            Q(service_id__in=ids) | Q(service__isnull=True)
        )
    elif scope.service is not None:
        complaints = complaints.filter(service_id__in=ids)
    else:
        complaints = complaints.filter(Q(service_id__in=ids) | Q(service__isnull=True))
    open_at_end = (
        Q(raised_at__lt=after)
        & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=after))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=after))
        & ~Q(status=ComplaintStatus.WITHDRAWN)
    )
    raised_in = Q(raised_at__gte=first, raised_at__lt=after)
    counts = complaints.aggregate(
        raised=Count("pk", filter=raised_in),
        resolved=Count("pk", filter=Q(resolved_at__gte=first, resolved_at__lt=after)),
        open=Count("pk", filter=open_at_end),
        listed=Count("pk", filter=raised_in | open_at_end),
    )
    rows = [
        [c["reference"], c["title"], str(ComplaintStatus(c["status"]).label), day(c["raised_at"])]
        for c in complaints.filter(raised_in | open_at_end)
        .values("reference", "title", "status", "raised_at")
        .order_by("raised_at", "pk")[:50]
    ]
    return section(
        "satisfaction",
        10,
        "Customer satisfaction and complaints",
        SATISFACTION_DEFINITION,
        f"Satisfaction surveys and complaints, for {_scope_words(scope)}.",
        figures=[
            ("Mean score", number(mean)),
            ("Surveys answered", answered),
            *[(f"Score {n}", scores[f"s{n}"]) for n in range(1, 6)],
            ("Complaints raised", counts["raised"]),
            ("Complaints resolved", counts["resolved"]),
            ("Complaints open at the end", counts["open"]),
        ],
        tables=[
            table(
                ["Complaint", "Title", "Status", "Raised"],
                rows,
                title="Complaints raised in the period or open at its end",
                total=counts["listed"],
            )
        ],
    )


# --- 11. the OLA and UC chain -------------------------------------------------------------------

CHAIN_DEFINITION = (
    "For each target: its clocks that stopped in the period, met or breached (cancelled and "
    "running clocks left out), as met / measured; a clock that ever breached is not met. A "
    "target held when none of its clocks measured in the period breached (a dash: nothing "
    "measured). For an agreement, each of its targets is set beside the OLA and UC targets of "
    "the same metric and priority (or every priority) on the same services, of agreements in "
    "force during the period, counting only its customer's tickets. Availability targets have "
    "no clocks: see the availability section."
)


def _measure(target: Target, attained: dict[int, dict[str, int]]) -> tuple[str, bool | None]:
    row = attained.get(target.pk)
    if target.metric == Metric.AVAILABILITY:
        return DASH, None
    if not row or not row["measured"]:
        return "0 / 0", None
    return f"{row['met']} / {row['measured']}", row["met"] == row["measured"]


def _target_words(target: Target) -> str:
    measure = (
        pct(target.percentage) if target.metric == Metric.AVAILABILITY else str(target.duration)
    )
    return f"{target.get_metric_display()} {target.priority or 'all'}: {measure}"


def chain_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """The operational agreements and contracts that underpin the SLA targets."""
    first, after = scope.bounds()
    ids = scope.service_ids()
    in_force = (
        Q(starts_on__lte=scope.end)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=scope.start))
        & ~Q(status=AgreementStatus.DRAFT)
    )
    covered = Agreement.services.through.objects.filter(
        agreement_id=OuterRef("pk"), service_id__in=ids
    )
    under = list(
        Agreement.objects.filter(in_force, Exists(covered))
        .filter(kind__in=[AgreementKind.OLA, AgreementKind.UC])
        .prefetch_related("targets")
        .order_by("kind", "code")
    )
    sla_targets = (
        sorted(scope.agreement.targets.all(), key=lambda t: (t.metric, t.priority))
        if scope.agreement is not None
        else []
    )
    target_ids = [t.pk for a in under for t in a.targets.all()] + [t.pk for t in sla_targets]
    clocks = TicketClock.objects.filter(
        target_id__in=target_ids,
        state__in=[ClockState.MET, ClockState.BREACHED],
        stopped_at__gte=first,
        stopped_at__lt=after,
    )
    if scope.organisation is not None:
        clocks = clocks.filter(organisation=scope.organisation)
    attained = {
        r["target_id"]: r
        for r in clocks.order_by()
        .values("target_id")
        .annotate(
            measured=Count("pk"), met=Count("pk", filter=Q(state=ClockState.MET, breached=False))
        )
    }
    note = "" if under else "No OLA or UC covers these services."
    if scope.agreement is not None:
        rows = []
        for sla in sla_targets:
            sla_att, sla_held = _measure(sla, attained)
            matching = [
                (agreement, t)
                for agreement in under
                for t in agreement.targets.all()
                if t.metric == sla.metric and (not t.priority or t.priority == sla.priority)
            ]
            if not matching:
                rows.append(
                    [_target_words(sla), sla_att, _yes_no(sla_held), DASH, DASH, DASH, DASH]
                )
            for agreement, t in matching:
                att, held = _measure(t, attained)
                rows.append(
                    [
                        _target_words(sla),
                        sla_att,
                        _yes_no(sla_held),
                        f"{agreement.kind.upper()} {agreement.code}",
                        _target_words(t),
                        att,
                        _yes_no(held),
                    ]
                )
        tables = [
            table(
                [
                    "SLA target",
                    "SLA met / measured",
                    "SLA held",
                    "Underpinned by",
                    "Its target",
                    "Met / measured",
                    "Held",
                ],
                rows,
                title=f"Targets of {scope.agreement.code}",
            )
        ]
    else:
        rows = []
        for agreement in under:
            for t in sorted(agreement.targets.all(), key=lambda t: (t.metric, t.priority)):
                att, held = _measure(t, attained)
                rows.append(
                    [
                        f"{agreement.kind.upper()} {agreement.code}",
                        agreement.name,
                        _target_words(t),
                        att,
                        _yes_no(held),
                    ]
                )
        tables = [
            table(
                ["Agreement", "Name", "Target", "Met / measured", "Held"],
                rows,
                title="OLAs and underpinning contracts",
            )
        ]
    return section(
        "chain",
        11,
        "OLA and UC chain",
        CHAIN_DEFINITION,
        f"Agreements, their targets and the ticket clocks measured against them, for "
        f"{_scope_words(scope)}.",
        figures=[
            ("OLAs", sum(a.kind == AgreementKind.OLA for a in under)),
            ("Underpinning contracts", sum(a.kind == AgreementKind.UC for a in under)),
        ],
        tables=tables,
        note=note,
    )


SECTIONS: list[Any] = [
    availability_section,
    capacity_section,
    problems_section,
    changes_section,
    satisfaction_section,
    chain_section,
]
