"""Background jobs of feedback. Thin and idempotent: running one twice does no harm."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accord.core.choices import Door
from accord.core.context import audit_context
from accord.feedback import services


@shared_task(name="accord.feedback.tasks.escalate_complaints")
def escalate_complaints() -> int:
    """Escalate complaints left unacknowledged past their deadline (each exactly once)."""
    with audit_context(Door.JOB):
        return services.complaints_escalate(timezone.now())
