"""The caller's mails about their incident: which events send one, in the caller's language
and time zone, delivered by a real SMTP server exactly once per event, and never carrying
internal data (work notes, suppliers, OLA targets, other people's addresses).

Office hours are Mon-Fri 09:00-17:00 Berlin; 2026-03-02 is a Monday. The SLA resolves P2 in 8
business hours, so an incident opened at 10:00 is due the next day at 10:00.
"""

from __future__ import annotations

import datetime as dt

import pytest

from accord.incidents import services
from accord.incidents.models import Incident
from accord.notifications import services as notifications
from accord.notifications.choices import MailEvent, MailStatus
from accord.notifications.models import MailTemplate, Notification, OutboundMail
from tests.factories import PersonFactory, make_incident, provider
from tests.incidents.conftest import berlin
from tests.notifications.smtp import smtp_server

pytestmark = pytest.mark.django_db

WORK_NOTE = "Internal: the root password is hunter2"
SUPPLIER_REF = "ACME-CASE-991"
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as server:
        yield server


@pytest.fixture
def german_caller(desk):
    desk.caller.language = "de"
    desk.caller.time_zone = "Europe/Berlin"
    desk.caller.save()
    return desk.caller


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


def deliver(at):
    """Run the outbox job twice, as a retried schedule would."""
    first = notifications.send_outbox(at)
    second = notifications.send_outbox(at + MINUTE)
    assert second.claimed == 0
    return first


def events_of(address):
    return list(
        OutboundMail.objects.filter(to_address=address)
        .order_by("created_at", "pk")
        .values_list("kind", flat=True)
    )


def test_the_whole_life_of_an_incident_in_german_and_berlin_time(desk, german_caller, smtp):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    incident = services.incident_update(
        actor=desk.agent,
        incident=incident,
        data={"assignee": desk.agent},
        now=berlin(2026, 3, 2, 10, 5),
    )
    services.comment_add(
        actor=desk.agent,
        incident=incident,
        body=WORK_NOTE,
        is_public=False,
        now=berlin(2026, 3, 2, 10, 10),
    )
    services.comment_add(
        actor=desk.agent,
        incident=incident,
        body="Bitte starten Sie den Rechner neu.",
        now=berlin(2026, 3, 2, 10, 20),
    )
    incident = move(incident, desk.agent, "pending_customer", berlin(2026, 3, 2, 10, 30))
    # The caller's own reply (which resumes the work) is not mailed back to them.
    services.comment_add(
        actor=german_caller, incident=incident, body="Erledigt", now=berlin(2026, 3, 2, 11, 0)
    )
    incident.refresh_from_db()
    incident = services.incident_update(
        actor=desk.agent,
        incident=incident,
        data={"supplier": desk.supplier, "supplier_reference": SUPPLIER_REF},
        now=berlin(2026, 3, 2, 11, 30),
    )
    incident = move(incident, desk.agent, "pending_supplier", berlin(2026, 3, 2, 11, 40))
    incident = move(incident, desk.agent, "in_progress", berlin(2026, 3, 2, 12, 0))
    incident = move(
        incident,
        desk.agent,
        "resolved",
        berlin(2026, 3, 2, 14, 0),
        resolution_code="workaround",
        resolution_notes="Treiber neu installiert.",
    )

    result = deliver(berlin(2026, 3, 2, 14, 1))
    address = german_caller.email
    assert events_of(address) == [
        MailEvent.TICKET_CREATED,
        MailEvent.TICKET_STATUS_CHANGED,  # assigned
        MailEvent.TICKET_PUBLIC_REPLY,
        MailEvent.TICKET_STATUS_CHANGED,  # waiting for your reply
        MailEvent.TICKET_RESOLVED,
        MailEvent.SURVEY_INVITATION,
    ]
    received = smtp.messages()
    assert result.sent == len(received) == 6
    assert all(m.to == (address,) for m in received)
    assert len(set(smtp.ids())) == 6  # each once
    by_subject = {m.subject: m.body for m in received}
    ref = incident.reference

    created = by_subject[f"Wir haben Ihr Anliegen {ref} erhalten: Mail does not arrive"]
    assert "am 2. März 2026, 10:00 (Europe/Berlin) erfasst" in created
    assert "Ziel für die Lösung: 3. März 2026, 10:00 (Europe/Berlin)" in created
    assert f"/portal/incidents/{incident.pk}/" in created
    assert "hat einen neuen Status: Zugewiesen" in by_subject[f"{ref}: neuer Status Zugewiesen"]
    reply = by_subject[f"Neue Antwort zu {ref}: Mail does not arrive"]
    assert "Bitte starten Sie den Rechner neu." in reply
    assert f"{desk.agent} hat am 2. März 2026, 10:20 (Europe/Berlin)" in reply
    assert f"{ref}: neuer Status Wartet auf Ihre Antwort" in by_subject
    resolved = by_subject[f"{ref} ist gelöst"]
    assert "Was wir getan haben: Treiber neu installiert." in resolved
    assert "2. März 2026, 14:00 (Europe/Berlin)" in resolved

    # Nothing internal in any mail or in-app notice the caller has.
    texts = [m.subject + m.body for m in received] + [
        n.subject + n.body for n in Notification.objects.filter(recipient=german_caller)
    ]
    for secret in (WORK_NOTE, "hunter2", SUPPLIER_REF, desk.supplier.name, "OLA", "Erledigt"):
        assert not any(secret in text for text in texts), secret


