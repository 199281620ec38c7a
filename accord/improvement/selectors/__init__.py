"""Read queries of the continual improvement register: what a person may see, the criteria
improvements are rated on, and the figures that tell whether an improvement worked.

The live measure, :func:`sla_attainment`, counts in the database (two aggregates, whatever the
number of tickets), so a baseline over a year of a busy service costs the same as a week's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accord.agreements.choices import AgreementKind, ClockState
from accord.agreements.models import TicketClock
from accord.core.permissions import has_capability, sees_all_organisations
from accord.improvement.models import Criterion, Improvement

PERCENT_PLACES = Decimal("0.001")


def may_view(person: Any) -> bool:
    """Provider staff and the auditor holding ``improvement.view``: the register is internal."""
    return sees_all_organisations(person) and has_capability(person, "improvement.view")


def improvements_visible_to(person: Any) -> QuerySet[Improvement]:
    """Every improvement for those who may view the register; none for anyone else (customers
    never see the provider's own improvement work)."""
    qs = Improvement.objects.select_related("service", "owner", "raised_by")
    return qs if may_view(person) else qs.none()


def criteria_visible_to(person: Any) -> QuerySet[Criterion]:
    """Every criterion, active or not, for those who read the register; none for others."""
    if not may_view(person):
        return Criterion.objects.none()
    return Criterion.objects.all()


def criteria() -> QuerySet[Criterion]:
    """The active criteria, in the order they are shown and rated."""
    return Criterion.objects.filter(is_active=True).order_by("position", "code")


def _midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in the installation's time zone: periods are calendar days as the
    people who run the service read them."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def sla_attainment(service: Any, start: dt.date, end: dt.date) -> Decimal | None:
    """The share (percent, three decimals, rounded down) of SLA clocks met among the SLA clocks
    of ``service``'s incidents and service requests that stopped in ``[start, end)``; any
    metric counts. ``None`` when no clock stopped in the period: no figure is not 100 %.

    A clock counts as met when it was never seen breached: ``breached`` is never cleared, so a
    ticket reopened after a breach still counts against the service.
    """
    from accord.incidents.models import Incident
    from accord.service_requests.models import ServiceRequest

    service_id = getattr(service, "pk", service)
    types = ContentType.objects.get_for_models(Incident, ServiceRequest)
    tickets = Q(
        content_type=types[Incident],
        object_id__in=Incident.objects.filter(service_id=service_id).values("pk"),
    ) | Q(
        content_type=types[ServiceRequest],
        object_id__in=ServiceRequest.objects.filter(service_id=service_id).values("pk"),
    )
    counts = TicketClock.objects.filter(
        tickets,
        agreement_kind=AgreementKind.SLA,
        stopped_at__gte=_midnight(start),
        stopped_at__lt=_midnight(end),
    ).aggregate(
        total=Count("pk"),
        met=Count("pk", filter=Q(breached=False) & ~Q(state=ClockState.BREACHED)),
    )
    total = counts["total"] or 0
    if not total:
        return None
    share = Decimal(counts["met"] or 0) * 100 / Decimal(total)
    return share.quantize(PERCENT_PLACES, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class Effect:
    """What an improvement changed: the result against the baseline, and whether it reached
    its target (``None`` while there is no result or no target)."""

    baseline: Decimal | None
    result: Decimal | None
    change: Decimal | None
    target: Decimal | None
    target_met: bool | None
    higher_is_better: bool

    @property
    def improved(self) -> bool | None:
        """Whether the change went the good way (``None`` without a change)."""
        if self.change is None:
            return None
        return self.change > 0 if self.higher_is_better else self.change < 0


def effect(improvement: Improvement) -> Effect:
    """The effect of ``improvement`` as measured so far, respecting ``higher_is_better``."""
    baseline, result = improvement.baseline_value, improvement.result_value
    target = improvement.target_value
    change = result - baseline if result is not None and baseline is not None else None
    met: bool | None = None
    if result is not None and target is not None:
        met = result >= target if improvement.higher_is_better else result <= target
    return Effect(
        baseline=baseline,
        result=result,
        change=change,
        target=target,
        target_met=met,
        higher_is_better=improvement.higher_is_better,
    )
