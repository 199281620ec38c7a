"""SLA, OLA and UC clocks on incidents through their whole life, with controlled time.

Office hours are Mon-Fri 09:00-17:00 Berlin; 2026-03-02 is a Monday. The SLA promises a first
response in 1h and resolution of P2 in 8h; the OLA of the service desk P2 in 6h; the UC of Acme
12h for every priority, and Acme's clock runs while the incident waits on Acme.
"""

from __future__ import annotations

import datetime as dt

import pytest

from accord.agreements.choices import ClockEventKind, ClockState
from accord.agreements.models import ClockEvent
from accord.incidents import selectors, services
from accord.incidents.models import Incident
from tests.factories import make_incident
from tests.incidents.conftest import berlin

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def readings(incident, now):
    """{(kind, metric): reading} of the incident's clocks at ``now``, cancelled ones left out."""
    return {
        (r.clock.agreement_kind, r.clock.metric): r
        for r in selectors.clock_readings(incident, now)
        if r.state != ClockState.CANCELLED
    }


def open_p2(desk, at, **kwargs):
    return make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=2,
        urgency=1,
        assignment_group=desk.team,
        now=at,
        **kwargs,
    )


def move(incident, actor, to, at, **kwargs):
    return services.incident_transition(actor=actor, incident=incident, to=to, now=at, **kwargs)


def test_clocks_follow_the_whole_lifecycle(desk):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    assert incident.reference.startswith("INC-")
    assert incident.priority == "P2"
    clocks = readings(incident, berlin(2026, 3, 2, 10, 0))
    assert set(clocks) == {("sla", "first_response"), ("sla", "resolution"), ("ola", "resolution")}
    assert clocks[("sla", "first_response")].due_at == berlin(2026, 3, 2, 11, 0)
    assert clocks[("sla", "resolution")].due_at == berlin(2026, 3, 3, 10, 0)
    assert clocks[("ola", "resolution")].due_at == berlin(2026, 3, 2, 16, 0)
    incident.refresh_from_db()
    assert incident.sla_due_at == berlin(2026, 3, 2, 11, 0)

    # The first public reply is the first response.
    services.comment_add(
        actor=desk.agent, incident=incident, body="Looking at it", now=berlin(2026, 3, 2, 10, 30)
    )
    response = readings(incident, berlin(2026, 3, 2, 10, 30))[("sla", "first_response")]
    assert response.state == ClockState.MET
    assert response.elapsed == dt.timedelta(minutes=30)

    # Waiting on the customer pauses the resolution clocks; the customer's reply resumes them.
    incident = move(incident, desk.agent, "pending_customer", berlin(2026, 3, 2, 12, 0))
    paused = readings(incident, berlin(2026, 3, 3, 9, 0))
    assert paused[("sla", "resolution")].state == ClockState.PAUSED
    assert paused[("sla", "resolution")].elapsed == 2 * H
    services.comment_add(
        actor=desk.caller, incident=incident, body="Here is the log", now=berlin(2026, 3, 3, 9, 30)
    )
    incident.refresh_from_db()
    assert incident.status == "in_progress"
    running = readings(incident, berlin(2026, 3, 3, 9, 30))
    assert running[("sla", "resolution")].due_at == berlin(2026, 3, 3, 15, 30)
    assert running[("ola", "resolution")].due_at == berlin(2026, 3, 3, 13, 30)

    # Resolving stops both: the SLA is met with 6.5h used, the OLA was breached at 13:30.
    incident = move(
        incident,
        desk.agent,
        "resolved",
        berlin(2026, 3, 3, 14, 0),
        resolution_code="permanent",
        resolution_notes="Quota raised",
    )
    done = readings(incident, berlin(2026, 3, 3, 14, 0))
    assert done[("sla", "resolution")].state == ClockState.MET
    assert done[("sla", "resolution")].elapsed == dt.timedelta(hours=6, minutes=30)
    assert done[("ola", "resolution")].state == ClockState.BREACHED
    assert incident.sla_breached is True or Incident.objects.get(pk=incident.pk).sla_breached

    # Reopened next morning: the night while resolved does not count; 1.5h are left.
    incident = move(incident, desk.caller, "in_progress", berlin(2026, 3, 4, 9, 0))
    assert incident.reopen_count == 1
    again = readings(incident, berlin(2026, 3, 4, 9, 0))
    assert again[("sla", "resolution")].state == ClockState.RUNNING
    assert again[("sla", "resolution")].due_at == berlin(2026, 3, 4, 10, 30)

    # Resolved late: breached. Reopened and resolved once more: still one breach, one clock.
    incident = move(
        incident,
        desk.agent,
        "resolved",
        berlin(2026, 3, 4, 11, 0),
        resolution_code="permanent",
        resolution_notes="Really fixed",
    )
    assert readings(incident, berlin(2026, 3, 4, 11, 0))[("sla", "resolution")].state == "breached"
    incident = move(incident, desk.caller, "in_progress", berlin(2026, 3, 5, 9, 0))
    incident = move(
        incident,
        desk.agent,
        "resolved",
        berlin(2026, 3, 5, 9, 10),
        resolution_code="permanent",
        resolution_notes="Done",
    )
    final = [
        r
        for r in selectors.clock_readings(incident, berlin(2026, 3, 5, 10, 0))
        if r.clock.agreement_kind == "sla" and r.clock.metric == "resolution"
    ]
    assert len(final) == 1
    assert final[0].state == ClockState.BREACHED
    assert final[0].breached is True
    assert incident.reopen_count == 2
    kinds = list(ClockEvent.objects.filter(clock=final[0].clock).values_list("kind", flat=True))
    assert kinds == [
        ClockEventKind.STARTED,
        ClockEventKind.PAUSED,
        ClockEventKind.RESUMED,
        ClockEventKind.STOPPED,
        ClockEventKind.REOPENED,
        ClockEventKind.STOPPED,
        ClockEventKind.REOPENED,
        ClockEventKind.STOPPED,
    ]


