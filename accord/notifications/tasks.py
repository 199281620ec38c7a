"""Background jobs of notifications. Thin and idempotent: running one twice does no harm."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accord.core.choices import Door
from accord.core.context import audit_context
from accord.notifications import services


@shared_task(name="accord.notifications.tasks.send_outbox")
def send_outbox() -> dict[str, int]:
    """Deliver the due mails of the outbox (one batch; the schedule runs it every minute)."""
    with audit_context(Door.JOB):
        result = services.send_outbox(timezone.now())
    return {
        "claimed": result.claimed,
        "sent": result.sent,
        "retried": result.retried,
        "failed": result.failed,
    }