def test_an_english_caller_in_new_york_reads_english_and_local_time(desk, smtp):
    desk.caller.language = "en"
    desk.caller.time_zone = "America/New_York"
    desk.caller.save()
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    deliver(berlin(2026, 3, 2, 10, 1))
    (mail,) = smtp.messages()
    assert mail.subject == f"We received your ticket {incident.reference}: Mail does not arrive"
    assert "on 2 March 2026, 04:00 (America/New_York)" in mail.body
    assert "Target for resolution: 3 March 2026, 04:00 (America/New_York)" in mail.body


def test_each_status_change_is_its_own_mail_and_repeats_are_not(desk, smtp):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    incident = services.incident_update(
        actor=desk.agent,
        incident=incident,
        data={"assignee": desk.agent},
        now=berlin(2026, 3, 2, 10, 5),
    )
    incident = move(incident, desk.agent, "in_progress", berlin(2026, 3, 2, 10, 10))
    incident = move(incident, desk.agent, "assigned", berlin(2026, 3, 2, 10, 20))
    # The same change notified again (a retried call) adds nothing.
    from accord.incidents.notifications import notify_incident_status_changed

    notify_incident_status_changed(
        incident, previous="in_progress", actor=desk.agent, now=berlin(2026, 3, 2, 10, 21)
    )
    deliver(berlin(2026, 3, 2, 10, 30))
    subjects = [m.subject for m in smtp.messages()]
    assigned = [s for s in subjects if s.endswith("is now Assigned")]
    assert len(assigned) == 2, subjects
    assert not any("In progress" in s for s in subjects)


def test_caller_is_not_told_of_their_own_changes_but_of_the_desks(desk, smtp):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    incident = move(
        incident,
        desk.agent,
        "resolved",
        berlin(2026, 3, 2, 11, 0),
        resolution_code="permanent",
        resolution_notes="Mailbox quota raised.",
    )
    # The caller reopens it themselves: no mail. The desk resolves again: a second resolution
    # mail. The desk reopens: the caller is told. The desk closes: told again.
    incident = move(incident, desk.caller, "in_progress", berlin(2026, 3, 2, 12, 0))
    incident = move(
        incident,
        desk.agent,
        "resolved",
        berlin(2026, 3, 2, 13, 0),
        resolution_code="permanent",
        resolution_notes="Quota raised again.",
    )
    incident = move(incident, desk.agent, "in_progress", berlin(2026, 3, 2, 14, 0))
    incident = move(
        incident,
        desk.agent,
        "resolved",
        berlin(2026, 3, 2, 15, 0),
        resolution_code="permanent",
        resolution_notes="Third time lucky.",
    )
    incident = move(incident, desk.agent, "closed", berlin(2026, 3, 2, 16, 0))
    deliver(berlin(2026, 3, 2, 16, 1))
    ref = incident.reference
    subjects = sorted(m.subject for m in smtp.messages())
    assert subjects == sorted(
        [
            f"We received your ticket {ref}: Mail does not arrive",
            f"{ref} has been resolved",
            f"{ref} has been resolved",
            f"{ref} has been resolved",
            # Each resolution round asks once how satisfied the caller is.
            f"How did we do on {ref}?",
            f"How did we do on {ref}?",
            f"How did we do on {ref}?",
            f"{ref} is now Reopened",
            f"{ref} is now Closed",
        ]
    )
    bodies = " ".join(m.body for m in smtp.messages())
    for notes in ("Mailbox quota raised.", "Quota raised again.", "Third time lucky."):
        assert notes in bodies


