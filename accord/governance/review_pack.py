"""The pack a management review (ISO/IEC 20000-1, 9.3) reads, compiled from live data.

Clause 9.3 lists what top management must consider: the status of actions from earlier
reviews, changes in issues and risks, performance against the objectives, service levels and
availability, capacity, customer satisfaction and complaints, supplier performance, audit
results and nonconformities, and the opportunities for improvement. :func:`compile_pack`
gathers each from the records that hold it, for the review's period (``period_start`` to
``period_end``, UTC days, both included), and returns plain JSON (numbers as ints or strings,
dates and instants in ISO form) so the figures can be stored on the review exactly as they
were. :func:`pack_markdown` writes the same figures as the review's minutes document.

Every section is computed by aggregate queries; none loops over services or tickets with a
query each, so compiling costs the same number of queries however large the records grow.
Long lists are cut at :data:`LIST_LIMIT` rows with a note of how many more there are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When

from accord.agreements.choices import AgreementKind, ClockState
from accord.agreements.models import Agreement, TicketClock
from accord.availability import selectors as availability
from accord.capacity.choices import Level
from accord.capacity.models import ThresholdState
from accord.changes.choices import ChangeType, Outcome, RiskClass
from accord.changes.models import Change
from accord.core.choices import Priority
from accord.core.report_parts import DASH, LIST_LIMIT, section, table
from accord.core.report_parts import day as _day
from accord.core.report_parts import first_line as _first_line
from accord.core.report_parts import number as _number
from accord.core.report_parts import pct as _pct
from accord.feedback.choices import ComplaintStatus
from accord.feedback.models import Complaint
from accord.governance import measures
from accord.governance.choices import AuditStatus, FindingKind, ObjectiveStatus, ReviewStatus
from accord.governance.models import Audit, ManagementReview, Objective, ReviewDecision
from accord.governance.selectors.objectives import objectives_with_progress
from accord.improvement.choices import Decision, Severity, Stage
from accord.improvement.choices import NonconformityStatus as NCStatus
from accord.improvement.models import Improvement, Nonconformity
from accord.incidents.models import Incident
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.problems.choices import ProblemStatus
from accord.problems.models import Problem
from accord.service_requests.models import ServiceRequest

#: Rows listed per table; the rest are counted in a note.
OPEN_PROBLEM = [
    ProblemStatus.NEW,
    ProblemStatus.UNDER_INVESTIGATION,
    ProblemStatus.KNOWN_ERROR,
    ProblemStatus.AWAITING_CHANGE,
]
KNOWN_ERROR = [ProblemStatus.KNOWN_ERROR, ProblemStatus.AWAITING_CHANGE]
FAILED_OUTCOMES = [Outcome.FAILED, Outcome.BACKED_OUT]
CLOSED_COMPLAINT = [ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED, ComplaintStatus.WITHDRAWN]


# --- the sections -------------------------------------------------------------------------------


def _actions(review: ManagementReview, first: dt.datetime, today: dt.date) -> dict[str, Any]:
    earlier = (
        ReviewDecision.objects.filter(review__planned_on__lt=review.planned_on)
        .exclude(review=review)
        .exclude(review__status=ReviewStatus.CANCELLED)
    )
    relevant = earlier.filter(Q(done_at__isnull=True) | Q(done_at__gte=first))
    counts = relevant.aggregate(
        open=Count("pk", filter=Q(done_at__isnull=True)),
        overdue=Count("pk", filter=Q(done_at__isnull=True, due_on__lt=today)),
        done=Count("pk", filter=Q(done_at__isnull=False)),
    )
    rows = []
    listed = relevant.select_related("review", "owner").order_by(
        "review__planned_on", "review__pk", "pk"
    )[: LIST_LIMIT + 1]
    for d in listed:
        if d.done_at is not None:
            state = f"done {_day(d.done_at)}"
        elif d.due_on is not None and d.due_on < today:
            state = "overdue"
        else:
            state = "open"
        rows.append(
            [
                d.review.reference,
                _first_line(d.text),
                str(d.owner) if d.owner_id else DASH,
                _day(d.due_on),
                state,
            ]
        )
    total = counts["open"] + counts["done"]
    return section(
        "actions",
        1,
        "Actions from previous reviews",
        "Decisions of earlier management reviews (not cancelled) that are still open, or were "
        "done since the period began. Overdue: open and past its due date on the day of "
        "compilation.",
        "Management reviews: their decisions and actions.",
        figures=[
            ("Open", counts["open"]),
            ("Overdue", counts["overdue"]),
            ("Done since the period began", counts["done"]),
        ],
        tables=[
            table(["Review", "Decision", "Owner", "Due", "State"], rows, total=total),
        ],
        note="" if total else "No decisions of earlier reviews to follow up.",
    )


def _issues(first: dt.datetime, after: dt.datetime) -> dict[str, Any]:
    in_period = {"gte": first, "lt": after}
    by_priority = {
        row["priority"]: row
        for row in Problem.objects.filter(status__in=OPEN_PROBLEM)
        .order_by()
        .values("priority")
        .annotate(n=Count("pk"), known=Count("pk", filter=Q(status__in=KNOWN_ERROR)))
    }
    problem_rows = [
        [label, by_priority.get(value, {}).get("n", 0), by_priority.get(value, {}).get("known", 0)]
        for value, label in Priority.choices
    ]
    majors = Incident.objects.filter(
        is_major=True,
        major_declared_at__gte=in_period["gte"],
        major_declared_at__lt=in_period["lt"],
    )
    major_count = majors.count()
    major_rows = [
        [i.reference, i.title, i.priority, _day(i.major_declared_at)]
        for i in majors.order_by("major_declared_at", "pk")[: LIST_LIMIT + 1]
    ]
    created = Q(created_at__gte=first, created_at__lt=after)
    failed = Q(outcome__in=FAILED_OUTCOMES, actual_end__gte=first, actual_end__lt=after)
    emergency = created & Q(change_type=ChangeType.EMERGENCY)
    high = created & Q(risk_class=RiskClass.HIGH)
    changes = Change.objects.aggregate(
        raised=Count("pk", filter=created),
        failed=Count("pk", filter=failed),
        emergency=Count("pk", filter=emergency),
        high=Count("pk", filter=high),
        notable=Count("pk", filter=failed | emergency | high),
    )
    change_rows = []
    for c in Change.objects.filter(failed | emergency | high).order_by("created_at", "pk")[
        : LIST_LIMIT + 1
    ]:
        why = []
        if c.outcome in FAILED_OUTCOMES and c.actual_end and first <= c.actual_end < after:
            why.append(c.get_outcome_display().lower())
        if c.change_type == ChangeType.EMERGENCY:
            why.append("emergency")
        if c.risk_class == RiskClass.HIGH:
            why.append("high risk")
        change_rows.append([c.reference, c.title, c.get_status_display(), ", ".join(why)])
    return section(
        "issues",
        2,
        "Changes in issues and risks",
        "Open problems (new, under investigation, known error, awaiting change) and the known "
        "errors among them, by priority, as they stand at compilation; incidents declared "
        "major in the period; changes raised in the period that were emergency or high-risk, "
        "and changes whose implementation ended in the period failed or backed out.",
        "Problem management (problems and known errors), incident management (major "
        "incidents), change management (change type, risk class, outcome).",
        figures=[
            ("Open problems", sum(r[1] for r in problem_rows)),
            ("Known errors", sum(r[2] for r in problem_rows)),
            ("Major incidents in the period", major_count),
            ("Changes raised in the period", changes["raised"]),
            ("Failed or backed-out changes", changes["failed"]),
            ("Emergency changes", changes["emergency"]),
            ("High-risk changes", changes["high"]),
        ],
        tables=[
            table(["Priority", "Open problems", "Known errors"], problem_rows, title="Problems"),
            table(
                ["Incident", "Title", "Priority", "Declared major"],
                major_rows,
                title="Major incidents",
                total=major_count,
            ),
            table(
                ["Change", "Title", "Status", "Why listed"],
                change_rows,
                title="Failed, emergency and high-risk changes",
                total=changes["notable"],
            ),
        ],
    )


def _objectives(review: ManagementReview, now: dt.datetime) -> dict[str, Any]:
    rows_qs = (
        Objective.objects.filter(
            period_start__lte=review.period_end, period_end__gte=review.period_start
        )
        .exclude(status=ObjectiveStatus.WITHDRAWN)
        .select_related("service")
        .order_by("reference")
    )
    objectives = objectives_with_progress(rows_qs, now)
    rows = []
    met = 0
    for o in objectives:
        p = getattr(o, "progress")  # noqa: B009 - set by objectives_with_progress
        met += 1 if p.met else 0
        value = DASH if p.value is None else f"{_number(p.value)} {o.unit}".strip()
        rows.append(
            [
                o.reference,
                o.title,
                o.get_measure_display(),
                f"{o.get_direction_display().lower()} {_number(o.target)} {o.unit}".strip(),
                value,
                p.verdict,
                o.get_status_display(),
            ]
        )
    return section(
        "objectives",
        3,
        "Performance against objectives",
        "Service management objectives whose period overlaps the review's (withdrawn ones left "
        "out), with the value now: computed live over the objective's own period, or the "
        "owner's latest recorded value, judged against the target in its direction.",
        "Governance: service management objectives and their live measures.",
        figures=[("Objectives", len(rows)), ("Meeting their target", met)],
        tables=[
            table(["Objective", "Title", "Measure", "Target", "Current", "Verdict", "Status"], rows)
        ],
        note="" if rows else "No objective covers the period.",
    )


def _clock_service() -> Case:
    """The service of a clock's ticket (incident or service request), in the query."""
    whens = []
    for model in (Incident, ServiceRequest):
        ct = ContentType.objects.get_for_model(model)
        ticket = model._default_manager.filter(pk=OuterRef("object_id")).values("service_id")[:1]
        whens.append(When(content_type=ct, then=Subquery(ticket)))
    return Case(*whens, default=Value(None), output_field=IntegerField())


