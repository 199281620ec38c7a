"""Background jobs of capacity management."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="accord.capacity.tasks.roll_up_capacity")
def roll_up_capacity() -> dict:
    """Roll the days that received samples up, read the thresholds of the metrics touched and
    delete raw samples past their retention. Idempotent: a repeated run finds nothing to do."""
    from accord.capacity.rollups import prune, roll_up
    from accord.capacity.thresholds import evaluate

    now = timezone.now()
    touched = roll_up()
    crossed = evaluate(touched, now=now) if touched else {}
    return {"metrics": len(touched), "crossings": len(crossed), "pruned": prune(now)}