def test_cancelling_tells_the_reason_and_the_caller_cancelling_is_not_told(desk, smtp):
    first = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    move(first, desk.agent, "cancelled", berlin(2026, 3, 2, 10, 5), resolution_notes="Duplicate.")
    second = open_p2(desk, berlin(2026, 3, 2, 10, 10))
    move(second, desk.caller, "cancelled", berlin(2026, 3, 2, 10, 15), resolution_notes="Fixed.")
    deliver(berlin(2026, 3, 2, 10, 20))
    cancelled = [m for m in smtp.messages() if m.subject.endswith("is now Cancelled")]
    assert [m.subject for m in cancelled] == [f"{first.reference} is now Cancelled"]
    assert "Duplicate." in cancelled[0].body


def test_internal_changes_and_notes_send_nothing(desk, smtp):
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    OutboundMail.objects.all().delete()
    Notification.objects.all().delete()
    incident = move(incident, desk.agent, "in_progress", berlin(2026, 3, 2, 10, 5))
    incident = services.incident_update(
        actor=desk.agent,
        incident=incident,
        data={"supplier": desk.supplier, "urgency": 3},
        now=berlin(2026, 3, 2, 10, 6),
    )
    incident = move(incident, desk.agent, "pending_supplier", berlin(2026, 3, 2, 10, 10))
    services.comment_add(
        actor=desk.agent,
        incident=incident,
        body=WORK_NOTE,
        is_public=False,
        now=berlin(2026, 3, 2, 10, 15),
    )
    # A reply of the customer's side is theirs: not mailed back to the caller.
    colleague = PersonFactory(organisation=desk.customer, roles=["customer_user"])
    services.comment_add(
        actor=colleague, incident=incident, body="Same here", now=berlin(2026, 3, 2, 10, 20)
    )
    assert not OutboundMail.objects.exists()
    assert not Notification.objects.exists()


def test_a_caller_without_an_address_gets_no_mail_and_staff_get_no_customer_mail(desk, smtp):
    desk.caller.email = ""
    desk.caller.save()
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0), assignee=desk.agent)
    services.comment_add(
        actor=desk.agent, incident=incident, body="On it", now=berlin(2026, 3, 2, 10, 5)
    )
    assert not OutboundMail.objects.exists()
    assert deliver(berlin(2026, 3, 2, 10, 6)).claimed == 0
    assert smtp.messages() == []


def test_mails_go_to_the_caller_only(desk, smtp):
    staff_caller = PersonFactory(organisation=provider(), roles=["agent"])
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0), assignee=desk.agent)
    services.comment_add(
        actor=desk.agent, incident=incident, body="Public", now=berlin(2026, 3, 2, 10, 5)
    )
    addresses = set(OutboundMail.objects.values_list("to_address", flat=True))
    assert addresses == {desk.caller.email}
    assert staff_caller.email not in addresses
    assert desk.agent.email not in addresses


def test_an_adapted_template_is_used_for_incident_mails(desk, german_caller, smtp):
    admin = PersonFactory(organisation=provider(), roles=["administrator"])
    notifications.mail_template_save(
        actor=admin,
        event=MailEvent.TICKET_CREATED,
        language="de",
        subject="[Helpdesk] {{ reference }}",
        body="Moin {{ person }}, wir kümmern uns um {{ title }} ({{ organisation }}).\n{{ link }}",
    )
    incident = open_p2(desk, berlin(2026, 3, 2, 10, 0))
    deliver(berlin(2026, 3, 2, 10, 1))
    (mail,) = smtp.messages()
    assert mail.subject == f"[Helpdesk] {incident.reference}"
    assert f"Moin {german_caller}, wir kümmern uns um Mail does not arrive (Contoso)." in mail.body
    assert MailTemplate.objects.count() == 1
    assert set(OutboundMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}
    assert Incident.objects.count() == 1
