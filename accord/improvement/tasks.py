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
