"""The business time a clock used and its final due instant, stored when the clock stops (met,
breached or cancelled) so that reports can rank clocks in the database: each stored figure is
the live reading of the clock at the instant it stopped, and a reopening clears it until the
next stop.

Office hours Mon-Fri 09:00-17:00 Berlin; 2026-03-02 is a Monday. SLA: first response 1 h,
resolution P2 8 h; OLA of the desk: resolution P2 6 h (see ``tests/incidents/conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from accord.agreements import clocks
from accord.agreements.choices import ClockState, Metric
from accord.agreements.models import TicketClock
from accord.incidents import services
from tests.factories import make_incident
from tests.incidents.conftest import berlin, desk  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
BACKFILL = importlib.import_module(
    "accord.agreements.migrations.0007_ticketclock_elapsed_ticketclock_final_due_at_and_more"
)


def open_p2(desk, at):  # noqa: F811
    return make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=2,
        urgency=1,
        assignment_group=desk.team,
        now=at,
    )


def move(incident, actor, to, at, **kwargs):
    return services.incident_transition(actor=actor, incident=incident, to=to, now=at, **kwargs)


def resolve(incident, desk, at):  # noqa: F811
    return move(
        incident, desk.agent, "resolved", at, resolution_code="permanent", resolution_notes="Done"
    )


def by_kind(incident) -> dict[tuple[str, str], TicketClock]:
    return {
        (c.agreement_kind, c.metric): c
        for c in TicketClock.objects.filter(incident=incident).select_related("agreement__calendar")
    }


def live(incident, at) -> dict[tuple[str, str], clocks.Reading]:
    """The live readings of the incident's clocks at ``at`` (before anything stops them)."""
    return {key: clocks.reading(clock, at) for key, clock in by_kind(incident).items()}


def test_met_breached_and_paused_then_met_store_the_reading_at_the_stop(desk):  # noqa: F811
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    assert all(c.elapsed is None and c.final_due_at is None for c in by_kind(incident).values())

    # First response met after 30 minutes.
    before = live(incident, berlin(2026, 3, 2, 10, 30))[("sla", Metric.FIRST_RESPONSE)]
    services.comment_add(
        actor=desk.agent, incident=incident, body="On it", now=berlin(2026, 3, 2, 10, 30)
    )
    response = by_kind(incident)[("sla", Metric.FIRST_RESPONSE)]
    assert response.state == ClockState.MET
    assert response.elapsed == before.elapsed == dt.timedelta(minutes=30)
    assert response.final_due_at == before.due_at == berlin(2026, 3, 2, 11, 0)
    assert response.due_at is None  # the reading queues sort by is gone once stopped

    # Paused overnight while waiting on the customer, then resolved: SLA met, OLA breached.
    incident = move(incident, desk.agent, "pending_customer", berlin(2026, 3, 2, 12, 0))
    services.comment_add(
        actor=desk.caller, incident=incident, body="Log", now=berlin(2026, 3, 3, 9, 30)
    )
    incident.refresh_from_db()
    before = live(incident, berlin(2026, 3, 3, 14, 0))
    resolve(incident, desk, berlin(2026, 3, 3, 14, 0))
    after = by_kind(incident)
    sla, ola = after[("sla", Metric.RESOLUTION)], after[("ola", Metric.RESOLUTION)]
    assert sla.state == ClockState.MET
    assert sla.elapsed == before[("sla", Metric.RESOLUTION)].elapsed == dt.timedelta(hours=6.5)
    assert sla.final_due_at == before[("sla", Metric.RESOLUTION)].due_at
    assert sla.final_due_at == berlin(2026, 3, 3, 15, 30)
    assert ola.state == ClockState.BREACHED
    assert ola.elapsed == before[("ola", Metric.RESOLUTION)].elapsed == dt.timedelta(hours=6.5)
    assert ola.final_due_at == berlin(2026, 3, 3, 13, 30)
    # The stored figures are the live reading of the stopped clock at any later instant too.
    later = clocks.reading(sla, berlin(2026, 4, 1, 12, 0))
    assert later.elapsed == sla.elapsed


