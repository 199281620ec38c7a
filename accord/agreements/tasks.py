"""Background jobs of agreements. Thin and idempotent: running one twice does no harm."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accord.agreements import escalation, retarget
from accord.core.choices import Door
from accord.core.context import audit_context


@shared_task(name="accord.agreements.tasks.escalate_clocks")
def escalate_clocks() -> dict[str, int]:
    """Send the due SLA warnings and breach notices (each exactly once; see ``escalation``)."""
    with audit_context(Door.JOB):
        result = escalation.escalate(timezone.now())
    return {
        "examined": result.examined,
        "warnings": result.warnings,
        "breaches": result.breaches,
        "errors": result.errors,
    }


@shared_task(name="accord.agreements.tasks.process_retarget_run")
def process_retarget_run(run_id: int) -> str:
    """Work through one re-targeting run (queued when a calendar changed or an agreement
    ended); resumable, see ``retarget``."""
    with audit_context(Door.JOB):
        return retarget.process_run(run_id).status


@shared_task(name="accord.agreements.tasks.resume_retarget_runs")
def resume_retarget_runs() -> int:
    """Finish runs that no worker took (embedded mode) or that were interrupted."""
    with audit_context(Door.JOB):
        return retarget.resume_runs()
