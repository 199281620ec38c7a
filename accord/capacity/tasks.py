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


@shared_task(name="accord.capacity.tasks.scrape_targets")
def scrape_targets() -> dict[str, int]:
    """Scrape the active targets whose interval has passed since their last scrape. A target
    that fails records its error and the others go on; running it twice in a row scrapes
    nothing twice (the second run finds no target due)."""
    from accord.capacity.models import ScrapeTarget
    from accord.capacity.prometheus import is_due
    from accord.capacity.services import scrape

    now = timezone.now()
    scraped = stored = failed = 0
    for target in ScrapeTarget.objects.filter(is_active=True).order_by("pk"):
        if not is_due(target, now):
            continue
        outcome = scrape(target, now)
        scraped += 1
        stored += outcome.stored
        failed += bool(outcome.error)
    return {"scraped": scraped, "stored": stored, "with_errors": failed}
