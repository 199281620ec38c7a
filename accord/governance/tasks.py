"""Background jobs of governance. Thin and idempotent: running one twice does no harm."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accord.core.choices import Door
from accord.core.context import audit_context
from accord.governance.services import documents


@shared_task(name="accord.governance.tasks.remind_document_reviews")
def remind_document_reviews() -> int:
    """Remind owners of document reviews coming due or overdue (once per review date)."""
    with audit_context(Door.JOB):
        return documents.documents_remind_reviews(timezone.now())
