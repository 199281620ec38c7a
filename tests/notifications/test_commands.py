"""`accord escalate` and `accord send_outbox`, and the scheduled jobs behind them."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from accord.celery import app
from accord.notifications import services, tasks
from accord.notifications.choices import MailStatus, NotificationKind
from accord.notifications.models import OutboundMail

pytestmark = pytest.mark.django_db


def queue_mail(customer, people) -> None:
    services.notify(
        event_key=services.event_key(customer, NotificationKind.SLA_BREACH),
        kind=NotificationKind.SLA_BREACH,
        recipients=[people["ann"]],
        subject="Breach",
        body="Body\n",
        link="",
        organisation=customer,
        source=customer,
        now=timezone.now() - dt.timedelta(minutes=1),
    )


def test_escalate_runs_a_pass_and_delivers(customer, people, smtp):
    queue_mail(customer, people)
    out = StringIO()
    call_command("escalate", stdout=out)
    text = out.getvalue()
    assert "Escalation: 0 clocks examined, 0 warnings, 0 breaches, 0 errors." in text
    assert "Outbox: 1 claimed, 1 sent, 0 to retry, 0 failed." in text
    assert len(smtp.messages()) == 1


def test_escalate_can_leave_the_outbox_alone(customer, people, smtp):
    queue_mail(customer, people)
    out = StringIO()
    call_command("escalate", "--no-mail", stdout=out)
    assert "Outbox" not in out.getvalue()
    assert OutboundMail.objects.get().status == MailStatus.PENDING


def test_send_outbox_command_and_bad_input(customer, people, smtp):
    queue_mail(customer, people)
    out = StringIO()
    call_command("send_outbox", stdout=out)
    assert "1 sent" in out.getvalue()
    with pytest.raises(CommandError, match="at least 1"):
        call_command("send_outbox", "--batch", "0")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("escalate", "--batch", "0")


def test_the_jobs_are_scheduled_every_minute():
    schedule = {e["task"]: e["schedule"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["accord.agreements.tasks.escalate_clocks"] == 60
    assert schedule["accord.notifications.tasks.send_outbox"] == 60
    # A worker (and the embedded beat of `accord serve`) loads every app's tasks on start.
    app.loader.import_default_modules()
    assert set(schedule) <= set(app.tasks), "a scheduled task that no worker knows"
    assert "accord.agreements.tasks.escalate_clocks" in app.tasks
    assert "accord.notifications.tasks.send_outbox" in app.tasks


def test_the_outbox_job_runs_in_process_without_a_broker(customer, people, smtp):
    queue_mail(customer, people)
    outcome = tasks.send_outbox.delay().get(timeout=30)
    assert outcome == {"claimed": 1, "sent": 1, "retried": 0, "failed": 0}