def _sla(first: dt.datetime, after: dt.datetime) -> dict[str, Any]:
    stopped = Q(
        state__in=[ClockState.MET, ClockState.BREACHED],
        stopped_at__isnull=False,
        stopped_at__gte=first,
        stopped_at__lt=after,
    )
    met = stopped & Q(state=ClockState.MET, breached=False)
    breach = measures.breached_in(first, after)
    grouped = (
        TicketClock.objects.filter(agreement_kind=AgreementKind.SLA)
        .exclude(state=ClockState.CANCELLED)
        .filter(stopped | breach)
        .annotate(svc=_clock_service())
        .order_by()
        .values("svc")
        .annotate(
            measured=Count("pk", filter=stopped),
            met=Count("pk", filter=met),
            breaches=Count("pk", filter=breach),
        )
    )
    figures: dict[int | None, dict[str, int]] = {row["svc"]: row for row in grouped}
    ids = [pk for pk in figures if pk is not None]
    services = Service.objects.filter(Q(status=ServiceStatus.LIVE) | Q(pk__in=ids)).order_by(
        "name", "pk"
    )
    rows = []
    for service in services:
        row = figures.get(service.pk, {"measured": 0, "met": 0, "breaches": 0})
        rows.append(
            [
                service.name,
                _pct(measures.percent(row["met"], row["measured"])),
                row["measured"],
                row["breaches"],
            ]
        )
    measured = sum(r["measured"] for r in figures.values())
    met_all = sum(r["met"] for r in figures.values())
    breaches = sum(r["breaches"] for r in figures.values())
    return section(
        "sla",
        4,
        "Service levels: attainment and breaches",
        f"Attainment: {measures.SLA_ATTAINMENT_DEFINITION} Breaches: "
        f"{measures.SLA_BREACHES_DEFINITION} Per live service (and any other service whose "
        "tickets had clocks in the period); a clock counts for its ticket's service.",
        "Service level management: the SLA clocks of incidents and service requests.",
        figures=[
            ("SLA attainment (all services)", _pct(measures.percent(met_all, measured))),
            ("Clocks measured", measured),
            ("Breaches", breaches),
        ],
        tables=[table(["Service", "Attainment", "Clocks measured", "Breaches"], rows)],
    )


