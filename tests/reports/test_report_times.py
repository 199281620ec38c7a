"""Response and resolution times computed in the database: the median and 90th percentile
ranked by window functions over the business time each clock stored when it stopped equal
the nearest-rank figures computed in Python, a reopened ticket counts once, and the report's
number of queries does not grow with its tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.agreements.choices import ClockState, Metric
from accord.agreements.models import TicketClock
from accord.incidents import services
from accord.reports.builder import build_report
from accord.reports.sections import tickets
from accord.reports.sections.tickets import nearest_rank, percentiles
from tests.factories import make_incident
from tests.incidents.conftest import desk  # noqa: F401  (the fixture)
from tests.reports.factories import berlin, clock, incident, report_sla, request, scope_of

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
NOW = berlin(2026, 11, 5, 12, 0)
GROUPS = [
    (Metric.FIRST_RESPONSE, "P1"),
    (Metric.FIRST_RESPONSE, "P3"),
    (Metric.RESOLUTION, "P1"),
    (Metric.RESOLUTION, "P2"),
    (Metric.FULFILMENT, "P4"),
]


@pytest.fixture
def ticket():
    sla, (service,), customer = report_sla()
    return sla, incident(service, customer, opened_at=berlin(2026, 10, 1))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(range(len(GROUPS))),
            st.integers(min_value=0, max_value=10**6),  # seconds, many ties among small lists
        ),
        min_size=0,
        max_size=40,
    )
)
def test_database_median_and_90th_percentile_equal_nearest_rank(ticket, drawn):
    sla, inc = ticket
    TicketClock.objects.all().delete()
    started = berlin(2026, 10, 1)
    TicketClock.objects.bulk_create(
        TicketClock(
            content_type=ContentType.objects.get_for_model(inc),
            object_id=inc.pk,
            organisation=inc.organisation,
            agreement=sla,
            agreement_kind=sla.kind,
            metric=GROUPS[group][0],
            priority=GROUPS[group][1],
            target_duration=H,
            warning_threshold="0.8",
            started_at=started,
            stopped_at=started + dt.timedelta(seconds=seconds),
            state=ClockState.MET,
            elapsed=dt.timedelta(seconds=seconds),
        )
        for group, seconds in drawn
    )
    by_group, by_metric = percentiles(TicketClock.objects.filter(agreement=sla))
    expected: dict[tuple[str, str], list[dt.timedelta]] = {}
    for group, seconds in drawn:
        expected.setdefault(GROUPS[group], []).append(dt.timedelta(seconds=seconds))
    assert set(by_group) == set(expected)
    for key, values in expected.items():
        spread = by_group[key]
        assert spread.count == len(values)
        assert spread.median == nearest_rank(values, 50)
        assert spread.p90 == nearest_rank(values, 90)
    for metric in {m for m, _ in GROUPS}:
        values = [v for (m, _), vs in expected.items() if m == metric for v in vs]
        if values:
            assert by_metric[metric].count == len(values)
            assert by_metric[metric].median == nearest_rank(values, 50)
        else:
            assert metric not in by_metric


def test_a_clock_without_stored_business_time_is_not_ranked(ticket):
    sla, inc = ticket
    stopped = clock(
        inc,
        sla,
        metric=Metric.RESOLUTION,
        started_at=berlin(2026, 10, 2),
        stopped_at=berlin(2026, 10, 2, 3),
    )
    # A row written around the clock service (an import, say) carries no business time.
    TicketClock.objects.filter(pk=stopped.pk).update(elapsed=None, final_due_at=None)
    assert percentiles(TicketClock.objects.filter(agreement=sla)) == ({}, {})


def resolve(incident, desk, at):  # noqa: F811
    return services.incident_transition(
        actor=desk.agent,
        incident=incident,
        to="resolved",
        now=at,
        resolution_code="permanent",
        resolution_notes="Done",
    )


def test_a_reopened_ticket_counts_once_with_its_business_time_to_the_last_stop(desk):  # noqa: F811
    # Berlin office hours; Monday 2 March 2026. Resolved after 2 h, reopened the next morning,
    # resolved again 3 h later: one resolution clock of 5 business hours.
    made = make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=2,
        urgency=1,
        now=berlin(2026, 3, 2, 10),
    )
    made = resolve(made, desk, berlin(2026, 3, 2, 12))
    made = services.incident_transition(
        actor=desk.caller, incident=made, to="in_progress", now=berlin(2026, 3, 3, 9)
    )
    resolve(made, desk, berlin(2026, 3, 3, 12))
    scope = scope_of(desk.sla, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    times = tickets.times_section(scope, berlin(2026, 4, 2, 9))
    rows = {(r[0], r[1]): r[2:] for r in times["tables"][0]["rows"]}
    assert rows[("Resolution", "P2")] == [1, "5 h", "5 h"]
    sla = tickets.sla_section(scope, berlin(2026, 4, 2, 9))
    assert dict(sla["figures"])["Clocks measured"] == 2  # first response and resolution


def test_the_breach_list_reads_the_due_instant_and_lateness_each_clock_stored(ticket):
    sla, inc = ticket
    late = clock(
        inc,
        sla,
        metric=Metric.RESOLUTION,
        started_at=berlin(2026, 10, 7, 10),
        stopped_at=berlin(2026, 10, 7, 16),
        target=4 * H,
    )
    late.elapsed, late.final_due_at = 6 * H, berlin(2026, 10, 7, 14)
    late.save(update_fields=["elapsed", "final_due_at"])
    sec = tickets.sla_section(scope_of(sla), NOW)
    assert sec["tables"][1]["rows"] == [
        [inc.reference, "P3", "Resolution", "2026-10-07 14:00", "2026-10-07 16:00", "2 h"]
    ]
    assert sec["tables"][1]["more"] == 0


def _tickets(sla, service, customer, count):
    for n in range(count):
        opened = berlin(2026, 10, 1 + n % 28, 9)
        inc = incident(service, customer, priority=f"P{1 + n % 4}", opened_at=opened)
        row = clock(
            inc, sla, metric=Metric.RESOLUTION, started_at=opened, stopped_at=opened + n % 9 * H
        )
        row.elapsed = n % 9 * H
        row.save(update_fields=["elapsed"])
        req = request(service, customer, opened_at=opened, fulfilled_at=opened + 3 * H)
        row = clock(req, sla, metric=Metric.FULFILMENT, started_at=opened, stopped_at=opened)
        row.elapsed = dt.timedelta(0)
        row.save(update_fields=["elapsed"])


def test_the_report_runs_as_many_queries_for_30_tickets_as_for_3():
    sla, (service,), customer = report_sla()
    scope = scope_of(sla)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            build_report(scope, NOW)
        return len(captured)

    _tickets(sla, service, customer, 3)
    few = queries()
    _tickets(sla, service, customer, 27)
    assert queries() == few
    report = build_report(scope, NOW)
    times = next(s for s in report["sections"] if s["key"] == "times")
    assert sum(r[2] for r in times["tables"][0]["rows"]) == 60
