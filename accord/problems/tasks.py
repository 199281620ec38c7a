"""Background jobs of problem management. Thin and idempotent: running one twice does no harm."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accord.core.choices import Door
from accord.core.context import audit_context
from accord.problems.services.proposals import problems_detect


@shared_task(name="accord.problems.tasks.detect_problems")
def detect_problems() -> int:
    """Propose problems where incidents cluster (ACCORD_PROBLEM_CLUSTER_MIN incidents within
    ACCORD_PROBLEM_CLUSTER_WINDOW_DAYS); returns how many proposals were created or grown."""
    with audit_context(Door.JOB):
        return problems_detect(timezone.now())
