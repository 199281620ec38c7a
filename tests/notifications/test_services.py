"""Writing notices once, and delivering the outbox to a real SMTP server: retries with backoff,
giving up, leases, and the one window that only the ``Message-ID`` covers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from accord.notifications import services
from accord.notifications.choices import MailStatus, NotificationKind
from accord.notifications.models import Notification, OutboundMail
from tests.notifications.smtp import free_port

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def tell(source, people, kind=NotificationKind.SLA_WARNING, now=NOW, subject="Heads up"):
    return services.notify(
        event_key=services.event_key(source, kind),
        kind=kind,
        recipients=people,
        subject=subject,
        body="Something needs you.\n",
        link="/somewhere/",
        organisation=source,
        source=source,
        now=now,
    )


# --- notify -------------------------------------------------------------------------------------


def test_notify_writes_one_notice_per_person_and_one_mail_per_address(customer, people):
    outcome = tell(customer, [people["ann"], people["ben"], people["cy"], people["ann"], None])

    assert [p.username for p in outcome.people] == ["ann", "ben", "cy"]
    assert sorted(outcome.addresses) == ["ann@example.test", "ben@example.test"]
    notes = Notification.objects.order_by("recipient__username")
    assert [n.recipient.username for n in notes] == ["ann", "ben", "cy"]
    assert {n.organisation_id for n in notes} == {customer.pk}
    assert {n.source for n in notes} == {customer}
    assert {n.event_key for n in notes} == {f"core.organisation:{customer.pk}:sla_warning"}
    mails = OutboundMail.objects.order_by("to_address")
    assert [m.to_address for m in mails] == ["ann@example.test", "ben@example.test"]
    assert {m.status for m in mails} == {MailStatus.PENDING}
    assert all(m.next_attempt_at == NOW for m in mails)


def test_notifying_the_same_event_again_adds_nothing(customer, people):
    tell(customer, [people["ann"], people["ben"]])
    tell(customer, [people["ann"], people["ben"], people["cy"]], now=NOW + MINUTE)

    # Only cy is new to this event; ann and ben keep their one notice and one mail.
    assert Notification.objects.count() == 3
    assert OutboundMail.objects.count() == 2
    assert Notification.objects.get(recipient=people["ann"]).created_at == NOW


def test_another_kind_of_event_is_another_notice(customer, people):
    tell(customer, [people["ann"]], kind=NotificationKind.SLA_WARNING)
    tell(customer, [people["ann"]], kind=NotificationKind.SLA_BREACH)
    assert Notification.objects.filter(recipient=people["ann"]).count() == 2
    assert OutboundMail.objects.filter(to_address="ann@example.test").count() == 2


def test_inactive_people_are_not_notified(customer, people):
    people["ben"].is_active = False
    people["ben"].save()
    tell(customer, [people["ann"], people["ben"]])
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["ann"]


def test_message_ids_are_stable_per_event_and_address(customer, people, settings):
    key = services.event_key(customer, NotificationKind.SLA_WARNING)
    first = services.message_id(key, "ann@example.test")
    assert first == services.message_id(key, "ANN@example.test")
    assert first != services.message_id(key, "ben@example.test")
    assert first != services.message_id(key + "x", "ann@example.test")
    assert first.startswith("<") and first.endswith(">")
    settings.SECRET_KEY = "another installation" + "x" * 40
    assert services.message_id(key, "ann@example.test") != first


def test_reading_a_notice_is_for_its_recipient_only(customer, people):
    tell(customer, [people["ann"], people["ben"]])
    anns = Notification.objects.get(recipient=people["ann"])
    with pytest.raises(PermissionDenied):
        services.notification_mark_read(actor=people["ben"], notification=anns, now=NOW)
    services.notification_mark_read(actor=people["ann"], notification=anns, now=NOW)
    services.notification_mark_read(actor=people["ann"], notification=anns, now=NOW + MINUTE)
    anns.refresh_from_db()
    assert anns.read_at == NOW  # the first reading counts
    assert services.notifications_mark_all_read(actor=people["ben"], now=NOW) == 1
    assert services.notifications_mark_all_read(actor=people["ben"], now=NOW) == 0


# --- the outbox ---------------------------------------------------------------------------------


def test_the_outbox_delivers_each_mail_once_with_its_message_id(customer, people, smtp):
    tell(customer, [people["ann"], people["ben"]], subject="Größe — überschritten")
    result = services.send_outbox(NOW)
    again = services.send_outbox(NOW + MINUTE)

    assert (result.claimed, result.sent) == (2, 2)
    assert again.claimed == 0
    received = sorted(smtp.messages(), key=lambda m: m.to)
    assert [m.to for m in received] == [("ann@example.test",), ("ben@example.test",)]
    stored = dict(OutboundMail.objects.values_list("to_address", "message_id"))
    assert [m.message_id for m in received] == [
        stored["ann@example.test"],
        stored["ben@example.test"],
    ]
    assert received[0].subject == "Größe — überschritten"
    assert received[0].body == "Something needs you.\n"
    assert received[0].auto_submitted == "auto-generated"
    assert set(OutboundMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}
    assert set(OutboundMail.objects.values_list("sent_at", flat=True)) != {None}


def test_a_refused_mail_is_retried_later_with_a_growing_delay(customer, people, smtp):
    tell(customer, [people["ann"]])
    smtp.refuse(2)

    first = services.send_outbox(NOW)
    assert (first.sent, first.retried) == (0, 1)
    mail = OutboundMail.objects.get()
    assert mail.status == MailStatus.PENDING
    assert mail.attempts == 1
    assert "451" in mail.last_error
    assert NOW + MINUTE <= mail.next_attempt_at < NOW + 2 * MINUTE

    assert services.send_outbox(NOW + 30 * dt.timedelta(seconds=1)).claimed == 0  # not yet
    services.send_outbox(mail.next_attempt_at)  # refused a second time: waits twice as long
    mail.refresh_from_db()
    assert mail.attempts == 2
    second_try = mail.next_attempt_at

    assert services.send_outbox(second_try).sent == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.SENT, 3, "")
    assert len(smtp.messages()) == 1


def test_retry_delays_double_up_to_an_hour():
    assert [services.retry_delay(n) for n in (1, 2, 3)] == [MINUTE, 2 * MINUTE, 4 * MINUTE]
    assert services.retry_delay(30) == dt.timedelta(hours=1)


def test_a_mail_refused_too_often_fails_for_good(customer, people, smtp):
    tell(customer, [people["ann"]])
    smtp.refuse(5)
    now = NOW
    for _ in range(3):
        services.send_outbox(now, max_attempts=3)
        now += dt.timedelta(hours=2)
    mail = OutboundMail.objects.get()
    assert (mail.status, mail.attempts) == (MailStatus.FAILED, 3)
    assert services.send_outbox(now + dt.timedelta(days=1), max_attempts=3).claimed == 0
    assert smtp.messages() == []


def test_a_claim_is_held_until_its_lease_runs_out(customer, people, smtp):
    """A row left in "sending" belongs to its worker until the lease ends; then it is taken
    over and sent once."""
    tell(customer, [people["ann"]])
    OutboundMail.objects.update(
        status=MailStatus.SENDING, claimed_at=NOW, claim_token="dead-worker", attempts=1
    )

    assert services.send_outbox(NOW + services.LEASE - MINUTE).claimed == 0
    taken = services.send_outbox(NOW + services.LEASE)
    assert (taken.claimed, taken.sent) == (1, 1)
    mail = OutboundMail.objects.get()
    assert (mail.status, mail.attempts) == (MailStatus.SENT, 2)
    assert len(smtp.messages()) == 1


def test_a_worker_that_lost_its_claim_does_not_send(customer, people, smtp, monkeypatch):
    tell(customer, [people["ann"], people["ben"]])
    real_still_ours = services._still_ours

    def overtaken(row, at):
        if row.to_address == "ben@example.test":  # another worker took this one over
            OutboundMail.objects.filter(pk=row.pk).update(claim_token="someone-else")
        return real_still_ours(row, at)

    monkeypatch.setattr(services, "_still_ours", overtaken)
    result = services.send_outbox(NOW)
    assert (result.sent, result.lost) == (1, 1)
    assert [m.to for m in smtp.messages()] == [("ann@example.test",)]


def test_the_remaining_window_resends_with_the_same_message_id(customer, people, smtp, monkeypatch):
    """A worker killed after the server accepted a message but before marking it sent: the
    message goes out again after the lease, under the same Message-ID, so a receiver that
    de-duplicates by Message-ID shows it once. This is the one documented duplicate."""
    tell(customer, [people["ann"]])

    class Killed(BaseException):
        pass

    def killed(row, at):
        raise Killed

    monkeypatch.setattr(services, "_mark_sent", killed)
    with pytest.raises(Killed):
        services.send_outbox(NOW)
    monkeypatch.undo()
    assert OutboundMail.objects.get().status == MailStatus.SENDING

    services.send_outbox(NOW + services.LEASE + MINUTE)  # the lease was renewed at sending
    copies = smtp.messages()
    assert len(copies) == 2
    assert copies[0].message_id == copies[1].message_id
    assert OutboundMail.objects.get().status == MailStatus.SENT


def test_a_worker_that_died_during_the_last_attempt_is_given_up(customer, people, smtp):
    tell(customer, [people["ann"]])
    OutboundMail.objects.update(
        status=MailStatus.SENDING, claimed_at=NOW, claim_token="dead", attempts=3
    )
    result = services.send_outbox(NOW + services.LEASE, max_attempts=3)
    assert (result.claimed, result.failed) == (0, 1)
    assert OutboundMail.objects.get().status == MailStatus.FAILED
    assert smtp.messages() == []


def test_an_unreachable_server_is_a_retry_not_a_crash(customer, people, settings):
    tell(customer, [people["ann"]])
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    result = services.send_outbox(NOW)
    assert result.retried == 1
    mail = OutboundMail.objects.get()
    assert mail.status == MailStatus.PENDING
    assert mail.last_error


def test_links_in_mails_are_absolute_when_the_public_address_is_known(settings):
    assert services.absolute_url("/incidents/4/") == "/incidents/4/"
    settings.ACCORD_PUBLIC_URL = "https://accord.example.test/"
    assert services.absolute_url("/incidents/4/") == "https://accord.example.test/incidents/4/"
