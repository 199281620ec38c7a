"""`accord remind_document_reviews`: one pass of the review reminders of controlled documents.

What the scheduled job does, on demand (cron without the embedded scheduler, drills). Running
it while the job also runs is harmless: each reminder goes out once per review date.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from accord.governance.services import documents as services


class Command(BaseCommand):
    # A job run from cron or a drill: the system checks belong to deployments.
    requires_system_checks: list[str] = []
    help = "Remind document owners of reviews coming due or overdue (once per review date)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.documents_remind_reviews(timezone.now())
        self.stdout.write(f"Review reminders sent: {count}.")
