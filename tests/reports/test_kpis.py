"""The KPI catalogue: one definition per figure, the same figure as the objectives' measures and
as the service report for the same period and reach, and every KPI safe on an empty database."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accord.agreements.choices import ClockState, Metric
from accord.capacity.choices import Level
from accord.capacity.models import ThresholdState
from accord.changes.choices import ChangeStatus, ChangeType, IncidentRelation, Outcome
from accord.changes.models import ChangeIncident
from accord.core.report_parts import pct
from accord.governance import measures
from accord.incidents.choices import IncidentStatus
from accord.problems.choices import ProblemStatus
from accord.reports import kpis
from accord.reports.builder import build_report
from accord.reports.kpis import KPIS, Reach, Window
from accord.reports.scope import ReportScope
from accord.service_requests.choices import RequestStatus
from tests.availability.factories import sla_with_availability
from tests.capacity.factories import MetricFactory
from tests.changes.factories import ChangeFactory
from tests.factories import ServiceFactory
from tests.problems.factories import ProblemFactory
from tests.reports.factories import BERLIN, berlin, clock, incident, report_sla, request

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
NOW = berlin(2026, 11, 5, 12)
#: The KPIs that are an objective's measure, by measure key.
SHARED = {
    "sla_attainment": "sla_attainment",
    "sla_breaches": "sla_breaches",
    "satisfaction": "satisfaction",
    "complaints": "complaints",
    "major_incidents": "major_incidents",
    "requests_on_time": "requests_on_time",
}


def figures(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(dict(s["figures"]) for s in report["sections"] if s["key"] == key)


def october_tickets() -> tuple[Any, list[Any], Any]:
    """An SLA over two services with, in October (Berlin): three met and one breached
    resolution clock, a cancelled clock, a clock running past its due, a major incident,
    requests fulfilled (one late), open and resolved incidents."""
    sla, services, customer = report_sla(services=2)
    one, two = services
    for day, hours in ((2, 2), (3, 3), (6, 1), (7, 9)):
        ticket = incident(
            one if day != 7 else two,
            customer,
            opened_at=berlin(2026, 10, day, 9),
            status=IncidentStatus.RESOLVED,
            resolved_at=berlin(2026, 10, day, 9 + hours),
        )
        clock(
            ticket,
            sla,
            metric=Metric.RESOLUTION,
            started_at=ticket.opened_at,
            stopped_at=ticket.resolved_at,
        )
    cancelled = incident(one, customer, opened_at=berlin(2026, 10, 8), status="cancelled")
    clock(
        cancelled,
        sla,
        metric=Metric.RESOLUTION,
        started_at=berlin(2026, 10, 8),
        stopped_at=berlin(2026, 10, 8, 2),
        state=ClockState.CANCELLED,
    )
    running = incident(one, customer, opened_at=berlin(2026, 10, 20))
    late = clock(running, sla, metric=Metric.RESOLUTION, started_at=berlin(2026, 10, 20))
    late.due_at, late.breached = berlin(2026, 10, 20, 4), True
    late.save()
    major = incident(two, customer, opened_at=berlin(2026, 10, 21))
    major.is_major, major.major_declared_at = True, berlin(2026, 10, 21, 1)
    major.save()
    for day, hours in ((10, 5), (12, 30)):
        item = request(
            one,
            customer,
            opened_at=berlin(2026, 10, day, 8),
            status=RequestStatus.FULFILLED,
            fulfilled_at=berlin(2026, 10, day, 8 + hours % 24) + dt.timedelta(days=hours // 24),
        )
        clock(
            item,
            sla,
            metric=Metric.FULFILMENT,
            started_at=item.opened_at,
            stopped_at=item.fulfilled_at,
            target=dt.timedelta(hours=16),
        )
    request(one, customer, opened_at=berlin(2026, 10, 30))  # still open
    incident(one, customer, opened_at=berlin(2026, 9, 30))  # opened before, still open
    return sla, services, customer


def test_every_kpi_states_its_label_unit_definition_and_direction() -> None:
    assert len(KPIS) >= 25
    for key, item in KPIS.items():
        assert item.key == key
        assert item.label and item.unit and len(item.definition) > 40, key
        assert item.direction in (kpis.HIGHER, kpis.LOWER, kpis.NEUTRAL), key
        assert item.tolerance >= 0


def test_kpis_an_objective_can_measure_say_the_same_words_as_the_objective() -> None:
    for key, measure in SHARED.items():
        assert KPIS[key].definition == measures.definition_of(measure)


def test_kpis_equal_the_objectives_measures_for_the_same_days() -> None:
    _, services, _ = october_tickets()
    window = Window(*OCTOBER, zone=UTC)
    for key, measure in SHARED.items():
        for service in (None, services[0].pk):
            reach = Reach(service_ids=(service,)) if service else Reach()
            mine = kpis.compute(key, window, reach)
            theirs = measures.measure(measure, start=OCTOBER[0], end=OCTOBER[1], service=service)
            assert theirs is not None
            assert (mine.value, mine.count) == (theirs.value, theirs.count), (key, service)
    # Six clocks judged: four resolution clocks (one breached), two fulfilment (one breached).
    assert kpis.compute("sla_attainment", window).value == Decimal("66.6")
    assert kpis.compute("sla_breaches", window).count == 3
    assert kpis.compute("requests_on_time", window).value == Decimal("50.0")


def test_ticket_kpis_agree_with_the_report_of_the_same_period_and_reach() -> None:
    sla, services, _ = october_tickets()
    window = Window(*OCTOBER, zone=BERLIN, now=NOW)
    for scope, reach in (
        (ReportScope(*OCTOBER, zone=BERLIN), Reach()),
        (
            ReportScope(*OCTOBER, service=services[0], zone=BERLIN),
            Reach(service_ids=(services[0].pk,)),
        ),
        (
            ReportScope(*OCTOBER, agreement=sla, zone=BERLIN),
            Reach(
                service_ids=tuple(s.pk for s in services),
                organisation_id=sla.organisation_id,
                agreement_id=sla.pk,
            ),
        ),
    ):
        report = build_report(scope, NOW)
        sla_figures = figures(report, "sla")
        attainment = kpis.compute("sla_attainment", window, reach)
        assert sla_figures["Clocks measured"] == attainment.count, scope.kind
        # The same clocks met and measured (the report rounds its percentage down).
        met = attainment.count - sla_figures["Breaches"]
        assert measures.percent(met, attainment.count) == attainment.value, scope.kind
        backlog = figures(report, "backlog")["Open at the end of the period"]
        assert backlog == kpis.compute("backlog", window, reach).count, scope.kind
        opened = figures(report, "workload")["Incidents opened"]
        assert opened == kpis.compute("incidents_opened", window, reach).count, scope.kind
        fulfilled = figures(report, "requests")["Fulfilled"]
        assert fulfilled == kpis.compute("requests_fulfilled", window, reach).count, scope.kind
    assert kpis.compute("sla_attainment", window).value == Decimal("66.6")
    # Open at the end of October: two incidents of the month, September's, one request.
    assert kpis.compute("backlog", window).count == 4


def at(day: int, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, 12, tzinfo=dt.UTC)


def test_problem_change_capacity_and_availability_kpis_agree_with_the_report() -> None:
    service, other = ServiceFactory(), ServiceFactory()
    sla_with_availability([service], percentage="99.0")
    ProblemFactory(
        service=service, status=ProblemStatus.KNOWN_ERROR, workaround="Restart", opened_at=at(2, 9)
    )
    ProblemFactory(
        service=service, status=ProblemStatus.RESOLVED, opened_at=at(3), resolved_at=at(20)
    )
    ProblemFactory(service=other, opened_at=at(5))
    ok = ChangeFactory(
        services=[service],
        status=ChangeStatus.CLOSED,
        outcome=Outcome.SUCCESSFUL,
        actual_start=at(2),
        actual_end=at(2),
    )
    ChangeFactory(
        services=[service],
        status=ChangeStatus.FAILED,
        outcome=Outcome.FAILED,
        change_type=ChangeType.EMERGENCY,
        actual_start=at(4),
        actual_end=at(4),
    )
    ChangeFactory(services=[other], status=ChangeStatus.SCHEDULED)
    from tests.factories import make_incident

    ChangeIncident.objects.create(
        change=ok,
        incident=make_incident(service=service),
        organisation=service.agreements.first().organisation,
        relation=IncidentRelation.CAUSED,
        linked_at=at(3),
    )
    warned = MetricFactory(service=service)
    ThresholdState.objects.update_or_create(metric=warned, defaults={"level": Level.WARNING})
    window = Window(*OCTOBER, zone=UTC, now=NOW)
    for scope, reach in (
        (ReportScope(*OCTOBER, zone=UTC), Reach()),
        (ReportScope(*OCTOBER, service=service, zone=UTC), Reach(service_ids=(service.pk,))),
    ):
        report = build_report(scope, NOW)
        problems = figures(report, "problems")
        assert (
            problems["Open at the end of the period"]
            == kpis.compute("problems_open", window, reach).count
        )
        assert (
            problems["Opened in the period"] == kpis.compute("problems_opened", window, reach).count
        )
        assert (
            problems["Resolved in the period"]
            == kpis.compute("problems_resolved", window, reach).count
        )
        assert (
            problems["Known errors with a workaround"]
            == kpis.compute("known_errors", window, reach).count
        )
        changes = figures(report, "changes")
        assert (
            changes["Changes implemented"]
            == kpis.compute("changes_implemented", window, reach).count
        )
        assert changes["Success rate"] == pct(
            kpis.compute("change_success_rate", window, reach).value
        )
        assert changes["Emergency ratio"] == pct(
            kpis.compute("emergency_change_ratio", window, reach).value
        )
        assert (
            changes["Changes that caused incidents"]
            == kpis.compute("changes_caused_incidents", window, reach).count
        )
        capacity = figures(report, "capacity")
        assert (
            capacity["Warning"] + capacity["Critical"]
            == kpis.compute("capacity_warning", window, reach).count
        )
        assert capacity["Critical"] == kpis.compute("capacity_critical", window, reach).count
    provider_report = build_report(ReportScope(*OCTOBER, zone=UTC), NOW)
    availability = figures(provider_report, "availability")
    met = kpis.compute("availability_met", window)
    assert availability["Services with a target"] == met.count == 1
    assert availability["Services meeting their target"] == 1
    assert met.value == Decimal("100.0")
    service_report = build_report(ReportScope(*OCTOBER, service=service, zone=UTC), NOW)
    assert figures(service_report, "availability")["Availability"] == pct(
        kpis.compute("availability", window, Reach(service_ids=(service.pk,))).value
    )
    assert kpis.compute("changes_implemented", window).count == 2
    assert kpis.compute("change_success_rate", window).value == Decimal("50.0")


def test_a_customer_users_reach_counts_their_own_tickets_only() -> None:
    _, services, customer = october_tickets()
    window = Window(*OCTOBER, zone=BERLIN)
    mine = incident(services[0], customer, opened_at=berlin(2026, 10, 15))
    reach = Reach(organisation_id=customer.pk, person_id=mine.caller_id)
    assert kpis.compute("backlog", window, reach).count == 1
    assert kpis.compute("sla_attainment", window, reach).count == 0
    everyone = Reach(organisation_id=customer.pk)
    assert kpis.compute("backlog", window, everyone).count == 5


def test_mean_time_to_resolve_is_wall_clock_hours() -> None:
    october_tickets()
    # Resolved after 2, 3, 1 and 9 hours: a mean of 3.75 hours, shown to one place.
    result = kpis.compute("time_to_resolve", Window(*OCTOBER, zone=BERLIN))
    assert (result.value, result.count) == (Decimal("3.8"), 4)


def test_every_kpi_answers_on_an_empty_database() -> None:
    window = Window(*OCTOBER, zone=BERLIN, now=NOW)
    for key in KPIS:
        for reach in (Reach(), Reach(service_ids=(), organisation_id=1, person_id=1)):
            result = kpis.compute(key, window, reach)
            assert result.count == 0, key
            assert result.value in (None, Decimal(0)), key


def test_the_user_guide_defines_every_kpi() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "dashboards.md").read_text()
    for key, item in KPIS.items():
        assert f"`{key}`" in guide, key
        assert item.definition in " ".join(guide.split()), key