STATUS_WORDS = {
    "no_target": "no target",
    "breached": "target missed",
    "threatened": "threatened",
    "on_track": "on track",
}


def _availability(review: ManagementReview, now: dt.datetime) -> dict[str, Any]:
    services = list(
        Service.objects.filter(status=ServiceStatus.LIVE)
        .select_related("service_hours")
        .order_by("name", "pk")
    )
    period = f"{review.period_start.isoformat()}..{review.period_end.isoformat()}"
    note = ""
    try:
        measured = availability.measure_services(services, period=period, now=now)
    except ValueError as exc:
        measured, note = [], f"Not measured: {exc}"
    rows = []
    missed = 0
    for m in measured:
        f = m.figures
        missed += 1 if m.status == "breached" else 0
        rows.append(
            [
                m.subject.name,
                _pct(f.availability),
                _pct(m.target),
                str(f.downtime),
                f.failures,
                STATUS_WORDS.get(m.status, m.status),
            ]
        )
    if not rows and not note:
        note = "No live service."
    return section(
        "availability",
        5,
        "Availability against targets",
        "Availability of each live service over the period in its service hours (agreed "
        "service time less downtime from recorded outages, as a percentage of agreed service "
        "time), against the availability target of the agreement that governs it; agreed "
        "maintenance windows and excluded outages do not count.",
        "Availability management: outages and the agreements' availability targets.",
        figures=[("Live services", len(rows)), ("Targets missed", missed)],
        tables=[
            table(
                ["Service", "Availability", "Target", "Downtime", "Failures", "Status"],
                rows,
            )
        ],
        note=note,
    )


