"""Read queries of the nonconformity log: who may see it, the flags a list shows beside each
row (recurring, overdue corrective actions) computed in the same query, the recurrence chain
of one nonconformity, and the figures the management review and the clause register read.

Every figure is counted in the database, a handful of aggregate queries whatever the size of
the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accord.improvement.choices import NonconformityStatus, Severity
from accord.improvement.models import CorrectiveAction, Nonconformity
from accord.improvement.selectors import _midnight, may_view

__all__ = [
    "may_view",
    "nonconformities_visible_to",
    "nonconformity_summary",
    "recurrence_chain",
    "recurring",
    "with_flags",
    "with_overdue_actions",
]


def nonconformities_visible_to(person: Any) -> QuerySet[Nonconformity]:
    """Every nonconformity for those who may view the improvement register (provider staff and
    the auditor); none for anyone else: customers never see the provider's nonconformities."""
    qs = Nonconformity.objects.select_related("clause", "service", "owner", "finding")
    return qs if may_view(person) else qs.none()


def _overdue_actions(today: dt.date) -> QuerySet[CorrectiveAction]:
    return CorrectiveAction.objects.filter(done_at__isnull=True, due_on__lt=today)


def with_flags(rows: QuerySet[Nonconformity], today: dt.date) -> QuerySet[Nonconformity]:
    """Each nonconformity with ``recurring`` (it recurs an earlier one, or one recurs it) and
    ``overdue_actions`` (its corrective actions past their due day and not done), in the same
    query as the rows."""
    overdue = (
        _overdue_actions(today)
        .filter(nonconformity=OuterRef("pk"))
        .order_by()
        .values("nonconformity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return rows.annotate(
        recurring=ExpressionWrapper(_recurring_condition(), output_field=BooleanField()),
        overdue_actions=Coalesce(Subquery(overdue, output_field=IntegerField()), 0),
    )


def _recurring_condition() -> Q:
    later = Nonconformity.objects.filter(recurrence_of=OuterRef("pk"))
    return Q(recurrence_of__isnull=False) | Q(Exists(later))


def recurring(rows: QuerySet[Nonconformity]) -> QuerySet[Nonconformity]:
    """Those that recur an earlier nonconformity or were recurred by a later one."""
    return rows.filter(_recurring_condition())


def with_overdue_actions(rows: QuerySet[Nonconformity], today: dt.date) -> QuerySet[Nonconformity]:
    """Those with at least one corrective action past its due day and not done."""
    return rows.filter(Exists(_overdue_actions(today).filter(nonconformity=OuterRef("pk"))))


def recurrence_chain(nonconformity: Nonconformity) -> dict[str, list[Nonconformity]]:
    """The nonconformities this one recurs (``earlier``, nearest first) and those that recur it
    (``later``, in the order raised): the history of one requirement that keeps failing. The
    chain backwards is short in practice; it stops at a loop should the data ever hold one."""
    earlier: list[Nonconformity] = []
    seen = {nonconformity.pk}
    current = nonconformity.recurrence_of
    while current is not None and current.pk not in seen and len(earlier) < 50:
        earlier.append(current)
        seen.add(current.pk)
        current = current.recurrence_of
    later = list(
        Nonconformity.objects.filter(recurrence_of=nonconformity)
        .select_related("clause")
        .order_by("created_at", "pk")
    )
    return {"earlier": earlier, "later": later}


def nonconformity_summary(
    start: dt.date | None = None, end: dt.date | None = None, *, today: dt.date | None = None
) -> dict[str, Any]:
    """The log in figures, for the management review pack and the clause register.

    ``open_by_severity``: not closed, by severity; ``open``, ``in_progress``, ``verifying``:
    by status now; ``raised`` and ``closed``: in the period ``start`` to ``end`` (calendar days,
    both included; open-ended when not given); ``recurring``: raised in the period as the
    recurrence of an earlier one; ``overdue_actions``: corrective actions past their due day
    and not done, as of ``today``. Two queries.
    """
    today = today or timezone.localdate()
    raised_in = Q()
    closed_in = Q(status=NonconformityStatus.CLOSED)
    if start is not None:
        raised_in &= Q(created_at__gte=_midnight(start))
        closed_in &= Q(closed_at__gte=_midnight(start))
    if end is not None:
        after = _midnight(end + dt.timedelta(days=1))
        raised_in &= Q(created_at__lt=after)
        closed_in &= Q(closed_at__lt=after)
    not_closed = ~Q(status=NonconformityStatus.CLOSED)
    counts = Nonconformity.objects.aggregate(
        minor=Count("pk", filter=not_closed & Q(severity=Severity.MINOR)),
        major=Count("pk", filter=not_closed & Q(severity=Severity.MAJOR)),
        open=Count("pk", filter=Q(status=NonconformityStatus.OPEN)),
        in_progress=Count("pk", filter=Q(status=NonconformityStatus.IN_PROGRESS)),
        verifying=Count("pk", filter=Q(status=NonconformityStatus.VERIFYING)),
        raised=Count("pk", filter=raised_in),
        closed=Count("pk", filter=closed_in),
        recurring=Count("pk", filter=raised_in & Q(recurrence_of__isnull=False)),
    )
    overdue = (
        _overdue_actions(today).exclude(nonconformity__status=NonconformityStatus.CLOSED).count()
    )
    return {
        "open_by_severity": {"minor": counts["minor"], "major": counts["major"]},
        "open": counts["open"],
        "in_progress": counts["in_progress"],
        "verifying": counts["verifying"],
        "raised": counts["raised"],
        "closed": counts["closed"],
        "recurring": counts["recurring"],
        "overdue_actions": overdue,
    }
