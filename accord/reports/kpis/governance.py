"""KPIs of the management system itself: the improvement register, overdue actions, open
nonconformities, internal audit findings and objectives on track; with the two summaries the
improvement and audit panels of the dashboards show (:func:`improvements_by_stage`,
:func:`audit_results`).

These figures are about how the service management system performs and improves (ISO/IEC
20000-1 clauses 6.2, 9 and 10) rather than about one service: the improvement counts follow
the reach's services, the others cover the whole system and ignore the reach.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count

from accord.governance import measures
from accord.governance.choices import AuditStatus, FindingKind, ObjectiveStatus
from accord.governance.models import Audit, Finding, Objective
from accord.improvement.choices import NonconformityStatus, Stage
from accord.improvement.models import Action, CorrectiveAction, Improvement, Nonconformity
from accord.reports.kpis import HIGHER, LOWER, NEUTRAL, KpiResult, Reach, Window, kpi
from accord.reports.kpis.queries import _link

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