def _capacity() -> dict[str, Any]:
    states = ThresholdState.objects.filter(level__in=[Level.WARNING, Level.CRITICAL])
    total = states.count()
    listed = sorted(
        states.select_related("metric", "metric__service", "metric__configuration_item")[
            : LIST_LIMIT + 1
        ],
        key=lambda s: (s.level != Level.CRITICAL, s.metric.code),
    )
    rows = []
    for s in listed:
        metric = s.metric
        subject = metric.service or metric.configuration_item
        rows.append(
            [
                metric.code,
                metric.name,
                str(subject) if subject else DASH,
                Level(s.level).label,
                f"{_number(s.value)} {metric.unit}" if s.value is not None else DASH,
                f"{_number(metric.warning_threshold)} / {_number(metric.critical_threshold)}",
                _day(s.since),
            ]
        )
    critical = sum(1 for s in listed if s.level == Level.CRITICAL)
    return section(
        "capacity",
        6,
        "Capacity warnings",
        "Capacity metrics whose last reading stands at or above their warning or critical "
        "threshold at compilation, critical first, with the day they crossed it.",
        "Capacity management: metrics, their thresholds and the state of each.",
        figures=[("At warning or critical", total), ("Critical", critical)],
        tables=[
            table(
                ["Metric", "Name", "Of", "Level", "Value", "Warning / critical", "Since"],
                rows,
                total=total,
            )
        ],
        note="" if total else "No capacity metric at warning or critical.",
    )


