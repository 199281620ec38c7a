"""An outbox worker killed with SIGKILL in the middle of its batch: a real `accord send_outbox`
process against the test database and a real SMTP server that holds its first message, so
the kill lands after the claim was committed and before anything was delivered."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from accord.notifications import services
from accord.notifications.choices import MailStatus, NotificationKind
from accord.notifications.models import OutboundMail

MINUTE = dt.timedelta(minutes=1)


def database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def worker_env(smtp) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "DATABASE_URL": database_url(),
        "ACCORD_VAR_DIR": str(django_settings.VAR_DIR),
        "ACCORD_EMAIL_HOST": "127.0.0.1",
        "ACCORD_EMAIL_PORT": str(smtp.port),
        "ACCORD_EMAIL_FROM": "accord@provider.test",
        "ACCORD_BROKER_URL": "",
    }


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_no_mail_and_sends_none_twice(customer, people, smtp):
    queued_at = timezone.now() - MINUTE
    kinds = [
        NotificationKind.SLA_WARNING,
        NotificationKind.SLA_BREACH,
        NotificationKind.MAJOR_DECLARED,
    ]
    for kind in kinds:
        services.notify(
            event_key=services.event_key(customer, kind),
            kind=kind,
            recipients=[people["ann"], people["ben"]],
            subject=f"About {kind}",
            body="Body\n",
            link="",
            organisation=customer,
            source=customer,
            now=queued_at,
        )
    assert OutboundMail.objects.count() == 6

    smtp.hold()
    worker = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "send_outbox", "--batch", "4"],
        env=worker_env(smtp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while not smtp.arrived.wait(timeout=0.1):
            if worker.poll() is not None or time.monotonic() > deadline:
                break
        if not smtp.arrived.is_set():
            worker.kill()
            _, err = worker.communicate(timeout=30)
            pytest.fail(f"The worker never reached the SMTP server: {err.decode()[-2000:]}")
        # The worker has committed its claim and is stuck on its first message.
        statuses = Counter(OutboundMail.objects.values_list("status", flat=True))
        assert statuses == {MailStatus.SENDING: 4, MailStatus.PENDING: 2}
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    smtp.release()
    assert smtp.messages() == []

    # While the dead worker's lease runs, its rows stay its own; the rest go out.
    now = timezone.now()
    assert services.send_outbox(now).sent == 2
    assert services.send_outbox(now).claimed == 0
    # After the lease, the orphaned rows are taken over and delivered.
    taken = services.send_outbox(now + services.LEASE + MINUTE)
    assert (taken.claimed, taken.sent) == (4, 4)

    received = smtp.ids()
    assert len(received) == 6
    assert set(received.values()) == {1}, "each message arrived exactly once"
    assert set(received) == set(OutboundMail.objects.values_list("message_id", flat=True))
    assert set(OutboundMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}
    retaken = OutboundMail.objects.filter(attempts=2).count()
    assert retaken == 4  # the killed attempt counts
