"""Escalation of incident clocks and major incidents, delivered to a real SMTP server.

Office hours are Mon-Fri 09:00-17:00 Berlin; 2026-03-02 is a Monday. A P2 incident opened at
10:00 has an SLA first response due at 11:00 (warning at 80%: 10:48), an OLA resolution due at
16:00 (warning 14:48) and an SLA resolution due Tuesday 10:00 (warning Monday 16:24).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import connection, connections

from accord.agreements import escalation
from accord.agreements.choices import ClockEventKind, ClockState, Metric
from accord.agreements.models import ClockEvent, TicketClock
from accord.agreements.tasks import escalate_clocks
from accord.core.choices import AuditAction, Role
from accord.core.models import AuditEvent, Organisation, Person
from accord.incidents import services
from accord.incidents.models import Incident
from accord.incidents.notifications import notify_major_declared
from accord.notifications.choices import MailStatus, NotificationKind
from accord.notifications.models import Notification, OutboundMail
from accord.notifications.services import send_outbox
from tests.factories import OrganisationFactory, PersonFactory, agent, make_incident, provider
from tests.incidents.conftest import berlin
from tests.notifications.smtp import smtp_server

ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _caller_without_mail(desk):
    """These tests count the provider's internal notices; the caller's own mails about their
    incident (received, resolved, surveyed) are the subject of test_customer_mails.py."""
    Person.objects.filter(pk=desk.caller.pk).update(email="")
    desk.caller.email = ""


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as server:
        yield server


@dataclass
class Staff:
    assignee: Person
    lead: Person
    manager: Person
    manager_without_mail: Person
    member: Person
    top: Person
    inactive_manager: Person
    other_org_manager: Person
    customer_with_role: Person
    caller: Person

    @property
    def escalated(self) -> set[str]:
        """Who must hear about an incident clock: assignee, group lead, incident managers."""
        return {p.username for p in (self.assignee, self.lead, self.manager)} | {
            self.manager_without_mail.username
        }


@pytest.fixture
def staff(desk) -> Staff:
    lead = agent(team=desk.team, username="lena")
    desk.team.lead = lead
    desk.team.save()
    other = OrganisationFactory(kind="customer", code="FABRIKAM", name="Fabrikam")
    scoped = PersonFactory(username="otto", organisation=provider())
    scoped.role_assignments.create(role=Role.INCIDENT_MANAGER, organisation=other)
    inactive = PersonFactory(username="ines", roles=[Role.INCIDENT_MANAGER], is_active=False)
    return Staff(
        assignee=desk.agent,
        lead=lead,
        manager=desk.manager,
        manager_without_mail=PersonFactory(
            username="nora", email="", roles=[Role.INCIDENT_MANAGER]
        ),
        member=agent(team=desk.team, username="bob"),
        top=PersonFactory(username="tom", roles=[Role.TOP_MANAGEMENT]),
        inactive_manager=inactive,
        other_org_manager=scoped,
        # A customer given a provider role by mistake still never reads internal escalations.
        customer_with_role=PersonFactory(
            username="mallory", organisation=desk.customer, roles=[Role.INCIDENT_MANAGER]
        ),
        caller=desk.caller,
    )


def open_p2(desk, at=None, **kwargs) -> Incident:
    return make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=2,
        urgency=1,
        assignment_group=desk.team,
        assignee=desk.agent,
        now=at or berlin(2026, 3, 2, 10, 0),
        **kwargs,
    )


def clock_of(incident: Incident, kind: str, metric: str) -> TicketClock:
    return TicketClock.objects.get(
        incident=incident, agreement_kind=kind, metric=metric, stopped_at__isnull=True
    )


def notified(kind: str, clock: TicketClock | None = None) -> Counter[str]:
    """How many notifications of ``kind`` each person got (about ``clock``)."""
    rows = Notification.objects.filter(kind=kind)
    if clock is not None:
        rows = rows.filter(clock=clock)
    return Counter(rows.values_list("recipient__username", flat=True))


def deliver(now: dt.datetime) -> None:
    """Run the outbox until nothing is due as of ``now``."""
    while send_outbox(now).claimed:
        pass


# --- exactly once -------------------------------------------------------------------------------


def test_warning_then_breach_each_arrive_once_when_the_job_runs_twice(desk, staff, smtp):
    incident = open_p2(desk)
    first_response = clock_of(incident, "sla", Metric.FIRST_RESPONSE)

    for _ in range(2):
        result = escalation.escalate(berlin(2026, 3, 2, 10, 50))
        deliver(berlin(2026, 3, 2, 10, 51))
    assert notified(NotificationKind.SLA_WARNING, first_response) == dict.fromkeys(
        staff.escalated, 1
    )
    assert result.warnings == 0  # the second pass found nothing left to do
    warnings = smtp.messages()
    assert sorted(m.to[0] for m in warnings) == sorted(
        p.email for p in (staff.assignee, staff.lead, staff.manager)
    )

    for _ in range(2):
        escalation.escalate(berlin(2026, 3, 2, 11, 5))
        deliver(berlin(2026, 3, 2, 11, 6))
    assert notified(NotificationKind.SLA_BREACH, first_response) == dict.fromkeys(
        staff.escalated, 1
    )

    received = smtp.messages()
    assert len(received) == 6
    assert set(smtp.ids().values()) == {1}, "every Message-ID arrived once"
    for person in (staff.assignee, staff.lead, staff.manager):
        subjects = sorted(m.subject.split(":")[0] for m in smtp.to(person.email))
        assert subjects == ["SLA breached", "SLA warning"]
    assert all(m.auto_submitted == "auto-generated" for m in received)

    events = Counter(first_response.events.values_list("kind", flat=True))
    assert events[ClockEventKind.WARNING] == 1
    assert events[ClockEventKind.BREACHED] == 1
    first_response.refresh_from_db()
    assert first_response.warning_notified_at == berlin(2026, 3, 2, 10, 50)
    assert first_response.breach_notified_at == berlin(2026, 3, 2, 11, 5)
    assert first_response.state == ClockState.BREACHED
    assert first_response.breached is True
    assert Incident.objects.get(pk=incident.pk).sla_breached is True  # queues see it at once
    # The other clocks have not reached anything yet.
    assert not Notification.objects.exclude(clock=first_response).exists()
    assert OutboundMail.objects.exclude(status=MailStatus.SENT).count() == 0


def test_the_mail_says_which_incident_agreement_and_target(desk, staff, smtp):
    incident = open_p2(desk)
    escalation.escalate(berlin(2026, 3, 2, 10, 50))
    escalation.escalate(berlin(2026, 3, 2, 11, 30))
    deliver(berlin(2026, 3, 2, 11, 31))

    warning, breach = sorted(smtp.to(staff.manager.email), key=lambda m: m.subject)[::-1]
    assert warning.subject == (
        f"SLA warning: {incident.reference} first response — Mail does not arrive"
    )
    for text in (
        f"Incident: {incident.reference} Mail does not arrive",
        "Agreement: SLA-CONTOSO",
        "Target: First response, P2: 1 h 00 min of business time",
        "Due: Mon 02 Mar 2026 11:00 CET (Europe/Berlin); 2026-03-02 10:00 UTC",
        "used 83% of its time (warning at 80%)",
        "Remaining: 10 min",
        f"/incidents/{incident.pk}/",
    ):
        assert text in warning.body, text
    assert breach.subject.startswith(f"SLA breached: {incident.reference} first response")
    assert "has been breached" in breach.body
    assert "Overrun: 30 min" in breach.body
    note = Notification.objects.get(recipient=staff.manager, kind=NotificationKind.SLA_BREACH)
    assert note.link == f"/incidents/{incident.pk}/"
    assert note.source == incident
    assert note.organisation == desk.customer


def test_a_late_job_sends_the_breach_only(desk, staff, smtp):
    incident = open_p2(desk)
    escalation.escalate(berlin(2026, 3, 2, 11, 5))  # first pass after the due instant
    escalation.escalate(berlin(2026, 3, 2, 11, 10))
    deliver(berlin(2026, 3, 2, 11, 10))

    clock = clock_of(incident, "sla", Metric.FIRST_RESPONSE)
    assert notified(NotificationKind.SLA_WARNING) == {}
    assert notified(NotificationKind.SLA_BREACH, clock) == dict.fromkeys(staff.escalated, 1)
    assert {m.subject.split(":")[0] for m in smtp.messages()} == {"SLA breached"}
    clock.refresh_from_db()
    assert clock.warning_notified_at == clock.breach_notified_at == berlin(2026, 3, 2, 11, 5)


def test_each_clock_escalates_on_its_own(desk, staff, smtp):
    incident = open_p2(desk)
    services.comment_add(
        actor=desk.agent, incident=incident, body="On it", now=berlin(2026, 3, 2, 10, 20)
    )
    result = escalation.escalate(berlin(2026, 3, 2, 16, 30))
    deliver(berlin(2026, 3, 2, 16, 30))

    # OLA breached at 16:00; SLA resolution warned at 16:24; first response met at 10:20.
    assert (result.warnings, result.breaches) == (1, 1)
    ola = clock_of(incident, "ola", Metric.RESOLUTION)
    sla = clock_of(incident, "sla", Metric.RESOLUTION)
    assert notified(NotificationKind.SLA_BREACH, ola) == dict.fromkeys(staff.escalated, 1)
    assert notified(NotificationKind.SLA_WARNING, sla) == dict.fromkeys(staff.escalated, 1)
    assert Counter(m.subject.split(":")[0] for m in smtp.messages()) == {
        "OLA breached": 3,
        "SLA warning": 3,
    }
    event = ClockEvent.objects.get(clock=ola, kind=ClockEventKind.BREACHED)
    assert event.at == berlin(2026, 3, 2, 16, 0)
    event = ClockEvent.objects.get(clock=sla, kind=ClockEventKind.WARNING)
    assert event.at == berlin(2026, 3, 2, 16, 24)


def test_escalation_is_audited_as_a_job(desk, staff):
    incident = open_p2(desk)
    escalate_clocks.apply()  # the scheduled task, at the real now: far past every due instant
    clock = clock_of(incident, "sla", Metric.FIRST_RESPONSE)
    event = AuditEvent.objects.get(object_type="agreements.ticketclock", object_id=str(clock.pk))
    assert event.door == "job"
    assert event.action == AuditAction.TRANSITION
    assert event.organisation_id == desk.customer.pk
    assert set(event.changes) == {"state", "warning_notified_at", "breach_notified_at"}


@pytest.mark.django_db(transaction=True)
def test_two_racing_runs_notify_once(desk, staff, smtp):
    """Two passes (and two outbox workers) at once: threads with their own connections on
    PostgreSQL, where row locks and SKIP LOCKED decide; SQLite makes them take turns."""
    incidents = [open_p2(desk) for _ in range(3)]
    now = berlin(2026, 3, 2, 11, 5)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    passes: list[escalation.EscalationResult] = []

    def escalate() -> None:
        passes.append(escalation.escalate(now))

    for job in (escalate, lambda: deliver(now)):
        threads = [threading.Thread(target=run, args=(job,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors

    assert [p.errors for p in passes] == [0, 0]
    assert sum(p.breaches for p in passes) == 3  # each clock breached once, by one pass or other
    for incident in incidents:
        clock = clock_of(incident, "sla", Metric.FIRST_RESPONSE)
        assert notified(NotificationKind.SLA_BREACH, clock) == dict.fromkeys(staff.escalated, 1)
        assert clock.events.filter(kind=ClockEventKind.BREACHED).count() == 1
    received = smtp.messages()
    assert len(received) == 3 * 3
    assert set(smtp.ids().values()) == {1}


def test_a_run_that_dies_half_way_leaves_nothing_and_the_next_run_does_it_once(
    desk, staff, smtp, monkeypatch
):
    incident = open_p2(desk)
    real_notify = escalation.notify

    def dies(**kwargs):
        real_notify(**kwargs)  # the notices are written, then the worker fails
        raise RuntimeError("worker lost")

    monkeypatch.setattr(escalation, "notify", dies)
    failed = escalation.escalate(berlin(2026, 3, 2, 11, 5))
    assert failed.errors == 1
    clock = clock_of(incident, "sla", Metric.FIRST_RESPONSE)
    assert (clock.warning_notified_at, clock.breach_notified_at) == (None, None)
    assert not clock.events.filter(kind=ClockEventKind.BREACHED).exists()
    assert not Notification.objects.exists()
    assert not OutboundMail.objects.exists()

    monkeypatch.setattr(escalation, "notify", real_notify)
    escalation.escalate(berlin(2026, 3, 2, 11, 6))
    escalation.escalate(berlin(2026, 3, 2, 11, 7))
    deliver(berlin(2026, 3, 2, 11, 7))
    assert notified(NotificationKind.SLA_BREACH, clock) == dict.fromkeys(staff.escalated, 1)
    assert len(smtp.messages()) == 3
    assert set(smtp.ids().values()) == {1}


# --- what must not be told ----------------------------------------------------------------------


def test_a_paused_clock_short_of_its_threshold_gets_nothing(desk, staff, smtp):
    incident = open_p2(desk)
    services.incident_transition(
        actor=desk.agent, incident=incident, to="pending_customer", now=berlin(2026, 3, 2, 10, 30)
    )
    clock = clock_of(incident, "sla", Metric.FIRST_RESPONSE)
    assert clock.state == ClockState.PAUSED
    # Stale stored readings say the threshold passed; the facts say 50% used, then paused.
    TicketClock.objects.filter(pk=clock.pk).update(
        state=ClockState.RUNNING,
        warning_at=berlin(2026, 3, 2, 10, 48),
        due_at=berlin(2026, 3, 2, 11, 0),
    )

    result = escalation.escalate(berlin(2026, 3, 3, 12, 0))
    deliver(berlin(2026, 3, 3, 12, 0))

    assert result.examined == 1
    assert (result.warnings, result.breaches) == (0, 0)
    assert not Notification.objects.exists()
    assert smtp.messages() == []
    clock.refresh_from_db()
    assert (clock.state, clock.warning_at, clock.due_at) == (ClockState.PAUSED, None, None)
    assert clock.warning_notified_at is None
    # Refreshed readings keep it out of the next scan.
    assert escalation.escalate(berlin(2026, 3, 3, 12, 5)).examined == 0


def test_a_paused_clock_that_had_reached_its_warning_is_warned(desk, staff, smtp):
    incident = open_p2(desk)
    services.incident_transition(
        actor=desk.agent, incident=incident, to="pending_customer", now=berlin(2026, 3, 2, 10, 50)
    )
    clock = clock_of(incident, "sla", Metric.FIRST_RESPONSE)
    TicketClock.objects.filter(pk=clock.pk).update(
        state=ClockState.RUNNING, warning_at=berlin(2026, 3, 2, 10, 48)
    )
    escalation.escalate(berlin(2026, 3, 2, 12, 0))
    assert notified(NotificationKind.SLA_WARNING, clock) == dict.fromkeys(staff.escalated, 1)
    assert notified(NotificationKind.SLA_BREACH) == {}


def test_a_stopped_clock_gets_nothing(desk, staff, smtp):
    incident = open_p2(desk)
    services.comment_add(
        actor=desk.agent, incident=incident, body="On it", now=berlin(2026, 3, 2, 10, 30)
    )
    clock = TicketClock.objects.get(incident=incident, metric=Metric.FIRST_RESPONSE)
    assert clock.stopped_at is not None
    TicketClock.objects.filter(pk=clock.pk).update(
        warning_at=berlin(2026, 3, 2, 10, 48), due_at=berlin(2026, 3, 2, 11, 0)
    )
    services.incident_transition(
        actor=desk.agent,
        incident=incident,
        to="resolved",
        now=berlin(2026, 3, 2, 10, 40),
        resolution_code="permanent",
        resolution_notes="Fixed",
    )

    result = escalation.escalate(berlin(2026, 3, 4, 12, 0))
    deliver(berlin(2026, 3, 4, 12, 0))
    assert (result.examined, result.warnings, result.breaches) == (0, 0, 0)
    # The caller is asked about the resolution; the staff are told nothing.
    assert list(Notification.objects.values_list("kind", flat=True)) == ["survey.invitation"]
    assert smtp.messages() == []


def test_a_cancelled_incident_gets_nothing(desk, staff):
    incident = open_p2(desk)
    services.incident_transition(
        actor=desk.agent,
        incident=incident,
        to="cancelled",
        now=berlin(2026, 3, 2, 10, 10),
        resolution_notes="Raised twice",
    )
    assert escalation.escalate(berlin(2026, 3, 4, 12, 0)).examined == 0
    assert not Notification.objects.exists()


def test_recipients_are_the_assignee_the_lead_and_the_incident_managers_only(desk, staff, smtp):
    open_p2(desk)
    escalation.escalate(berlin(2026, 3, 2, 10, 50))
    deliver(berlin(2026, 3, 2, 10, 50))

    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == staff.escalated
    for outsider in (
        staff.member,
        staff.top,
        staff.inactive_manager,
        staff.other_org_manager,
        staff.customer_with_role,
        staff.caller,
    ):
        assert not Notification.objects.filter(recipient=outsider).exists(), outsider.username
        assert smtp.to(outsider.email) == []
    # Nobody outside the provider, ever.
    provider_org = Organisation.objects.get(kind="provider")
    assert not Notification.objects.exclude(recipient__organisation=provider_org).exists()
    # No address, no mail; the notice is still in the app.
    assert not OutboundMail.objects.filter(recipient=staff.manager_without_mail).exists()
    assert {m.to[0] for m in smtp.messages()} == {
        staff.assignee.email,
        staff.lead.email,
        staff.manager.email,
    }


def test_an_unassigned_incident_still_reaches_the_managers(desk, staff):
    incident = make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=2,
        urgency=1,
        now=berlin(2026, 3, 2, 10, 0),
    )
    assert incident.assignee_id is None and incident.assignment_group_id is None
    escalation.escalate(berlin(2026, 3, 2, 10, 50))
    assert set(notified(NotificationKind.SLA_WARNING)) == {"ivan", "nora"}


# --- major incidents ----------------------------------------------------------------------------


def test_declaring_a_major_incident_tells_top_management_once(desk, staff, smtp):
    incident = open_p2(desk)
    declared_at = berlin(2026, 3, 2, 10, 15)
    incident = services.major_declare(actor=staff.manager, incident=incident, now=declared_at)

    assert incident.management_notified_at == declared_at
    assert Incident.objects.get(pk=incident.pk).management_notified_at == declared_at
    notify_major_declared(incident, berlin(2026, 3, 2, 10, 20))  # a repeat adds nothing
    assert notified(NotificationKind.MAJOR_DECLARED) == {"tom": 1, "ivan": 1, "nora": 1}

    deliver(berlin(2026, 3, 2, 10, 20))
    deliver(berlin(2026, 3, 2, 10, 21))
    received = smtp.messages()
    assert sorted(m.to[0] for m in received) == sorted([staff.top.email, staff.manager.email])
    assert set(smtp.ids().values()) == {1}
    mail = smtp.to(staff.top.email)[0]
    assert mail.subject == f"Major incident declared: {incident.reference} — Mail does not arrive"
    assert "Customer: Contoso" in mail.body
    assert f"/incidents/{incident.pk}/" in mail.body
    audit = AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(incident.pk))
    assert audit.filter(changes__has_key="management_notified_at").count() == 1


def test_a_refused_declaration_tells_nobody(desk, staff):
    incident = open_p2(desk)
    with pytest.raises(Exception, match="permission"):
        services.major_declare(actor=staff.assignee, incident=incident)
    assert not Notification.objects.exists()
    assert Incident.objects.get(pk=incident.pk).management_notified_at is None
