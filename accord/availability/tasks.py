"""Background jobs of availability management."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone


@shared_task(name="accord.availability.tasks.watch_availability")
def watch_availability() -> dict:
    """Check the targets of the services with ongoing outages: an outage nobody touches still
    uses up the month's downtime budget. Idempotent: a notice goes out once per agreement,
    month and level, however often this runs."""
    from accord.availability.alerts import check_targets, services_with_ongoing_outages

    now = timezone.now()
    services = services_with_ongoing_outages(now)
    with transaction.atomic():
        found = check_targets(service_ids=services, now=now) if services else 0
    return {"services": len(services), "agreements_at_risk": found}
