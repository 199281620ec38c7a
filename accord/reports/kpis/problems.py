"""Problem management KPIs: problems open at the end of the period, opened and resolved in it,
and the known errors the service desk can apply now.

A problem may name several customers, so a customer's reach counts the problems that name it
or name none, as the report's problems section does.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet

from accord.problems.choices import KNOWN_ERROR_STATUSES, ProblemStatus
from accord.problems.models import Problem
from accord.reports.kpis import HIGHER, LOWER, NEUTRAL, KpiResult, Reach, Window, kpi
from accord.reports.kpis.queries import _customer_reached, _link


def _problems(reach: Reach) -> QuerySet[Problem]:
    rows = Problem.objects.all()
    if reach.service_ids is not None:
        rows = rows.filter(service_id__in=reach.service_ids)
    return rows.filter(
        _customer_reached(reach.organisation_id, Problem.organisations.through, "problem_id")
    )


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
