"""Re-targeting open incidents after a calendar edit or an agreement's termination: right at
once when read, stored readings caught up in resumable background batches."""

from __future__ import annotations

import pytest

from accord.agreements import retarget
from accord.agreements.choices import ClockState
from accord.agreements.models import RetargetRun, TicketClock
from accord.agreements.services import agreement_terminate, calendar_update
from accord.incidents import selectors
from accord.incidents.models import Incident
from tests.factories import make_incident
from tests.incidents.conftest import berlin

pytestmark = pytest.mark.django_db

LONGER_DAYS = {str(day): [["08:00", "18:00"]] for day in range(5)}


def open_p2(desk, at):
    incident = make_incident(
        actor=desk.agent, caller=desk.caller, service=desk.service, impact=2, urgency=1, now=at
    )
    return incident


def sla_resolution(incident):
    return TicketClock.objects.get(incident=incident, agreement_kind="sla", metric="resolution")


def test_calendar_edit_is_right_at_once_and_stored_after_the_run(desk):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    assert sla_resolution(incident).due_at == berlin(2026, 3, 3, 10, 0)

    calendar_update(actor=None, calendar=desk.calendar, data={"weekly_hours": LONGER_DAYS})
    run = RetargetRun.objects.get()
    assert run.status == RetargetRun.Status.PENDING  # nothing ran inside the save

    # Read now: 8h from Monday 10:00 in 08:00-18:00 days ends at 18:00 the same day.
    live = {
        (r.clock.agreement_kind, r.clock.metric): r
        for r in selectors.clock_readings(incident, berlin(2026, 3, 2, 10, 0))
    }
    assert live[("sla", "resolution")].due_at == berlin(2026, 3, 2, 18, 0)
    assert sla_resolution(incident).due_at == berlin(2026, 3, 3, 10, 0)  # stored: not yet

    retarget.process_run(run.pk, now=berlin(2026, 3, 2, 10, 5))
    run.refresh_from_db()
    assert run.status == RetargetRun.Status.DONE
    assert run.processed == 2  # first response and resolution
    assert sla_resolution(incident).due_at == berlin(2026, 3, 2, 18, 0)
    assert Incident.objects.get(pk=incident.pk).sla_due_at == berlin(2026, 3, 2, 11, 0)


def test_an_interrupted_run_resumes_where_it_stopped(desk):
    incidents = [open_p2(desk, berlin(2026, 3, 2, 9, n)) for n in range(5)]
    calendar_update(actor=None, calendar=desk.calendar, data={"weekly_hours": LONGER_DAYS})
    run = RetargetRun.objects.get()

    retarget.process_run(run.pk, now=berlin(2026, 3, 2, 11, 0), batch_size=3, max_batches=1)
    run.refresh_from_db()
    assert (run.status, run.processed) == (RetargetRun.Status.RUNNING, 3)
    first_pass = run.last_clock_id

    assert retarget.resume_runs(now=berlin(2026, 3, 2, 11, 0)) == 1
    run.refresh_from_db()
    assert run.status == RetargetRun.Status.DONE
    assert run.processed == 10
    assert run.last_clock_id > first_pass
    for number, incident in enumerate(incidents):
        assert sla_resolution(incident).due_at == berlin(2026, 3, 2, 17, number)


def test_renaming_a_calendar_queues_nothing(desk):
    calendar_update(actor=None, calendar=desk.calendar, data={"name": "Berlin office hours"})
    assert not RetargetRun.objects.exists()


def test_terminating_an_agreement_cancels_its_open_clocks(desk):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    resolved_elsewhere = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    agreement_terminate(actor=None, agreement=desk.sla, now=berlin(2026, 3, 2, 12, 0))
    run = RetargetRun.objects.get(reason=RetargetRun.Reason.AGREEMENT_TERMINATED)
    retarget.process_run(run.pk, now=berlin(2026, 3, 2, 12, 0))
    assert sla_resolution(incident).state == ClockState.CANCELLED
    assert sla_resolution(resolved_elsewhere).state == ClockState.CANCELLED
    # The OLA of the team is untouched.
    assert Incident.objects.get(pk=incident.pk).sla_due_at is None
    assert (
        TicketClock.objects.filter(incident=incident, agreement_kind="sla")
        .exclude(state=ClockState.CANCELLED)
        .count()
        == 0
    )


def test_a_failing_run_is_kept_and_does_not_stop_the_others(desk, monkeypatch):
    open_p2(desk, berlin(2026, 3, 2, 10, 0))
    calendar_update(actor=None, calendar=desk.calendar, data={"weekly_hours": LONGER_DAYS})
    agreement_terminate(actor=None, agreement=desk.uc, now=berlin(2026, 3, 2, 12, 0))
    broken, fine = RetargetRun.objects.order_by("pk")
    real = retarget.clocks.refresh_clocks

    def fail(*args, **kwargs):
        raise RuntimeError("calendar table unreadable")

    monkeypatch.setattr(retarget.clocks, "refresh_clocks", fail)
    assert retarget.resume_runs(now=berlin(2026, 3, 2, 12, 0)) == 1
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == RetargetRun.Status.FAILED
    assert "unreadable" in broken.error
    assert fine.status == RetargetRun.Status.DONE
    monkeypatch.setattr(retarget.clocks, "refresh_clocks", real)
