"""The review of problem management: how well problems get resolved, computed in the database.

Each figure comes with its definition (shown on the review page and in
``docs/problem-detection.md``), so a problem manager and an auditor read the same number the
same way. Only the provider's staff and the auditor (``problems.view``) see the review.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

from accord.problems.choices import (
    KNOWN_ERROR_STATUSES,
    OPEN_STATUSES,
    ProblemStatus,
    ProposalStatus,
)
from accord.problems.models import Problem, ProblemProposal
from accord.problems.selectors.proposals import may_read_proposals

DEFAULT_PERIOD = dt.timedelta(days=90)
TOP_KNOWN_ERRORS = 10

#: The age buckets of open problems: (key, label, lower bound in days, upper bound or None).
AGE_BUCKETS = (
    ("lt7", "Under 7 days", 0, 7),
    ("d7_30", "7 to 30 days", 7, 30),
    ("d30_90", "30 to 90 days", 30, 90),
    ("gt90", "Over 90 days", 90, None),
)

DEFINITIONS = {
    "age": "Open problems (new, under investigation, known error, awaiting change) by the time "
    "since they were opened, at the moment of the review: under 7 days, 7 to 30, 30 to 90, and "
    "over 90 days. A bucket holds its lower bound (a problem open exactly 7 days is in 7 to 30).",
    "status": "Open problems by their current status.",
    "known_errors": "Known errors (problems in known error or awaiting change) with the most "
    "incidents linked to them, by any door (by hand, from a proposal, known error applied); "
    "the top ten.",
    "mean_to_resolve": "Mean time from a problem's opening to its resolution, over the problems "
    "resolved in the period (resolved instant inside the period, whatever their status now).",
    "mean_known_error_to_resolve": "Mean time from becoming a known error to resolution, over "
    "the problems resolved in the period that were known errors before they were resolved.",
    "reopened": "Problems reopened at least once (a resolved problem back under investigation) "
    "that were not closed before the period began: reopen count above zero.",
    "proposals": "Proposals of the detection job by their status now: open (waiting for a "
    "decision), accepted (a problem was made of them), dismissed (not a problem).",
}


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    count: int
    share: int  # percent of the largest bucket, for the bar


@dataclass(frozen=True)
class Review:
    now: dt.datetime
    period_start: dt.datetime
    open_total: int
    by_age: list[Bucket]
    by_status: list[Bucket]
    known_errors: list[Problem]
    resolved_count: int
    mean_to_resolve: dt.timedelta | None
    known_error_resolved_count: int
    mean_known_error_to_resolve: dt.timedelta | None
    reopened_count: int
    reopened: list[Problem]
    proposals: list[Bucket]
    definitions: dict[str, str]

    @property
    def mean_to_resolve_text(self) -> str:
        return duration_text(self.mean_to_resolve)

    @property
    def mean_known_error_to_resolve_text(self) -> str:
        return duration_text(self.mean_known_error_to_resolve)


def duration_text(duration: dt.timedelta | None) -> str:
    """A mean duration in days and hours ("3 d 4 h", "5 h", "under an hour")."""
    if duration is None:
        return ""
    hours = int(duration.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    if not days and not hours:
        return "under an hour"
    return " ".join(p for p in (f"{days} d" if days else "", f"{hours} h" if hours else "") if p)


def _bars(rows: list[tuple[str, str, int]]) -> list[Bucket]:
    largest = max((n for _, _, n in rows), default=0) or 1
    return [Bucket(key, label, n, round(100 * n / largest)) for key, label, n in rows]


def _duration(start: str, end: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _mean(value: Any) -> dt.timedelta | None:
    """A mean duration as the backend hands it back (a timedelta, or microseconds on some)."""
    if value is None or isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=float(value))


def review_metrics(
    person: Any, now: dt.datetime, *, period: dt.timedelta = DEFAULT_PERIOD
) -> Review | None:
    """Every figure of the review at ``now`` over ``[now - period, now]``; None for a person
    who may not read problems."""
    if not may_read_proposals(person):
        return None
    start = now - period
    problems = Problem.objects.all()
    open_q = Q(status__in=sorted(OPEN_STATUSES), opened_at__lte=now)
    age_counts: dict[str, Any] = {}
    for key, _label, low, high in AGE_BUCKETS:
        cond = open_q & Q(opened_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            cond &= Q(opened_at__gt=now - dt.timedelta(days=high))
        age_counts[key] = Count("pk", filter=cond)
    ages = problems.aggregate(total=Count("pk", filter=open_q), **age_counts)
    by_age = _bars([(k, label, ages[k]) for k, label, _, _ in AGE_BUCKETS])

    status_counts = dict(
        problems.filter(open_q).order_by().values_list("status").annotate(n=Count("pk"))
    )
    by_status = _bars(
        [
            (s, label, status_counts.get(s, 0))
            for s, label in ProblemStatus.choices
            if s in OPEN_STATUSES
        ]
    )

    known_errors = list(
        problems.filter(status__in=sorted(KNOWN_ERROR_STATUSES))
        .select_related("service")
        .annotate(incident_count=Count("incident_links"))
        .order_by("-incident_count", "-known_error_at", "-pk")[:TOP_KNOWN_ERRORS]
    )

    resolved = problems.filter(resolved_at__gte=start, resolved_at__lte=now)
    means = resolved.aggregate(
        n=Count("pk"),
        mean=Avg(_duration("opened_at", "resolved_at")),
        ke_n=Count("pk", filter=Q(known_error_at__isnull=False)),
        ke_mean=Avg(
            _duration("known_error_at", "resolved_at"), filter=Q(known_error_at__isnull=False)
        ),
    )

    reopened_qs = problems.filter(
        Q(reopen_count__gt=0),
        Q(opened_at__lte=now),
        Q(closed_at__isnull=True) | Q(closed_at__gte=start),
    )
    reopened_count = reopened_qs.count()
    reopened = list(reopened_qs.order_by("-reopen_count", "-opened_at", "-pk")[:TOP_KNOWN_ERRORS])

    proposal_counts = dict(
        ProblemProposal.objects.order_by().values_list("status").annotate(n=Count("pk"))
    )
    proposals = _bars(
        [(s, label, proposal_counts.get(s, 0)) for s, label in ProposalStatus.choices]
    )
    return Review(
        now=now,
        period_start=start,
        open_total=ages["total"],
        by_age=by_age,
        by_status=by_status,
        known_errors=known_errors,
        resolved_count=means["n"],
        mean_to_resolve=_mean(means["mean"]),
        known_error_resolved_count=means["ke_n"],
        mean_known_error_to_resolve=_mean(means["ke_mean"]),
        reopened_count=reopened_count,
        reopened=reopened,
        proposals=proposals,
        definitions=DEFINITIONS,
    )
