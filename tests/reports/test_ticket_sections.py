"""The ticket sections of the service report, each figure checked against a calculation done
by hand on controlled data: a Berlin agreement, October 2026 (summer time ends on the 25th),
clocks at the edges of the period, a paused clock, a cancelled ticket, a reopened ticket."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.agreements import clocks as clock_service
from accord.agreements.choices import ClockState, Metric
from accord.core.report_parts import DASH
from accord.incidents.choices import IncidentStatus
from accord.reports.sections import all_sections, tickets
from accord.reports.sections.tickets import attainment, nearest_rank
from accord.service_requests.choices import RequestStatus
from tests.factories import CatalogueItemFactory, OrganisationFactory
from tests.reports import factories
from tests.reports.factories import (
    berlin,
    incident,
    ola_of,
    report_sla,
    request,
    scope_of,
)

NOW = berlin(2026, 11, 5, 12, 0)
H = dt.timedelta(hours=1)

pytestmark = pytest.mark.django_db


def clock(*args, **kwargs):
    """A clock row with chosen facts, carrying the business time used and the final due
    instant that the clock service stores on every clock when it stops."""
    row = factories.clock(*args, **kwargs)
    row.elapsed, row.final_due_at = clock_service.stop_readings(row)
    row.save(update_fields=["elapsed", "final_due_at"])
    return row


def figures(sec):
    return dict(sec["figures"])


def rows_by(table, column=0):
    return {row[column]: row for row in table["rows"]}


# --- shared figures -----------------------------------------------------------------------------


def test_attainment_rounds_down_and_dashes_nothing():
    assert str(attainment(2, 3)) == "66.6"
    assert str(attainment(1999, 2000)) == "99.9"
    assert str(attainment(3, 3)) == "100.0"
    assert attainment(0, 0) is None


def test_nearest_rank_small_cases():
    assert nearest_rank([], 50) is None
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([3, 1, 2], 50) == 2
    assert nearest_rank([1, 2, 3, 4], 50) == 2
    assert nearest_rank(list(range(1, 11)), 90) == 9
    assert nearest_rank(list(range(1, 11)), 100) == 10


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-(10**6), max_value=10**6), min_size=1, max_size=60))
def test_nearest_rank_median_is_the_low_median(values):
    assert nearest_rank(values, 50) == statistics.median_low(values)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=60),
    st.integers(min_value=1, max_value=100),
)
def test_nearest_rank_is_the_smallest_value_covering_the_share(values, percent):
    result = nearest_rank(values, percent)
    n = len(values)
    assert result in values
    assert 100 * sum(v <= result for v in values) >= percent * n
    assert 100 * sum(v < result for v in values) < percent * n
    ordered = sorted(values)
    assert result == ordered[max(0, -(-percent * n // 100) - 1)]
    if percent == 100:
        assert result == max(values)


def test_the_sections_are_in_report_order():
    keys = [(f.__name__, f) for f in tickets.SECTIONS]
    assert [name for name, _ in keys] == [
        "sla_section",
        "times_section",
        "backlog_section",
        "workload_section",
        "requests_section",
    ]
    assert all_sections()[:5] == tickets.SECTIONS


# --- SLA attainment and times ---------------------------------------------------------------------


@pytest.fixture
def october():
    """The controlled clocks of one agreement in October 2026 (see each comment)."""
    sla, (service,), customer = report_sla()
    ola = ola_of(service)

    def inc(priority, **kwargs):
        kwargs.setdefault("opened_at", berlin(2026, 10, 1, 9))
        return incident(service, customer, priority=priority, **kwargs)

    res = Metric.RESOLUTION
    # P2 met in 2 h, with its first response met in 30 min; an OLA clock beside them.
    one = inc("P2")
    clock(
        one,
        sla,
        metric=res,
        started_at=berlin(2026, 10, 5, 10),
        stopped_at=berlin(2026, 10, 5, 12),
        target=8 * H,
    )
    clock(
        one,
        sla,
        metric=Metric.FIRST_RESPONSE,
        started_at=berlin(2026, 10, 5, 10),
        stopped_at=berlin(2026, 10, 5, 10, 30),
        target=H,
    )
    clock(
        one,
        ola,
        metric=res,
        started_at=berlin(2026, 10, 5, 10),
        stopped_at=berlin(2026, 10, 5, 23),
        target=H,
    )
    # P2 paused 9 h: 10.5 h on the wall, 1.5 h of business time, met.
    two = inc("P2")
    clock(
        two,
        sla,
        metric=res,
        started_at=berlin(2026, 10, 6, 10),
        stopped_at=berlin(2026, 10, 6, 20, 30),
        pauses=[(berlin(2026, 10, 6, 11), berlin(2026, 10, 6, 20))],
        target=8 * H,
    )
    # P1 breached: 6 h against 4 h, due at 14:00, 2 h late.
    three = inc("P1")
    clock(
        three,
        sla,
        metric=res,
        started_at=berlin(2026, 10, 7, 10),
        stopped_at=berlin(2026, 10, 7, 16),
        target=4 * H,
    )
    # A cancelled ticket whose clock had stopped met: left out.
    four = inc("P2", status=IncidentStatus.CANCELLED)
    clock(
        four,
        sla,
        metric=res,
        started_at=berlin(2026, 10, 8, 10),
        stopped_at=berlin(2026, 10, 8, 11),
        target=8 * H,
    )
    # A cancelled clock: left out.
    five = inc("P2")
    clock(
        five,
        sla,
        metric=res,
        started_at=berlin(2026, 10, 9, 10),
        stopped_at=berlin(2026, 10, 9, 11),
        state=ClockState.CANCELLED,
        target=8 * H,
    )
    # Reopened after a breach: one clock, met at its last stop but breached before; 5 h
    # against 3 h (the resolved night is a pause), due 11:00, 2 h late. Counts once.
    six = inc("P2", reopen_count=1)
    clock(
        six,
        sla,
        metric=res,
        started_at=berlin(2026, 10, 10, 8),
        stopped_at=berlin(2026, 10, 11, 9),
        pauses=[(berlin(2026, 10, 10, 12), berlin(2026, 10, 11, 8))],
        state=ClockState.MET,
        breached=True,
        target=3 * H,
    )
    # The edges, in Berlin: 00:30 on 1 October is in (22:30 UTC the day before) ...
    seven = inc("P3")
    clock(
        seven,
        sla,
        metric=res,
        started_at=berlin(2026, 9, 30, 23),
        stopped_at=berlin(2026, 10, 1, 0, 30),
        target=8 * H,
    )
    # ... 23:30 on 30 September is out ...
    eight = inc("P3")
    clock(
        eight,
        sla,
        metric=res,
        started_at=berlin(2026, 9, 30, 22),
        stopped_at=berlin(2026, 9, 30, 23, 30),
        target=8 * H,
    )
    # ... 23:30 on 31 October (winter time, 22:30 UTC) is in ...
    nine = inc("P3")
    clock(
        nine,
        sla,
        metric=res,
        started_at=berlin(2026, 10, 31, 22),
        stopped_at=berlin(2026, 10, 31, 23, 30),
        target=8 * H,
    )
    # ... and midnight on 1 November (23:00 UTC on 31 October) is out.
    ten = inc("P3")
    clock(
        ten,
        sla,
        metric=res,
        started_at=berlin(2026, 10, 31, 22),
        stopped_at=berlin(2026, 11, 1, 0, 0),
        target=8 * H,
    )
    # Still running: left out.
    eleven = inc("P3")
    clock(eleven, sla, metric=res, started_at=berlin(2026, 10, 30, 10), target=8 * H)
    # Across the end of summer time: 12:00 on the 24th to 12:00 on the 25th is 25 hours.
    twelve = inc("P4")
    clock(
        twelve,
        sla,
        metric=res,
        started_at=berlin(2026, 10, 24, 12),
        stopped_at=berlin(2026, 10, 25, 12),
        target=48 * H,
    )
    # Another customer's SLA on the same service: not this agreement's, but the service's.
    other = OrganisationFactory(kind="customer")
    other_sla, _, _ = report_sla()
    other_sla.services.add(service)
    stranger = incident(service, other, priority="P2", opened_at=berlin(2026, 10, 1, 9))
    clock(
        stranger,
        other_sla,
        metric=res,
        started_at=berlin(2026, 10, 12, 10),
        stopped_at=berlin(2026, 10, 12, 23),
        target=4 * H,
    )
    refs = {"three": three.reference, "six": six.reference}
    return sla, service, refs


def test_sla_attainment_of_an_agreement(october):
    sla, _, refs = october
    sec = tickets.sla_section(scope_of(sla), NOW)
    assert (sec["key"], sec["number"]) == ("sla", 1)
    # Measured: first response 1 (met); resolution P1 1 (breached), P2 3 (one, two met; six
    # breached), P3 2 (seven, nine), P4 1. Met 6 of 8 = 75 %.
    assert figures(sec) == {"Overall attainment": "75 %", "Clocks measured": 8, "Breaches": 2}
    table = sec["tables"][0]
    rows = {(r[0], r[1]): r for r in table["rows"]}
    assert rows[("First response", "P2")] == ["First response", "P2", "1 h", 1, 1, 0, "100 %"]
    assert rows[("Resolution", "P1")] == ["Resolution", "P1", "4 h", 1, 0, 1, "0 %"]
    # 2 of 3 is 66.666…: rounded down to 66.6, not 66.7.
    assert rows[("Resolution", "P2")] == ["Resolution", "P2", "8 h", 3, 2, 1, "66.6 %"]
    assert rows[("Resolution", "P3")][3:] == [2, 2, 0, "100 %"]
    assert rows[("Resolution", "P4")][3:] == [1, 1, 0, "100 %"]
    assert len(rows) == 5
    breaches = sec["tables"][1]
    assert breaches["rows"] == [
        [refs["three"], "P1", "Resolution", "2026-10-07 14:00", "2026-10-07 16:00", "2 h"],
        [refs["six"], "P2", "Resolution", "2026-10-10 11:00", "2026-10-11 09:00", "2 h"],
    ]
    assert len(sec["charts"]) == 1 and "SLA attainment per priority" in sec["charts"][0]
    assert "rounded down" in sec["definition"]


def test_sla_attainment_of_the_service_counts_every_customers_sla_clocks(october):
    _, service, _ = october
    sec = tickets.sla_section(scope_of(service=service), NOW)
    # The agreement's 8, the other customer's breached P2 clock; never the OLA's.
    assert figures(sec) == {"Overall attainment": "66.6 %", "Clocks measured": 9, "Breaches": 3}
    rows = {(r[0], r[1]): r for r in sec["tables"][0]["rows"]}
    assert rows[("Resolution", "P2")][2] == DASH  # no one agreement's target for a service


def test_times_per_priority_in_business_time(october):
    sla, _, _ = october
    sec = tickets.times_section(scope_of(sla), NOW)
    assert (sec["key"], sec["number"]) == ("times", 2)
    rows = {(r[0], r[1]): r[2:] for r in sec["tables"][0]["rows"]}
    # P2 resolution: 2 h, 1.5 h (paused 9 h), 5 h (reopened): nearest-rank median 2 h, 90th 5 h.
    assert rows[("Resolution", "P2")] == [3, "2 h", "5 h"]
    assert rows[("Resolution", "P1")] == [1, "6 h", "6 h"]
    assert rows[("Resolution", "P3")] == [2, "1 h 30 min", "1 h 30 min"]
    # 25 hours across the end of summer time.
    assert rows[("Resolution", "P4")] == [1, "25 h", "25 h"]
    assert rows[("First response", "P2")] == [1, "30 min", "30 min"]
    # All 7 resolution clocks: 1.5, 1.5, 1.5, 2, 5, 6, 25 h -> median (4th) 2 h.
    assert figures(sec) == {
        "Median first response": "30 min",
        "Median resolution": "2 h",
        "Median fulfilment": DASH,
    }
    assert "nearest-rank" in sec["definition"] and "paused time is excluded" in sec["definition"]


def test_business_time_counts_only_the_calendar_hours():
    hours = {str(day): [["09:00", "17:00"]] for day in range(5)}
    sla, (service,), customer = report_sla(weekly_hours=hours)
    ticket = incident(service, customer, priority="P2", opened_at=berlin(2026, 10, 1, 9))
    # Friday 16:00 to Monday 10:00, paused Monday 09:00 to 09:30: 1 h + 30 min.
    clock(
        ticket,
        sla,
        metric=Metric.RESOLUTION,
        started_at=berlin(2026, 10, 2, 16),
        stopped_at=berlin(2026, 10, 5, 10),
        pauses=[(berlin(2026, 10, 5, 9), berlin(2026, 10, 5, 9, 30))],
        state=ClockState.MET,
        target=8 * H,
    )
    sec = tickets.times_section(scope_of(sla), NOW)
    assert sec["tables"][0]["rows"] == [["Resolution", "P2", 1, "1 h 30 min", "1 h 30 min"]]


def test_nothing_measured_is_a_dash_not_a_percentage():
    sla, _, _ = report_sla()
    sec = tickets.sla_section(scope_of(sla), NOW)
    assert figures(sec) == {"Overall attainment": DASH, "Clocks measured": 0, "Breaches": 0}
    assert sec["charts"] == []
    assert figures(tickets.requests_section(scope_of(sla), NOW))["Fulfilled on time"] == DASH


# --- backlog ----------------------------------------------------------------------------------


def test_backlog_at_the_end_of_the_period():
    sla, (service,), customer = report_sla()
    other = OrganisationFactory(kind="customer")

    def inc(priority, opened_at, **kwargs):
        return incident(service, customer, priority=priority, opened_at=opened_at, **kwargs)

    young = inc("P2", berlin(2026, 10, 30, 12))  # 1.5 days: 0-2
    week = inc("P2", berlin(2026, 10, 25, 0))  # 7 days and an hour (summer time ended): 3-7
    ancient = inc("P1", berlin(2026, 9, 1, 8))  # over 30
    inc(
        "P3", berlin(2026, 10, 10), status=IncidentStatus.RESOLVED, resolved_at=berlin(2026, 10, 12)
    )
    late = inc(  # resolved after the period: still open at its end, 22 days: 8-30
        "P3", berlin(2026, 10, 10), status=IncidentStatus.RESOLVED, resolved_at=berlin(2026, 11, 3)
    )
    inc("P2", berlin(2026, 10, 20), status=IncidentStatus.CANCELLED)
    inc("P2", berlin(2026, 11, 2))  # opened after the period
    three = inc("P4", berlin(2026, 10, 29, 0))  # exactly 3 days: 3-7
    incident(service, other, priority="P1", opened_at=berlin(2026, 10, 1))  # not this customer
    req = request(service, customer, priority="P2", opened_at=berlin(2026, 10, 29, 12))  # 0-2
    request(service, customer, opened_at=berlin(2026, 10, 5), status=RequestStatus.REJECTED)
    request(
        service,
        customer,
        opened_at=berlin(2026, 10, 5),
        status=RequestStatus.FULFILLED,
        fulfilled_at=berlin(2026, 10, 20),
    )

    sec = tickets.backlog_section(scope_of(sla), NOW)
    assert (sec["key"], sec["number"]) == ("backlog", 3)
    assert figures(sec) == {"Open at the end of the period": 6}
    table = rows_by(sec["tables"][0])
    assert table["P1"] == ["P1", 1, 0, 0, 0, 1]
    assert table["P2"] == ["P2", 3, 2, 1, 0, 0]
    assert table["P3"] == ["P3", 1, 0, 0, 1, 0]
    assert table["P4"] == ["P4", 1, 0, 1, 0, 0]
    assert table["All"] == ["All", 6, 2, 2, 1, 1]
    oldest = sec["tables"][1]["rows"]
    assert [r[0] for r in oldest] == [
        ancient.reference,
        late.reference,
        week.reference,
        three.reference,
        req.reference,
        young.reference,
    ]
    assert oldest[0][-1] == 60 and oldest[3][-1] == 3


# --- workload ---------------------------------------------------------------------------------


def test_workload_per_service_and_week_with_the_agreed_limits():
    limits = "Up to 40 incidents a month; <b>requests</b> within reason."
    sla, (mail, web), customer = report_sla(services=2, workload_limits=limits)
    # Monday 5 October 00:30 in Berlin is Sunday in UTC: it belongs to the week of the 5th.
    incident(mail, customer, opened_at=berlin(2026, 10, 5, 0, 30))
    incident(mail, customer, opened_at=berlin(2026, 10, 1, 0, 30))  # week of 28 September
    incident(mail, customer, opened_at=berlin(2026, 10, 26, 0, 30))  # winter time: week of 26th
    incident(mail, customer, opened_at=berlin(2026, 10, 6), status=IncidentStatus.CANCELLED)
    incident(mail, customer, opened_at=berlin(2026, 11, 1, 0, 0))  # after the period
    incident(web, customer, opened_at=berlin(2026, 9, 30, 23, 59))  # before it
    incident(web, customer, opened_at=berlin(2026, 10, 7), reopen_count=2)  # counted once
    request(web, customer, opened_at=berlin(2026, 10, 8))
    request(web, customer, opened_at=berlin(2026, 10, 9), status=RequestStatus.CANCELLED)

    sec = tickets.workload_section(scope_of(sla), NOW)
    assert (sec["key"], sec["number"]) == ("workload", 4)
    assert figures(sec) == {
        "Incidents opened": 4,
        "Service requests opened": 1,
        "Cancelled (not counted)": 2,
        "Agreed workload limits": limits,
    }
    services = rows_by(sec["tables"][0])
    assert services[mail.code][2:] == [3, 0, 3, 1]
    assert services[web.code][2:] == [1, 1, 2, 1]
    weeks = rows_by(sec["tables"][1])
    assert weeks == {
        "2026-09-28": ["2026-09-28", 1, 0, 1],
        "2026-10-05": ["2026-10-05", 2, 1, 3],
        "2026-10-26": ["2026-10-26", 1, 0, 1],
    }
    assert "<b>" not in sec["charts"][0]


def test_workload_of_a_service_has_no_limits_to_quote():
    service = report_sla()[1][0]
    sec = tickets.workload_section(scope_of(service=service), NOW)
    assert "Agreed workload limits" not in figures(sec)
    assert figures(sec)["Incidents opened"] == 0 and sec["charts"] == []


# --- service requests ---------------------------------------------------------------------------


def test_requests_opened_fulfilled_on_time_and_most_requested():
    sla, (service,), customer = report_sla()
    laptop = CatalogueItemFactory(service=service, name="Laptop")
    access = CatalogueItemFactory(service=service, name="Access")
    ful = Metric.FULFILMENT

    def req(item, opened_at, **kwargs):
        return request(service, customer, item=item, opened_at=opened_at, **kwargs)

    one = req(
        laptop,
        berlin(2026, 10, 3, 9),
        status=RequestStatus.FULFILLED,
        fulfilled_at=berlin(2026, 10, 3, 14),
    )
    clock(
        one,
        sla,
        metric=ful,
        started_at=berlin(2026, 10, 3, 9),
        stopped_at=berlin(2026, 10, 3, 14),
        target=16 * H,
    )
    two = req(
        laptop,
        berlin(2026, 10, 6, 8),
        status=RequestStatus.FULFILLED,
        fulfilled_at=berlin(2026, 10, 7, 4),
    )
    clock(
        two,
        sla,
        metric=ful,
        started_at=berlin(2026, 10, 6, 8),
        stopped_at=berlin(2026, 10, 7, 4),
        target=16 * H,
    )
    req(access, berlin(2026, 10, 7), status=RequestStatus.CANCELLED)
    # Opened in September, fulfilled in October after waiting 2 days on the customer: 10 h.
    old = req(
        access,
        berlin(2026, 9, 28, 8),
        status=RequestStatus.CLOSED,
        fulfilled_at=berlin(2026, 10, 2, 18),
        closed_at=berlin(2026, 10, 3),
    )
    clock(
        old,
        sla,
        metric=ful,
        started_at=berlin(2026, 9, 30, 8),
        stopped_at=berlin(2026, 10, 2, 18),
        pauses=[(berlin(2026, 9, 30, 12), berlin(2026, 10, 2, 12))],
        target=16 * H,
    )
    req(access, berlin(2026, 10, 9))

    sec = tickets.requests_section(scope_of(sla), NOW)
    assert (sec["key"], sec["number"]) == ("requests", 5)
    # Clocks: 5 h met, 20 h breached, 10 h met -> 2 of 3 on time; median 10 h.
    assert figures(sec) == {
        "Opened": 3,
        "Fulfilled": 3,
        "Cancelled": 1,
        "Fulfilled on time": "66.6 %",
        "Fulfilment clocks measured": 3,
        "Median fulfilment time": "10 h",
    }
    assert sec["tables"][0]["rows"] == [["Laptop", service.code, 2], ["Access", service.code, 1]]


# --- the sections together --------------------------------------------------------------------


def _build(sla, service, customer, count):
    for n in range(count):
        opened = berlin(2026, 10, 1 + n % 28, 9)
        ticket = incident(service, customer, priority=f"P{1 + n % 4}", opened_at=opened)
        clock(
            ticket,
            sla,
            metric=Metric.RESOLUTION,
            started_at=opened,
            stopped_at=opened + (n % 7) * H,
        )
        req = request(service, customer, opened_at=opened, fulfilled_at=opened + 3 * H)
        clock(req, sla, metric=Metric.FULFILMENT, started_at=opened, stopped_at=opened + 3 * H)


@pytest.mark.parametrize("scope_kind", ["agreement", "service", "provider"])
def test_queries_do_not_grow_with_the_tickets(scope_kind):
    sla, (service,), customer = report_sla()
    scope = {
        "agreement": scope_of(sla),
        "service": scope_of(service=service),
        "provider": scope_of(),
    }[scope_kind]

    def counts():
        found = []
        for function in tickets.SECTIONS:
            with CaptureQueriesContext(connection) as queries:
                function(scope, NOW)
            found.append(len(queries))
        return found

    _build(sla, service, customer, 3)
    few = counts()
    _build(sla, service, customer, 9)
    assert counts() == few
    assert figures(tickets.sla_section(scope, NOW))["Clocks measured"] == 24


def test_every_section_is_plain_json(october):
    import json

    sla, _, _ = october
    for function in tickets.SECTIONS:
        sec = function(scope_of(sla), NOW)
        assert json.loads(json.dumps(sec)) == sec
        assert sec["definition"] and sec["source"]
