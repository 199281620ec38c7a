"""Background jobs of service reports."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accord.reports.tasks.deliver_reports")
def deliver_reports() -> dict[str, int]:
    """Send last month's signed reports of the schedules whose first working day has come,
    each schedule and period once however often this runs; draft the ones not signed yet and
    ask their owners to sign. Returns what it did."""
    from django.utils import timezone

    from accord.reports.services import deliver_due_schedules

    run = deliver_due_schedules(now=timezone.now())
    return {"sent": run.sent, "drafted": run.drafted, "waiting": run.waiting}