def _satisfaction(
    review: ManagementReview, first: dt.datetime, after: dt.datetime
) -> dict[str, Any]:
    score = measures.satisfaction(start=review.period_start, end=review.period_end)
    raised = measures.complaints(start=review.period_start, end=review.period_end)
    counts = Complaint.objects.aggregate(
        closed=Count("pk", filter=Q(closed_at__gte=first, closed_at__lt=after)),
        resolved=Count("pk", filter=Q(resolved_at__gte=first, resolved_at__lt=after)),
        open=Count("pk", filter=~Q(status__in=CLOSED_COMPLAINT)),
    )
    by_service = (
        Complaint.objects.filter(raised_at__gte=first, raised_at__lt=after)
        .order_by()
        .values("service__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "service__name")
    )
    rows = [[row["service__name"] or "(no service)", row["n"]] for row in by_service]
    return section(
        "satisfaction",
        7,
        "Customer satisfaction and complaints",
        f"Satisfaction: {measures.SATISFACTION_DEFINITION} Complaints: "
        f"{measures.COMPLAINTS_DEFINITION} Resolved and closed: complaints resolved or closed "
        "in the period, whenever raised; open: not resolved, closed or withdrawn at "
        "compilation.",
        "Customer feedback: satisfaction surveys and complaints.",
        figures=[
            ("Mean satisfaction score", _number(score.value)),
            ("Surveys answered", score.count),
            ("Complaints raised", raised.count),
            ("Complaints resolved", counts["resolved"]),
            ("Complaints closed", counts["closed"]),
            ("Complaints open now", counts["open"]),
        ],
        tables=[table(["Service", "Complaints raised"], rows, title="Complaints by service")],
    )


def _suppliers(first: dt.datetime, after: dt.datetime) -> dict[str, Any]:
    stopped = Q(
        state__in=[ClockState.MET, ClockState.BREACHED],
        stopped_at__isnull=False,
        stopped_at__gte=first,
        stopped_at__lt=after,
    )
    clocks = {
        row["agreement"]: row
        for row in TicketClock.objects.filter(stopped, agreement_kind=AgreementKind.UC)
        .order_by()
        .values("agreement")
        .annotate(
            measured=Count("pk"),
            met=Count("pk", filter=Q(state=ClockState.MET, breached=False)),
        )
    }
    contracts = (
        Agreement.objects.filter(kind=AgreementKind.UC)
        .select_related("organisation")
        .annotate(target_count=Count("targets", distinct=True))
        .order_by("code")
    )
    rows = []
    for uc in contracts:
        row = clocks.get(uc.pk, {"measured": 0, "met": 0})
        rows.append(
            [
                uc.code,
                uc.name,
                str(uc.organisation),
                uc.get_status_display(),
                uc.target_count,
                row["measured"],
                _pct(measures.percent(row["met"], row["measured"])),
            ]
        )
    measured = sum(r["measured"] for r in clocks.values())
    note = "" if measured else "No underpinning contract targets measured in the period."
    if not rows:
        note = "No underpinning contract recorded; no underpinning contract targets measured."
    return section(
        "suppliers",
        8,
        "Supplier performance",
        "Underpinning contracts with their suppliers, the number of targets each sets and the "
        "attainment of the clocks measured against them that stopped in the period (met, "
        "never breached, as a share of met and breached).",
        "Supplier management: agreements of kind underpinning contract and their clocks.",
        figures=[("Underpinning contracts", len(rows)), ("Clocks measured", measured)],
        tables=[
            table(
                ["Contract", "Name", "Supplier", "Status", "Targets", "Measured", "Attainment"],
                rows,
            )
        ],
        note=note,
    )


def _audits(first: dt.datetime, after: dt.datetime) -> dict[str, Any]:
    kinds = list(FindingKind)
    audits = (
        Audit.objects.filter(
            status=AuditStatus.REPORTED, reported_at__gte=first, reported_at__lt=after
        )
        .annotate(**{f"k_{k.value}": Count("findings", filter=Q(findings__kind=k)) for k in kinds})
        .order_by("reported_at", "pk")
    )
    audit_rows = []
    totals: dict[str, int] = defaultdict(int)
    for a in audits:
        row: list[Any] = [a.reference, a.title, _day(a.reported_at)]
        for k in kinds:
            n = getattr(a, f"k_{k.value}")
            totals[k.value] += n
            row.append(n)
        audit_rows.append(row)
    opened = Q(created_at__gte=first, created_at__lt=after)
    nc = Nonconformity.objects.aggregate(
        opened=Count("pk", filter=opened),
        open_minor=Count("pk", filter=~Q(status=NCStatus.CLOSED) & Q(severity=Severity.MINOR)),
        open_major=Count("pk", filter=~Q(status=NCStatus.CLOSED) & Q(severity=Severity.MAJOR)),
        closed=Count("pk", filter=Q(closed_at__gte=first, closed_at__lt=after)),
        recurring=Count("pk", filter=opened & Q(recurrence_of__isnull=False)),
    )
    # Each nonconformity the review should see: opened or closed in the period, or still open.
    listed = (
        Nonconformity.objects.filter(
            opened | Q(closed_at__gte=first, closed_at__lt=after) | ~Q(status=NCStatus.CLOSED)
        )
        .select_related("clause")
        .order_by("created_at", "pk")
    )
    nc_rows = [
        [
            n.reference,
            n.title,
            n.get_severity_display(),
            n.get_status_display(),
            n.clause.number if n.clause_id else DASH,
            _day(n.closed_at) if n.closed_at else DASH,
        ]
        for n in listed
    ]
    return section(
        "audits",
        9,
        "Audit results and nonconformities",
        "Internal audits reported in the period with their findings by grade; nonconformities "
        "opened in the period, those open at compilation by severity, those closed (verified "
        "effective) in the period, and the recurrences among those opened (an earlier "
        "nonconformity of the same requirement came back).",
        "Internal audit (audits and findings) and the nonconformity register.",
        figures=[
            ("Audits reported", len(audit_rows)),
            *[(f"Findings: {k.label.lower()}", totals[k.value]) for k in kinds],
            ("Nonconformities opened", nc["opened"]),
            ("Open minor nonconformities", nc["open_minor"]),
            ("Open major nonconformities", nc["open_major"]),
            ("Nonconformities closed", nc["closed"]),
            ("Recurring nonconformities", nc["recurring"]),
        ],
        tables=[
            table(
                ["Audit", "Title", "Reported", *[k.label for k in kinds]],
                audit_rows,
                title="Audits reported",
            ),
            table(
                ["Nonconformity", "Title", "Severity", "Status", "Clause", "Closed"],
                nc_rows,
                title="Nonconformities opened or closed in the period, or open",
            ),
        ],
        note="" if audit_rows else "No audit reported in the period.",
    )


def _improvements(first: dt.datetime, after: dt.datetime) -> dict[str, Any]:
    by_stage = {
        row["stage"]: row["n"]
        for row in Improvement.objects.order_by().values("stage").annotate(n=Count("pk"))
    }
    adopted = Improvement.objects.filter(
        stage=Stage.CLOSED, decision=Decision.ADOPT, closed_at__gte=first, closed_at__lt=after
    )
    adopted_count = adopted.count()
    adopted_rows = [
        [i.reference, i.title, _day(i.closed_at)]
        for i in adopted.order_by("closed_at", "pk")[: LIST_LIMIT + 1]
    ]
    return section(
        "improvements",
        10,
        "Opportunities for improvement",
        "The continual improvement register by stage of Plan-Do-Check-Act at compilation, and "
        "the improvements closed in the period with the decision to adopt them.",
        "Continual improvement: the improvement register.",
        figures=[
            *[(label, by_stage.get(value, 0)) for value, label in Stage.choices],
            ("Adopted in the period", adopted_count),
        ],
        tables=[
            table(
                ["Stage", "Improvements"],
                [[label, by_stage.get(value, 0)] for value, label in Stage.choices],
                title="By stage",
            ),
            table(
                ["Improvement", "Title", "Closed"],
                adopted_rows,
                title="Adopted in the period",
                total=adopted_count,
            ),
        ],
    )


def compile_pack(review: ManagementReview, now: dt.datetime) -> dict[str, Any]:
    """The ten sections of the review's pack over its period, as JSON-ready data."""
    first, after = measures.day_bounds(review.period_start, review.period_end)
    today = now.astimezone(dt.UTC).date()
    return {
        "reference": review.reference,
        "period_start": review.period_start.isoformat(),
        "period_end": review.period_end.isoformat(),
        "compiled_at": now.astimezone(dt.UTC).isoformat(),
        "sections": [
            _actions(review, first, today),
            _issues(first, after),
            _objectives(review, now),
            _sla(first, after),
            _availability(review, now),
            _capacity(),
            _satisfaction(review, first, after),
            _suppliers(first, after),
            _audits(first, after),
            _improvements(first, after),
        ],
    }


# --- Markdown -----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    text = " ".join(str(value).split())
    return text.replace("|", "\\|") or " "


def _markdown_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = [
        "| " + " | ".join(_cell(c) for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def pack_markdown(
    review: ManagementReview,
    pack: dict[str, Any],
    decisions: Sequence[ReviewDecision],
    attendees: Sequence[Any],
) -> str:
    """The review as its minutes document: who, when, the minutes, the decisions, and the pack
    section by section (a heading, its definition and source, its figures and tables)."""
    lines = [
        f"# Management review {review.reference} {review.title}",
        "",
        f"- Planned on: {_day(review.planned_on)}",
        f"- Held on: {_day(review.held_on)}",
        f"- Chair: {review.chair}",
        f"- Attendees: {', '.join(str(a) for a in attendees) or DASH}",
        f"- Period reviewed: {_day(review.period_start)} to {_day(review.period_end)}",
        "",
        "## Minutes",
        "",
        review.minutes.strip() or "No minutes recorded yet.",
        "",
        "## Decisions and actions",
        "",
    ]
    if decisions:
        lines += _markdown_table(
            ["Decision", "Owner", "Due", "Done", "Improvement"],
            [
                [
                    d.text,
                    str(d.owner) if d.owner_id else DASH,
                    _day(d.due_on),
                    _day(d.done_at),
                    d.improvement.reference if d.improvement_id else DASH,
                ]
                for d in decisions
            ],
        )
    else:
        lines.append("No decisions recorded.")
    lines += [
        "",
        "## Review pack",
        "",
        f"Compiled at {pack.get('compiled_at', DASH)} from Accord's records.",
    ]
    for s in pack.get("sections", []):
        lines += ["", f"### {s['number']}. {s['title']}", "", s["definition"], ""]
        lines.append(f"Source: {s['source']}")
        if s["figures"]:
            lines.append("")
            lines += _markdown_table(["Figure", "Value"], s["figures"])
        for t in s["tables"]:
            if not t["rows"]:
                continue
            lines.append("")
            if t["title"]:
                lines += [f"**{t['title']}**", ""]
            lines += _markdown_table(t["columns"], t["rows"])
            if t["more"]:
                lines.append(f"\n…and {t['more']} more.")
        if s["note"]:
            lines += ["", s["note"]]
    return "\n".join(lines) + "\n"
