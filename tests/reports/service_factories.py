"""Builders for the service sections of the service report. They write rows directly (no
audit, no numbering, no notifications): the sections only read, so a test sets exactly the
facts it counts."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType

from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.agreements.models import Agreement, Target, TicketClock
from accord.capacity.choices import Granularity
from accord.capacity.models import Metric as CapacityMetric
from accord.capacity.models import Rollup
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person
from accord.feedback.choices import ComplaintStatus
from accord.feedback.models import Complaint, Survey
from accord.incidents.models import Incident
from accord.reports.scope import ReportScope
from tests.factories import (
    AgreementFactory,
    CalendarFactory,
    OrganisationFactory,
    PersonFactory,
    TargetFactory,
    provider,
)

UTC = dt.UTC
_numbers = itertools.count(1)
ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(7)}


def at(day: int, hour: int = 12, month: int = 10) -> dt.datetime:
    """An instant of 2026 (October by default), UTC."""
    return dt.datetime(2026, month, day, hour, tzinfo=UTC)


def october(**kwargs: Any) -> ReportScope:
    """The report of October 2026 in UTC for the scope given."""
    return ReportScope(
        start=dt.date(2026, 10, 1),
        end=dt.date(2026, 10, 31),
        zone=zoneinfo.ZoneInfo("UTC"),
        **kwargs,
    )


def customer() -> Organisation:
    return OrganisationFactory(kind=OrganisationKind.CUSTOMER)


def customer_person(org: Organisation) -> Person:
    return PersonFactory(organisation=org, roles=[Role.CUSTOMER_USER])


def agreement(
    services: list[Any], *, kind: str = AgreementKind.SLA, organisation: Any = None, **kw: Any
) -> Agreement:
    """An active agreement on a 24x7 UTC calendar (a fresh customer for an SLA, the provider
    for an OLA)."""
    if organisation is None:
        organisation = provider() if kind == AgreementKind.OLA else customer()
    return AgreementFactory(
        services=services,
        kind=kind,
        organisation=organisation,
        calendar=CalendarFactory(time_zone="UTC", weekly_hours=dict(ALL_DAY)),
        **kw,
    )


def resolution_target(owner: Agreement, priority: str = "P1", hours: int = 4) -> Target:
    return TargetFactory(
        agreement=owner,
        organisation=owner.organisation,
        metric=Metric.RESOLUTION,
        priority=priority,
        duration=dt.timedelta(hours=hours),
    )


def clock(
    target: Target,
    *,
    organisation: Organisation,
    stopped_at: dt.datetime | None,
    state: str = ClockState.MET,
    breached: bool = False,
) -> TicketClock:
    """A clock of ``target`` on a made-up ticket of ``organisation``."""
    started = (stopped_at or at(1)) - dt.timedelta(hours=1)
    return TicketClock.objects.create(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=next(_numbers),
        organisation=organisation,
        agreement=target.agreement,
        agreement_kind=target.agreement.kind,
        target=target,
        metric=target.metric,
        priority=target.priority or "P1",
        target_duration=target.duration or dt.timedelta(hours=4),
        warning_threshold=Decimal("0.8"),
        started_at=started,
        stopped_at=stopped_at,
        state=state,
        breached=breached or state == ClockState.BREACHED,
    )


def survey(
    org: Organisation, service: Any, *, score: int | None, answered_at: dt.datetime
) -> Survey:
    n = next(_numbers)
    return Survey.objects.create(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=n,
        ticket_reference=f"INC-{n:06d}",
        organisation=org,
        service=service,
        respondent=customer_person(org),
        token_hash=f"{n:064d}",
        offered_at=answered_at - dt.timedelta(hours=1),
        expires_at=answered_at + dt.timedelta(days=7),
        score=score,
        answered_at=answered_at if score is not None else None,
    )


def complaint(
    org: Organisation,
    service: Any,
    *,
    raised_at: dt.datetime,
    status: str = ComplaintStatus.NEW,
    resolved_at: dt.datetime | None = None,
) -> Complaint:
    n = next(_numbers)
    return Complaint.objects.create(
        reference=f"CMP-{n:06d}",
        organisation=org,
        raised_by=customer_person(org),
        title=f"Complaint {n}",
        description="Nobody called back.",
        service=service,
        status=status,
        raised_at=raised_at,
        acknowledge_due_at=raised_at + dt.timedelta(days=2),
        resolved_at=resolved_at,
    )


def rollup(
    metric: CapacityMetric, bucket: dt.datetime, value: float, *, granularity: str
) -> Rollup:
    """One aggregate whose every figure is ``value``."""
    return Rollup.objects.create(
        metric=metric,
        granularity=granularity,
        bucket=bucket,
        count=1,
        minimum=value,
        maximum=value,
        total=value,
        p95=value,
    )


def hours(metric: CapacityMetric, start: dt.datetime, values: list[float]) -> None:
    """Consecutive hourly aggregates from ``start``."""
    for i, value in enumerate(values):
        rollup(metric, start + dt.timedelta(hours=i), value, granularity=Granularity.HOUR)


__all__ = [
    "agreement",
    "at",
    "clock",
    "complaint",
    "customer",
    "hours",
    "october",
    "resolution_target",
    "rollup",
    "survey",
]
