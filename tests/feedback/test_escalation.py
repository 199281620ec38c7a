"""Complaint escalation: exactly once per complaint, however often the job runs, and by mail
through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from accord.core.choices import Role
from accord.feedback import services, tasks
from accord.feedback.choices import ComplaintStatus
from accord.feedback.models import Complaint
from accord.notifications.models import Notification, OutboundMail
from accord.notifications.services import send_outbox
from tests.factories import OrganisationFactory, PersonFactory, provider
from tests.feedback.conftest import NOW, complaint_manager, offer, raise_complaint, token_of

pytestmark = pytest.mark.django_db
LATE = NOW + dt.timedelta(hours=25)
ESCALATIONS = {"event_key__endswith": ":complaint_escalated"}


@pytest.fixture
def overseers(db):
    home = provider()
    return {
        "slm": PersonFactory(
            username="sally", organisation=home, roles=[Role.SERVICE_LEVEL_MANAGER]
        ),
        "top": PersonFactory(username="tina", organisation=home, roles=[Role.TOP_MANAGEMENT]),
        "agent": PersonFactory(username="andy", organisation=home, roles=[Role.AGENT]),
    }


def test_escalates_once_when_run_twice(overseers):
    org = OrganisationFactory(kind="customer")
    due = raise_complaint(org, now=NOW)
    fresh = raise_complaint(org, now=LATE - dt.timedelta(hours=1))
    assert services.complaints_escalate(LATE) == 1
    assert services.complaints_escalate(LATE + dt.timedelta(minutes=5)) == 0
    due.refresh_from_db()
    assert due.escalated_at == LATE
    assert Complaint.objects.get(pk=fresh.pk).escalated_at is None
    told = set(
        Notification.objects.filter(**ESCALATIONS).values_list("recipient__username", flat=True)
    )
    assert told == {"sally", "tina"}
    assert OutboundMail.objects.filter(**ESCALATIONS).count() == 2


def test_an_acknowledged_or_withdrawn_complaint_is_not_escalated(overseers):
    org = OrganisationFactory(kind="customer")
    acknowledged = raise_complaint(org, now=NOW)
    services.complaint_transition(
        actor=complaint_manager(), complaint=acknowledged, to=ComplaintStatus.ACKNOWLEDGED, now=NOW
    )
    withdrawn = raise_complaint(org, now=NOW)
    services.complaint_transition(
        actor=withdrawn.raised_by, complaint=withdrawn, to=ComplaintStatus.WITHDRAWN, now=NOW
    )
    assert services.complaints_escalate(LATE) == 0
    assert not Notification.objects.filter(**ESCALATIONS).exists()


def test_a_customer_holding_a_management_role_by_mistake_is_not_told(overseers):
    org = OrganisationFactory(kind="customer")
    PersonFactory(username="mistake", organisation=org, roles=[Role.TOP_MANAGEMENT])
    raise_complaint(org, now=NOW)
    services.complaints_escalate(LATE)
    told = set(
        Notification.objects.filter(**ESCALATIONS).values_list("recipient__username", flat=True)
    )
    assert "mistake" not in told


def test_the_command_and_the_task_escalate_each_complaint_once(overseers):
    raise_complaint(
        OrganisationFactory(kind="customer"), now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    out = io.StringIO()
    call_command("escalate_complaints", stdout=out)
    assert "Complaints escalated: 1." in out.getvalue()
    assert tasks.escalate_complaints() == 0
    assert OutboundMail.objects.filter(**ESCALATIONS).count() == 2


def test_the_command_refuses_a_bad_batch():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("escalate_complaints", "--batch", "0", stdout=io.StringIO())


def test_escalation_mails_arrive_once_at_a_real_smtp_server(smtp, overseers):
    complaint = raise_complaint(OrganisationFactory(kind="customer"), now=NOW)
    services.complaints_escalate(LATE)
    services.complaints_escalate(LATE)
    send_outbox(LATE)
    send_outbox(LATE + dt.timedelta(minutes=1))
    received = smtp.messages()
    escalations = [m for m in received if complaint.reference in m.subject]
    assert sorted(m.to[0] for m in escalations) == sorted(
        [overseers["slm"].email, overseers["top"].email]
    )
    assert all(count == 1 for count in smtp.ids().values())
    assert f"/feedback/complaints/{complaint.pk}/" in escalations[0].body


def test_the_survey_invitation_arrives_with_a_working_link(smtp, client, settings):
    settings.ACCORD_PUBLIC_URL = "https://accord.example.test"
    survey = offer(now=NOW)
    send_outbox(NOW)
    (mail,) = smtp.to(survey.respondent.email)[-1:]
    assert survey.ticket_reference in mail.subject
    assert mail.auto_submitted == "auto-generated"
    token = token_of(survey)
    link = f"https://accord.example.test/feedback/surveys/{token}/"
    assert link in mail.body
    response = client.post(link.removeprefix("https://accord.example.test"), {"score": "5"})
    assert response.status_code == 200
    survey.refresh_from_db()
    assert survey.score == 5


@pytest.mark.django_db(transaction=True)
def test_two_racing_runs_escalate_each_complaint_once(overseers, smtp):
    """Two passes (and two outbox workers) at once, each thread with its own connection: row
    locks decide on PostgreSQL, SQLite makes them take turns."""
    import threading

    from django.db import connections

    org = OrganisationFactory(kind="customer")
    complaints = [raise_complaint(org, now=NOW) for _ in range(3)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    counts: list[int] = []

    def run(job) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    for job in (
        lambda: counts.append(services.complaints_escalate(LATE)),
        lambda: send_outbox(LATE),
    ):
        threads = [threading.Thread(target=run, args=(job,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
    assert sum(counts) == 3
    for complaint in complaints:
        rows = Notification.objects.filter(
            event_key=f"feedback.complaint:{complaint.pk}:complaint_escalated"
        )
        assert sorted(rows.values_list("recipient__username", flat=True)) == ["sally", "tina"]
    assert len(smtp.messages()) == 3 * 2
    assert set(smtp.ids().values()) == {1}


def test_a_run_that_dies_half_way_leaves_nothing_and_the_next_does_it_once(overseers, monkeypatch):
    org = OrganisationFactory(kind="customer")
    first, second = raise_complaint(org, now=NOW), raise_complaint(org, now=NOW)
    real = services.records.update_record
    calls = []

    def dies(**kwargs):
        calls.append(kwargs["instance"].pk)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(services.records, "update_record", dies)
    with pytest.raises(RuntimeError):
        services.complaints_escalate(LATE)
    monkeypatch.setattr(services.records, "update_record", real)
    escalated = {c.pk: c.escalated_at for c in Complaint.objects.all()}
    assert sorted(escalated.values(), key=str) == sorted([LATE, None], key=str)
    assert Notification.objects.filter(**ESCALATIONS).count() == 2  # the first one's only
    assert services.complaints_escalate(LATE) == 1
    assert Notification.objects.filter(**ESCALATIONS).count() == 4
    assert {first.pk, second.pk} == set(escalated)
