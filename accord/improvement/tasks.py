"""Background jobs of continual improvement."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accord.improvement.tasks.remind_overdue_actions")
def remind_overdue_actions() -> int:
    """Tell the owners of overdue improvement actions, once per action: a repeated run, or two
    runs at once, tells nobody twice. Returns how many actions were reminded."""
    from django.utils import timezone

    from accord.improvement.services import remind_overdue_actions as remind

    return remind(timezone.now())


@shared_task(name="accord.improvement.tasks.remind_nonconformities")
def remind_nonconformities() -> int:
    """Tell the owners of overdue corrective actions (once per action) and the SMS owners and
    owners of nonconformities whose effectiveness check has come (once per due day): a repeated
    run, or two runs at once, tells nobody twice. Returns how many reminders went out."""
    from django.utils import timezone

    from accord.improvement.services.nonconformities import remind

    return remind(timezone.now())


@shared_task(name="accord.improvement.tasks.detect_opportunities")
def detect_opportunities() -> int:
    """Raise the improvements last month's results call for (rising SLA breaches, low
    satisfaction per live service), each service and month once however often this runs.
    Returns how many were raised."""
    from django.utils import timezone

    from accord.improvement.services.sources import detect_opportunities as detect

    return len(detect(timezone.now()))
