"""`accord deliver_reports`: one pass of the monthly report delivery.

What the scheduled job does, on demand (cron without the embedded scheduler, after an outage).
Running it while the job also runs is harmless: each schedule sends each month once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from accord.reports.services import deliver_due_schedules


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Send last month's signed service reports whose schedules' day has come."

    def handle(self, *args: Any, **options: Any) -> None:
        run = deliver_due_schedules(now=timezone.now())
        self.stdout.write(
            f"Reports sent: {run.sent}. Drafts compiled: {run.drafted}. "
            f"Awaiting sign-off: {run.waiting}."
        )