def test_reopening_clears_and_the_next_stop_sets_them_again(desk):  # noqa: F811
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    incident = resolve(incident, desk, berlin(2026, 3, 2, 12, 0))
    assert by_kind(incident)[("sla", Metric.RESOLUTION)].elapsed == 2 * H

    incident = move(incident, desk.caller, "in_progress", berlin(2026, 3, 3, 9, 0))
    reopened = by_kind(incident)[("sla", Metric.RESOLUTION)]
    assert reopened.state == ClockState.RUNNING
    assert (reopened.elapsed, reopened.final_due_at) == (None, None)
    # The met first response is not reopened: it keeps its figures.
    assert by_kind(incident)[("sla", Metric.FIRST_RESPONSE)].elapsed is not None

    before = live(incident, berlin(2026, 3, 3, 11, 0))[("sla", Metric.RESOLUTION)]
    resolve(incident, desk, berlin(2026, 3, 3, 11, 0))
    again = by_kind(incident)[("sla", Metric.RESOLUTION)]
    # 2 h before the reopening and 2 h after it; the night while resolved does not count.
    assert again.elapsed == before.elapsed == 4 * H
    assert again.final_due_at == before.due_at == berlin(2026, 3, 3, 15, 0)
    assert TicketClock.objects.filter(incident=incident, metric=Metric.RESOLUTION).count() == 2


def test_a_cancelled_clock_keeps_the_business_time_used_before_it(desk):  # noqa: F811
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    before = live(incident, berlin(2026, 3, 2, 15, 0))
    move(incident, desk.agent, "cancelled", berlin(2026, 3, 2, 15, 0), resolution_notes="Dup")
    for key, clock in by_kind(incident).items():
        assert clock.state == ClockState.CANCELLED
        assert clock.elapsed == before[key].elapsed == 5 * H
        assert clock.final_due_at == before[key].due_at
    assert by_kind(incident)[("sla", Metric.RESOLUTION)].final_due_at == berlin(2026, 3, 3, 10)


def test_the_migration_backfills_stopped_clocks_as_the_clock_service_stores_them(desk):  # noqa: F811
    first = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    move(first, desk.agent, "pending_customer", berlin(2026, 3, 2, 11, 0))
    first.refresh_from_db()
    first = move(first, desk.agent, "in_progress", berlin(2026, 3, 4, 10, 0))
    resolve(first, desk, berlin(2026, 3, 5, 16, 0))
    second = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    move(second, desk.agent, "cancelled", berlin(2026, 3, 3, 10, 0), resolution_notes="Dup")
    open_p2(desk, berlin(2026, 3, 6, 10, 0))  # still running
    stored = {c.pk: (c.elapsed, c.final_due_at) for c in TicketClock.objects.all()}
    assert sum(1 for v in stored.values() if v[0] is not None) == 6

    TicketClock.objects.update(elapsed=None, final_due_at=None)
    filled, skipped = BACKFILL.backfill_stop_readings(TicketClock, batch_size=4)
    assert (filled, skipped) == (6, 0)
    assert {c.pk: (c.elapsed, c.final_due_at) for c in TicketClock.objects.all()} == stored
    # Running again changes nothing.
    assert BACKFILL.backfill_stop_readings(TicketClock) == (0, 0)


def test_the_backfill_leaves_clocks_it_cannot_read_empty(desk):  # noqa: F811
    incident = resolve(open_p2(desk, berlin(2026, 3, 2, 10, 0)), desk, berlin(2026, 3, 2, 12, 0))
    broken = by_kind(incident)[("sla", Metric.RESOLUTION)]
    # A pause after the stop: the domain refuses such facts.
    TicketClock.objects.filter(pk=broken.pk).update(
        elapsed=None,
        pauses=[["2026-03-09T10:00:00+00:00", "2026-03-09T11:00:00+00:00"]],
    )
    assert BACKFILL.backfill_stop_readings(TicketClock) == (0, 1)
    assert TicketClock.objects.get(pk=broken.pk).elapsed is None