def test_moving_to_in_progress_is_the_first_response(desk):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    incident = move(incident, desk.agent, "in_progress", berlin(2026, 3, 2, 11, 30))
    assert incident.first_response_at == berlin(2026, 3, 2, 11, 30)
    response = readings(incident, berlin(2026, 3, 2, 12, 0))[("sla", "first_response")]
    assert response.state == ClockState.BREACHED  # 1.5h for a 1h promise
    assert response.due_at is None


def test_an_internal_note_is_not_a_response(desk):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    services.comment_add(
        actor=desk.agent,
        incident=incident,
        body="Checking the relay",
        is_public=False,
        now=berlin(2026, 3, 2, 10, 10),
    )
    incident.refresh_from_db()
    assert incident.first_response_at is None
    clock = readings(incident, berlin(2026, 3, 2, 10, 20))[("sla", "first_response")]
    assert clock.state == ClockState.RUNNING


def test_priority_change_retargets_and_keeps_history(desk):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    incident = services.incident_update(
        actor=desk.agent,
        incident=incident,
        data={"impact": 1},
        now=berlin(2026, 3, 2, 12, 0),
    )
    assert incident.priority == "P1"
    clocks = readings(incident, berlin(2026, 3, 2, 12, 0))
    # 2h used of the new 4h target: due at 14:00. The OLA has no P1 target: its clock ends.
    assert clocks[("sla", "resolution")].due_at == berlin(2026, 3, 2, 14, 0)
    assert clocks[("sla", "resolution")].clock.priority == "P1"
    assert ("ola", "resolution") not in clocks
    events = list(
        ClockEvent.objects.filter(clock=clocks[("sla", "resolution")].clock).values_list(
            "kind", "detail"
        )
    )
    assert events[0][0] == ClockEventKind.STARTED
    assert events[1][0] == ClockEventKind.RETARGETED
    assert events[1][1]["previous_target"] == "8:00:00"
    assert events[1][1]["target"] == "4:00:00"


def test_waiting_on_a_supplier_pauses_what_each_agreement_says(desk):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0), supplier=desk.supplier)
    assert ("uc", "resolution") in readings(incident, berlin(2026, 3, 2, 10, 0))
    incident = move(incident, desk.agent, "pending_supplier", berlin(2026, 3, 2, 11, 0))
    later = readings(incident, berlin(2026, 3, 2, 15, 0))
    assert later[("sla", "resolution")].state == ClockState.PAUSED
    assert later[("ola", "resolution")].state == ClockState.PAUSED
    assert later[("uc", "resolution")].state == ClockState.RUNNING
    assert later[("uc", "resolution")].elapsed == 5 * H


def test_another_team_moves_the_ola_clock(desk):
    from tests.factories import AgreementFactory, TargetFactory, TeamFactory, agent

    network = TeamFactory(code="NET", name="Network team")
    other = AgreementFactory(
        code="OLA-NET",
        kind="ola",
        organisation=desk.ola.organisation,
        team=network,
        calendar=desk.calendar,
        services=[desk.service],
    )
    TargetFactory(agreement=other, metric="resolution", priority="", duration=3 * H)
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    incident = services.incident_update(
        actor=desk.agent,
        incident=incident,
        data={"assignment_group": network, "assignee": agent(team=network)},
        now=berlin(2026, 3, 2, 11, 0),
    )
    assert incident.status == "assigned"
    clocks = readings(incident, berlin(2026, 3, 2, 11, 0))
    assert clocks[("ola", "resolution")].clock.agreement == other
    assert clocks[("ola", "resolution")].due_at == berlin(2026, 3, 2, 14, 0)


def test_cancelling_cancels_every_clock(desk):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    incident = move(
        incident,
        desk.agent,
        "cancelled",
        berlin(2026, 3, 2, 10, 5),
        resolution_notes="Raised twice",
    )
    states = {r.state for r in selectors.clock_readings(incident, berlin(2026, 3, 9, 10, 0))}
    assert states == {ClockState.CANCELLED}
    incident.refresh_from_db()
    assert incident.sla_due_at is None


def test_holidays_and_daylight_saving_through_a_real_calendar(desk):
    desk.calendar.holiday_country = "DE"
    desk.calendar.save()
    # Good Friday (3 April) and Easter Monday (6 April 2026) are closed.
    easter = open_p2(desk, berlin(2026, 4, 2, 16, 0))
    due = readings(easter, berlin(2026, 4, 2, 16, 0))[("sla", "resolution")].due_at
    assert due == berlin(2026, 4, 7, 16, 0)
    # Clocks go forward on 29 March 2026: the due instant is 16:00 summer time (14:00 UTC).
    spring = open_p2(desk, berlin(2026, 3, 27, 16, 0))
    due = readings(spring, berlin(2026, 3, 27, 16, 0))[("sla", "resolution")].due_at
    assert due == dt.datetime(2026, 3, 30, 14, 0, tzinfo=dt.UTC)


def test_breach_is_known_from_stored_instants_without_any_job(desk):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    clock = readings(incident, berlin(2026, 3, 3, 10, 1))[("sla", "resolution")]
    assert clock.clock.state == ClockState.RUNNING  # nothing has updated the stored reading
    assert clock.state == ClockState.BREACHED
    assert clock.remaining == dt.timedelta(0)


def test_no_agreement_no_clock(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller, now=berlin(2026, 3, 2, 10, 0))
    assert selectors.clock_readings(incident, berlin(2026, 3, 2, 10, 0)) == []
