"""Service level KPIs: SLA attainment and breaches, customer satisfaction, complaints and
requests fulfilled on time.

These are the figures :mod:`accord.governance.measures` also defines for objectives, so each
takes that module's definition text and rules (a clock is judged when it stops, a clock that
ever breached is not met, cancelled clocks are left out): an objective, a dashboard and a
service report then give the same number for the same days.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.agreements.models import TicketClock
from accord.feedback.models import Complaint, Survey
from accord.governance import measures
from accord.incidents.models import Incident
from accord.reports.kpis import HIGHER, LOWER, KpiResult, Reach, Window, kpi
from accord.reports.kpis.queries import _link, _tickets
from accord.service_requests.models import ServiceRequest


def _count(value: int) -> KpiResult:
    return KpiResult(value=Decimal(value), count=value)


def sla_clocks(reach: Reach) -> QuerySet[TicketClock]:
    """The SLA clocks of the reach, cancelled ones left out (the rules of the SLA measures).
    A clock carries its customer but not its service: the service is its ticket's, read with
    one ``EXISTS`` per ticket kind."""
    clocks = TicketClock.objects.filter(agreement_kind=AgreementKind.SLA).exclude(
        state=ClockState.CANCELLED
    )
    if reach.agreement_id is not None:
        clocks = clocks.filter(agreement_id=reach.agreement_id)
    if reach.organisation_id is not None:
        clocks = clocks.filter(organisation_id=reach.organisation_id)
    if reach.service_ids is not None or reach.person_id is not None:
        condition = Q()
        for model in (Incident, ServiceRequest):
            tickets = _tickets(model, Reach(reach.service_ids, person_id=reach.person_id))
            condition |= Q(
                Exists(tickets.filter(pk=OuterRef("object_id"))),
                content_type=ContentType.objects.get_for_model(model),
            )
        clocks = clocks.filter(condition)
    return clocks


@kpi(
    "sla_attainment",
    label="SLA attainment",
    unit="%",
    definition=measures.SLA_ATTAINMENT_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.5"),
)
def sla_attainment(window: Window, reach: Reach) -> KpiResult:
    """Met / measured over the SLA clocks stopped in the window."""
    first, after = window.bounds()
    row = (
        sla_clocks(reach)
        .filter(
            state__in=[ClockState.MET, ClockState.BREACHED],
            stopped_at__isnull=False,
            stopped_at__gte=first,
            stopped_at__lt=after,
        )
        .aggregate(
            measured=Count("pk"), met=Count("pk", filter=Q(state=ClockState.MET, breached=False))
        )
    )
    measured = row["measured"] or 0
    return KpiResult(measures.percent(row["met"] or 0, measured), measured)


@kpi(
    "sla_breaches",
    label="SLA breaches",
    unit="breaches",
    definition=measures.SLA_BREACHES_DEFINITION,
    direction=LOWER,
)
def sla_breaches(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    n = sla_clocks(reach).filter(measures.breached_in(first, after)).aggregate(n=Count("pk"))["n"]
    return _count(n or 0)


@kpi(
    "satisfaction",
    label="Customer satisfaction",
    unit="score",
    definition=measures.SATISFACTION_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.05"),
)
def satisfaction(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    rows = _tickets(Survey, Reach(reach.service_ids, reach.organisation_id)).filter(
        answered_at__gte=first, answered_at__lt=after, score__isnull=False
    )
    row = rows.aggregate(answered=Count("pk"), total=Sum("score"))
    answered = row["answered"] or 0
    value = None
    if answered:
        value = (Decimal(row["total"]) / Decimal(answered)).quantize(
            measures.TWO_PLACES, rounding=ROUND_HALF_UP
        )
    return KpiResult(value, answered)


@kpi(
    "complaints",
    label="Complaints raised",
    unit="complaints",
    definition=measures.COMPLAINTS_DEFINITION,
    direction=LOWER,
)
def complaints(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    rows = _tickets(Complaint, Reach(reach.service_ids, reach.organisation_id)).filter(
        raised_at__gte=first, raised_at__lt=after
    )
    n = rows.count()
    return KpiResult(Decimal(n), n, _link("complaint-list"))


@kpi(
    "requests_on_time",
    label="Requests fulfilled on time",
    unit="%",
    definition=measures.REQUESTS_ON_TIME_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.5"),
)
def requests_on_time(window: Window, reach: Reach) -> KpiResult:
    first, after = window.bounds()
    clocks = TicketClock.objects.filter(
        content_type=ContentType.objects.get_for_model(ServiceRequest),
        object_id=OuterRef("pk"),
        agreement_kind=AgreementKind.SLA,
        metric=Metric.FULFILMENT,
    ).exclude(state=ClockState.CANCELLED)
    if reach.agreement_id is not None:
        clocks = clocks.filter(agreement_id=reach.agreement_id)
    rows = _tickets(ServiceRequest, reach).filter(
        Exists(clocks), fulfilled_at__gte=first, fulfilled_at__lt=after
    )
    row = rows.aggregate(
        fulfilled=Count("pk"), late=Count("pk", filter=Exists(clocks.filter(breached=True)))
    )
    fulfilled = row["fulfilled"] or 0
    return KpiResult(measures.percent(fulfilled - (row["late"] or 0), fulfilled), fulfilled)
