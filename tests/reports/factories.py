"""Builders of report test data: an SLA with targets, and incidents, service requests and SLA
clocks written directly with chosen instants (met, breached, paused, cancelled), so each figure
of a report can be checked against a calculation done by hand. Tickets and clocks are written
as rows (no numbering, audit or clock service): a test that needs the rules calls the services
(see ``tests.improvement.factories.stopped_clock``)."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Iterable, Mapping

from django.contrib.contenttypes.models import ContentType

from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.agreements.clocks import stop_readings
from accord.agreements.models import Agreement, Target, TicketClock
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident
from accord.portfolio.models import CatalogueItem, Service
from accord.reports.scope import ReportScope
from accord.service_requests.choices import RequestStatus
from accord.service_requests.models import ServiceRequest
from tests.factories import (
    AgreementFactory,
    CalendarFactory,
    CatalogueItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TargetFactory,
)
from tests.improvement.factories import covered_service, stopped_clock

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
#: Every hour of every day counts: business time equals wall time minus pauses, so a test can
#: compute the expected figure with plain subtraction.
ALWAYS_OPEN = {str(day): [["00:00", "24:00"]] for day in range(7)}
_numbers = itertools.count(1)

__all__ = ["covered_service", "stopped_clock"]


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An instant given as Berlin wall time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def report_sla(
    *,
    services: int = 1,
    weekly_hours: Mapping[str, list[list[str]]] | None = None,
    targets: Iterable[tuple[str, str, dt.timedelta]] = (
        (Metric.FIRST_RESPONSE, "", dt.timedelta(hours=1)),
        (Metric.RESOLUTION, "P1", dt.timedelta(hours=4)),
        (Metric.RESOLUTION, "", dt.timedelta(hours=8)),
        (Metric.FULFILMENT, "", dt.timedelta(hours=16)),
    ),
    workload_limits: str = "",
) -> tuple[Agreement, list[Service], Organisation]:
    """A customer's SLA on a Berlin calendar (open around the clock unless ``weekly_hours``
    says otherwise) covering ``services`` new services, with ``targets`` (metric, priority or
    "" for all, duration)."""
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    covered = [ServiceFactory() for _ in range(services)]
    calendar = CalendarFactory(
        time_zone="Europe/Berlin", weekly_hours=dict(weekly_hours or ALWAYS_OPEN)
    )
    sla = AgreementFactory(
        organisation=customer,
        services=covered,
        calendar=calendar,
        workload_limits=workload_limits,
    )
    for metric, priority, duration in targets:
        TargetFactory(agreement=sla, metric=metric, priority=priority, duration=duration)
    return sla, covered, customer


def scope_of(
    agreement: Agreement | None = None,
    service: Service | None = None,
    *,
    start: dt.date = dt.date(2026, 10, 1),
    end: dt.date = dt.date(2026, 10, 31),
) -> ReportScope:
    """A Berlin report scope; October 2026 by default (summer time ends on the 25th)."""
    return ReportScope(start=start, end=end, agreement=agreement, service=service, zone=BERLIN)


def incident(
    service: Service,
    customer: Organisation,
    *,
    opened_at: dt.datetime,
    priority: str = "P3",
    status: str = IncidentStatus.IN_PROGRESS,
    resolved_at: dt.datetime | None = None,
    closed_at: dt.datetime | None = None,
    reopen_count: int = 0,
) -> Incident:
    """An incident row with the given instants."""
    caller = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    return Incident.objects.create(
        reference=f"INC-9{next(_numbers):05d}",
        title="Report test incident",
        caller=caller,
        organisation=customer,
        service=service,
        priority=priority,
        status=status,
        opened_at=opened_at,
        resolved_at=resolved_at,
        closed_at=closed_at,
        reopen_count=reopen_count,
    )


def request(
    service: Service,
    customer: Organisation,
    *,
    opened_at: dt.datetime,
    priority: str = "P3",
    status: str = RequestStatus.IN_FULFILMENT,
    fulfilled_at: dt.datetime | None = None,
    closed_at: dt.datetime | None = None,
    item: CatalogueItem | None = None,
) -> ServiceRequest:
    """A service request row for ``item`` (a new catalogue item of the service if None)."""
    requester = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    return ServiceRequest.objects.create(
        reference=f"REQ-9{next(_numbers):05d}",
        title="Report test request",
        catalogue_item=item or CatalogueItemFactory(service=service),
        requester=requester,
        organisation=customer,
        service=service,
        priority=priority,
        status=status,
        opened_at=opened_at,
        fulfilled_at=fulfilled_at,
        closed_at=closed_at,
    )


def clock(
    ticket: Incident | ServiceRequest,
    agreement: Agreement,
    *,
    metric: str,
    started_at: dt.datetime,
    stopped_at: dt.datetime | None = None,
    state: str | None = None,
    breached: bool | None = None,
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = (),
    target: dt.timedelta = dt.timedelta(hours=4),
    priority: str | None = None,
) -> TicketClock:
    """A clock of ``agreement`` on ``ticket``. By default a stopped clock is met when its
    elapsed wall time less pauses is within ``target`` (right for an always-open calendar)
    and breached otherwise; a clock without a stop runs."""
    pause_list = [
        [start.astimezone(dt.UTC).isoformat(), end.astimezone(dt.UTC).isoformat() if end else None]
        for start, end in pauses
    ]
    if state is None:
        if stopped_at is None:
            state = ClockState.RUNNING
        else:
            paused = sum(((end or stopped_at) - start for start, end in pauses), dt.timedelta())
            late = stopped_at - started_at - paused > target
            state = ClockState.BREACHED if late else ClockState.MET
    if breached is None:
        breached = state == ClockState.BREACHED
    row = TicketClock(
        content_type=ContentType.objects.get_for_model(type(ticket)),
        object_id=ticket.pk,
        organisation=ticket.organisation,
        agreement=agreement,
        agreement_kind=agreement.kind,
        target=Target.objects.filter(agreement=agreement, metric=metric).first(),
        metric=metric,
        priority=priority or ticket.priority,
        target_duration=target,
        warning_threshold="0.8",
        started_at=started_at,
        pauses=pause_list,
        stopped_at=stopped_at,
        state=state,
        breached=breached,
    )
    # What the clock service stores when a clock stops (the figures reports rank).
    row.elapsed, row.final_due_at = stop_readings(row)
    row.save(force_insert=True)
    return row


def ola_of(service: Service) -> Agreement:
    """An internal OLA covering ``service`` (its clocks never count in an SLA report)."""
    return AgreementFactory(kind=AgreementKind.OLA, services=[service])
