"""Background jobs of service requests. Thin and idempotent: running one twice does no harm."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accord.core.choices import Door
from accord.core.context import audit_context
from accord.service_requests import services


@shared_task(name="accord.service_requests.tasks.remind_approvals")
def remind_approvals() -> int:
    """Remind approvers of approvals waiting too long (once per approval; see the service)."""
    with audit_context(Door.JOB):
        return services.approvals_remind(timezone.now())
