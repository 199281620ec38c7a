"""Demo incidents and the bulk generator behind `accord demo --incidents N`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accord.agreements import clocks
from accord.agreements.models import TicketClock
from accord.incidents.demo import DEMO_INCIDENTS
from accord.incidents.models import Incident
from accord.incidents.selectors import clock_readings
from tests.factories import provider

pytestmark = pytest.mark.django_db


@pytest.mark.demo
def test_demo_loads_a_realistic_mix_and_generates_more_on_demand():
    call_command("demo", stdout=io.StringIO())
    assert Incident.objects.count() == DEMO_INCIDENTS
    statuses = set(Incident.objects.values_list("status", flat=True))
    assert {"new", "in_progress", "pending_customer", "resolved", "closed"} <= statuses
    assert {"P1", "P2", "P3", "P4"} <= set(Incident.objects.values_list("priority", flat=True))
    states = set(TicketClock.objects.values_list("state", flat=True))
    assert {"running", "paused", "met", "breached"} <= states

    out = io.StringIO()
    call_command("demo", "--incidents", "120", stdout=out)
    assert "120 incidents generated" in out.getvalue()
    assert Incident.objects.count() == DEMO_INCIDENTS + 120
    references = list(Incident.objects.values_list("reference", flat=True))
    assert len(set(references)) == len(references)

    # What the generator stored agrees with what the clock engine computes from the facts.
    now = timezone.now()
    for incident in Incident.objects.order_by("?")[:40]:
        for live in clock_readings(incident, now):
            assert live.clock.state in (live.state, "running", "paused") or (
                live.clock.state == "breached" and live.breached
            )
            if live.clock.stopped_at is not None:
                assert clocks.reading(live.clock, now).state == live.clock.state
        due = [
            c.due_at
            for c in TicketClock.objects.filter(incident=incident, stopped_at__isnull=True)
            if c.due_at is not None
        ]
        assert incident.sla_due_at == (min(due) if due else None)


@pytest.mark.demo
def test_generated_history_sends_no_flood_of_notices():
    from accord.agreements.escalation import escalate
    from accord.notifications.models import Notification

    call_command("demo", stdout=io.StringIO())
    assert TicketClock.objects.filter(state="breached", stopped_at__isnull=True).exists()
    escalate(timezone.now())
    assert Notification.objects.count() == 0


def test_generating_without_demo_data_is_refused_clearly():
    provider()  # data present: --if-empty loads nothing
    with pytest.raises(CommandError, match="load the demo data first"):
        call_command("demo", "--if-empty", "--incidents", "10", stdout=io.StringIO())
    assert not Incident.objects.exists()
