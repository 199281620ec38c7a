"""Background jobs of change management."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accord.changes.tasks.follow_up_changes")
def follow_up_changes() -> dict:
    """Link incidents that followed implemented changes and tell owners of emergency changes
    whose record is overdue. Both are idempotent: a repeated run adds nothing."""
    from accord.changes.services.follow_up import follow_up

    return follow_up()
