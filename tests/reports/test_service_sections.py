"""The service sections of the service report (6 to 11): each figure against a calculation
made here on controlled data, one customer's agreement never counting another customer's
records, and a number of queries that does not grow with the records."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.agreements.choices import AgreementKind, ClockState
from accord.availability.choices import OutageKind
from accord.capacity.choices import Granularity, Level
from accord.capacity.models import ThresholdState
from accord.changes.choices import ChangeStatus, ChangeType, IncidentRelation, Outcome
from accord.changes.models import ChangeIncident
from accord.core.report_parts import DASH
from accord.feedback.choices import ComplaintStatus
from accord.problems.choices import ProblemStatus
from accord.reports.sections import services as sections
from tests.availability.factories import OutageFactory, sla_with_availability
from tests.capacity.factories import MetricFactory
from tests.changes.factories import ChangeFactory
from tests.factories import ServiceFactory, make_incident
from tests.problems.factories import ProblemFactory
from tests.reports.service_factories import (
    agreement,
    at,
    clock,
    complaint,
    customer,
    hours,
    october,
    resolution_target,
    rollup,
    survey,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC)


def figures(result: dict[str, Any]) -> dict[str, Any]:
    return dict(result["figures"])


def first_column(result: dict[str, Any], index: int = 0) -> list[Any]:
    return [row[0] for row in result["tables"][index]["rows"]]


def floor_pct(up: int, whole: int) -> str:
    """The availability as the definition writes it: floored to three places."""
    value = Decimal(math.floor(Decimal(up) / Decimal(whole) * 100_000)).scaleb(-3)
    return f"{value.normalize():f} %"


# --- 6. availability ----------------------------------------------------------------------------


def test_availability_of_an_agreement_counts_only_its_customers_outages() -> None:
    web, mail = ServiceFactory(), ServiceFactory()
    mine = customer()
    other = customer()
    sla = sla_with_availability([web, mail], percentage="99.5", organisation=mine)
    counted = OutageFactory(service=web, start=at(10), end=at(10) + dt.timedelta(minutes=60))
    OutageFactory(service=mail, start=at(12), end=at(12) + dt.timedelta(minutes=30))
    OutageFactory(service=web, start=at(14), end=at(15), customers=[other])
    OutageFactory(service=web, start=at(3, month=9), end=at(4, month=9))  # before the period

    result = sections.availability_section(october(agreement=sla), NOW)

    agreed = 2 * 31 * 24 * 60
    found = figures(result)
    assert found["Availability"] == floor_pct(agreed - 90, agreed)
    assert found["Target"] == "99.5 %"
    assert found["Met"] == "yes"
    assert found["Downtime (min)"] == "90"
    assert found["Failures"] == 2
    assert found["MTRS (min)"] == "45"
    assert found["MTBF (min)"] == str((agreed - 90) // 2)
    outages = result["tables"][1]["rows"]
    assert {row[0] for row in outages} == {counted.reference, outages[1][0]}
    assert len(outages) == 2
    assert outages[0][4] == "60"
    json.dumps(result)


def test_availability_of_a_service_without_target_is_a_dash() -> None:
    service = ServiceFactory()
    result = sections.availability_section(october(service=service), NOW)
    found = figures(result)
    assert found["Availability"] == "100 %"
    assert found["Target"] == DASH
    assert found["Met"] == DASH
    assert found["MTBF (min)"] == DASH
    assert result["tables"][1]["rows"] == []


def test_availability_of_the_provider_lists_each_service_and_who_met_its_target() -> None:
    good, bad = ServiceFactory(code="A-GOOD"), ServiceFactory(code="B-BAD")
    sla_with_availability([good, bad], percentage="99.9")
    OutageFactory(service=bad, start=at(5), end=at(6, 12), kind=OutageKind.UNPLANNED)
    result = sections.availability_section(october(), NOW)
    rows = {row[0]: row for row in result["tables"][0]["rows"]}
    assert rows["A-GOOD"][3] == "yes"
    assert rows["B-BAD"][3] == "no"
    assert rows["B-BAD"][4] == str(24 * 60)
    found = figures(result)
    assert found["Services with a target"] == 2
    assert found["Services meeting their target"] == 1


# --- 7. capacity --------------------------------------------------------------------------------


def test_capacity_reports_level_utilisation_and_the_crossings_of_the_period() -> None:
    service = ServiceFactory()
    metric = MetricFactory(service=service)  # usable 2, warning 1.6, critical 1.9, peak
    ThresholdState.objects.create(metric=metric, level=Level.WARNING)
    # September ends above warning: rising again in October from there is no crossing.
    hours(metric, at(30, 22, month=9), [1.7, 1.7])
    # October: 1.7 (stays), 1.0 (falls), 1.7 (crossing to warning), 1.95 (to critical),
    # 1.0, 1.95 (normal to critical: one crossing).
    hours(metric, at(2, 0), [1.7, 1.0, 1.7, 1.95, 1.0, 1.95])
    rollup(metric, at(31, 0), 1.5, granularity=Granularity.DAY)
    MetricFactory()  # another service's metric

    result = sections.capacity_section(october(service=service), NOW)

    found = figures(result)
    assert found["Metrics"] == 1
    assert found["Warning"] == 1
    assert found["Crossings in the period"] == 3
    row = result["tables"][0]["rows"][0]
    assert row[0] == metric.code
    assert row[2] == "Warning"
    assert row[3] == "1.5 TB"
    assert row[4] == "75 %"
    assert row[7] == 3


def test_capacity_without_metrics_says_so() -> None:
    result = sections.capacity_section(october(service=ServiceFactory()), NOW)
    assert figures(result)["Metrics"] == 0
    assert "No capacity metric" in result["note"]


# --- 8. problems --------------------------------------------------------------------------------


def test_problems_of_an_agreement_leave_out_other_customers_problems() -> None:
    service = ServiceFactory()
    mine, other = customer(), customer()
    sla = agreement([service], organisation=mine)
    open_known = ProblemFactory(
        service=service,
        status=ProblemStatus.KNOWN_ERROR,
        workaround="Restart the relay.",
        opened_at=at(2, month=9),
    )
    ProblemFactory(
        service=service,
        status=ProblemStatus.RESOLVED,
        opened_at=at(3),
        resolved_at=at(20),
        organisations=[mine],
    )
    # Resolved after the period: still open at its end.
    ProblemFactory(
        service=service,
        status=ProblemStatus.RESOLVED,
        opened_at=at(25),
        resolved_at=at(3, month=11),
    )
    ProblemFactory(service=service, opened_at=at(5), organisations=[other])
    ProblemFactory(service=ServiceFactory(), opened_at=at(5))
    ProblemFactory(service=service, opened_at=at(2, month=11))  # after the period

    result = sections.problems_section(october(agreement=sla), NOW)

    found = figures(result)
    assert found["Open at the end of the period"] == 2
    assert found["Open: Known error"] == 1
    assert found["Open: Resolved"] == 1
    assert found["Opened in the period"] == 2
    assert found["Resolved in the period"] == 1
    assert found["Known errors with a workaround"] == 1
    rows = result["tables"][0]["rows"]
    assert len(rows) == 3
    assert rows[0][0] == open_known.reference
    assert rows[0][3] == "yes"


# --- 9. changes ---------------------------------------------------------------------------------


def done(service: Any, day: int, **kw: Any) -> Any:
    kw.setdefault("status", ChangeStatus.CLOSED)
    kw.setdefault("outcome", Outcome.SUCCESSFUL)
    return ChangeFactory(
        services=[service],
        actual_start=at(day) - dt.timedelta(hours=1),
        actual_end=at(day),
        **kw,
    )


def test_changes_figures_follow_the_change_metrics_definitions() -> None:
    service = ServiceFactory()
    mine, other = customer(), customer()
    sla = agreement([service], organisation=mine)
    ok = done(service, 2)
    failed = done(service, 3, status=ChangeStatus.FAILED, outcome=Outcome.FAILED)
    done(service, 4, change_type=ChangeType.EMERGENCY, organisations=[mine])
    done(service, 5, organisations=[other])  # another customer's change
    done(ServiceFactory(), 7)  # another service
    ChangeFactory(services=[service], status=ChangeStatus.SCHEDULED)  # not implemented
    ChangeFactory(  # implemented after the period
        services=[service],
        status=ChangeStatus.CLOSED,
        outcome=Outcome.SUCCESSFUL,
        actual_start=at(1, month=11),
        actual_end=at(2, month=11),
    )
    theirs = make_incident(organisation=other, service=service)
    ours = make_incident(organisation=mine, service=service)
    ChangeIncident.objects.create(
        change=ok,
        incident=theirs,
        organisation=other,
        relation=IncidentRelation.CAUSED,
        linked_at=at(3),
    )
    ChangeIncident.objects.create(
        change=failed,
        incident=ours,
        organisation=mine,
        relation=IncidentRelation.CAUSED,
        linked_at=at(3),
    )

    result = sections.changes_section(october(agreement=sla), NOW)

    found = figures(result)
    assert found["Changes implemented"] == 3
    assert found["Success rate"] == "66.6 %"
    assert found["Emergency ratio"] == "33.3 %"
    assert found["Changes that caused incidents"] == 1
    assert first_column(result) == [ok.reference, failed.reference, first_column(result)[2]]

    provider_wide = figures(sections.changes_section(october(service=service), NOW))
    assert provider_wide["Changes implemented"] == 4
    assert provider_wide["Changes that caused incidents"] == 2


def test_no_change_gives_dashes_not_zero_percent() -> None:
    found = figures(sections.changes_section(october(service=ServiceFactory()), NOW))
    assert found["Changes implemented"] == 0
    assert found["Success rate"] == DASH
    assert found["Emergency ratio"] == DASH


# --- 10. satisfaction ---------------------------------------------------------------------------


def test_satisfaction_and_complaints_of_an_agreement() -> None:
    service = ServiceFactory()
    mine, other = customer(), customer()
    sla = agreement([service], organisation=mine)
    for score in (5, 4, 4, 2):
        survey(mine, service, score=score, answered_at=at(10))
    survey(mine, service, score=None, answered_at=at(10))  # not answered
    survey(mine, service, score=1, answered_at=at(10, month=9))  # before the period
    survey(other, service, score=1, answered_at=at(10))  # another customer
    survey(mine, ServiceFactory(), score=1, answered_at=at(10))  # another service
    complaint(mine, service, raised_at=at(3))
    complaint(
        mine, None, raised_at=at(4), status=ComplaintStatus.RESOLVED, resolved_at=at(8)
    )  # about no service
    complaint(mine, service, raised_at=at(20, month=9))  # still open from September
    complaint(mine, service, raised_at=at(5), status=ComplaintStatus.WITHDRAWN)
    complaint(other, service, raised_at=at(5))
    complaint(mine, ServiceFactory(), raised_at=at(5))

    result = sections.satisfaction_section(october(agreement=sla), NOW)

    found = figures(result)
    assert found["Mean score"] == "3.75"
    assert found["Surveys answered"] == 4
    assert [found[f"Score {n}"] for n in range(1, 6)] == [0, 1, 0, 2, 1]
    assert found["Complaints raised"] == 3
    assert found["Complaints resolved"] == 1
    assert found["Complaints open at the end"] == 2


def test_satisfaction_without_answers_is_a_dash() -> None:
    found = figures(sections.satisfaction_section(october(service=ServiceFactory()), NOW))
    assert found["Mean score"] == DASH
    assert found["Surveys answered"] == 0


# --- 11. the chain ------------------------------------------------------------------------------


def test_the_chain_sets_each_sla_target_beside_the_olas_and_ucs_behind_it() -> None:
    service = ServiceFactory()
    mine, other = customer(), customer()
    sla = agreement([service], organisation=mine)
    sla_p1 = resolution_target(sla, "P1")
    ola = agreement([service], kind=AgreementKind.OLA)
    ola_p1 = resolution_target(ola, "P1", hours=2)
    uc = agreement([service], kind=AgreementKind.UC, organisation=customer())
    uc_all = resolution_target(uc, "", hours=8)
    agreement([service], kind=AgreementKind.OLA, starts_on=dt.date(2026, 12, 1))  # not yet
    agreement([ServiceFactory()], kind=AgreementKind.OLA)  # another service

    clock(sla_p1, organisation=mine, stopped_at=at(5))
    clock(sla_p1, organisation=mine, stopped_at=at(6), state=ClockState.BREACHED)
    clock(sla_p1, organisation=mine, stopped_at=at(7), state=ClockState.CANCELLED)
    clock(sla_p1, organisation=mine, stopped_at=None, state=ClockState.RUNNING)
    clock(sla_p1, organisation=mine, stopped_at=at(5, month=9))
    clock(ola_p1, organisation=mine, stopped_at=at(5))
    clock(ola_p1, organisation=mine, stopped_at=at(6))
    clock(ola_p1, organisation=other, stopped_at=at(6), state=ClockState.BREACHED)
    clock(uc_all, organisation=mine, stopped_at=at(6), state=ClockState.MET, breached=True)

    result = sections.chain_section(october(agreement=sla), NOW)

    rows = result["tables"][0]["rows"]
    assert [row[3] for row in rows] == [f"OLA {ola.code}", f"UC {uc.code}"]
    assert rows[0][1:3] == ["1 / 2", "no"]
    assert rows[0][5:] == ["2 / 2", "yes"]
    assert rows[1][5:] == ["0 / 1", "no"]
    assert figures(result) == {"OLAs": 1, "Underpinning contracts": 1}
    assert result["note"] == ""

    provider_wide = sections.chain_section(october(service=service), NOW)
    by_code = {row[0]: row for row in provider_wide["tables"][0]["rows"]}
    assert by_code[f"OLA {ola.code}"][3:] == ["2 / 3", "no"]


def test_the_chain_says_plainly_when_nothing_underpins_the_services() -> None:
    service = ServiceFactory()
    sla = agreement([service])
    resolution_target(sla)
    result = sections.chain_section(october(agreement=sla), NOW)
    assert result["note"] == "No OLA or UC covers these services."
    assert result["tables"][0]["rows"][0][3] == DASH


# --- the whole set ------------------------------------------------------------------------------


def test_the_sections_are_numbered_in_order_and_serialisable() -> None:
    service = ServiceFactory()
    sla = agreement([service])
    results = [f(october(agreement=sla), NOW) for f in sections.SECTIONS]
    assert [(r["number"], r["key"]) for r in results] == [
        (6, "availability"),
        (7, "capacity"),
        (8, "problems"),
        (9, "changes"),
        (10, "satisfaction"),
        (11, "chain"),
    ]
    json.dumps(results)
    assert all(r["definition"] and r["source"] for r in results)


def _records(service: Any, mine: Any, sla_target: Any, ola_target: Any, n: int) -> None:
    metric = MetricFactory(service=service)
    for i in range(n):
        day = 1 + i % 28
        OutageFactory(service=service, start=at(day, 1), end=at(day, 2))
        hours(metric, at(day, 3), [1.0, 1.7])
        ProblemFactory(service=service, opened_at=at(day), workaround="Retry.")
        done(service, day)
        survey(mine, service, score=1 + i % 5, answered_at=at(day))
        complaint(mine, service, raised_at=at(day))
        clock(sla_target, organisation=mine, stopped_at=at(day))
        clock(ola_target, organisation=mine, stopped_at=at(day))


def test_the_number_of_queries_does_not_grow_with_the_records() -> None:
    service = ServiceFactory()
    mine = customer()
    sla = sla_with_availability([service], organisation=mine)
    sla_target = resolution_target(sla)
    ola_target = resolution_target(agreement([service], kind=AgreementKind.OLA))
    scopes = [october(agreement=sla), october(service=service), october()]

    def count() -> list[int]:
        found = []
        for scope in scopes:
            for function in sections.SECTIONS:
                with CaptureQueriesContext(connection) as queries:
                    function(scope, NOW)
                found.append(len(queries))
        return found

    _records(service, mine, sla_target, ola_target, 2)
    few = count()
    _records(service, mine, sla_target, ola_target, 6)
    assert count() == few
