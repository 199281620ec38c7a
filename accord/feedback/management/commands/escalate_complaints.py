"""`accord escalate_complaints`: one escalation pass over unacknowledged complaints.

What the scheduled job does, on demand (cron without the embedded scheduler, drills, after an
outage). Running it while the job also runs is harmless: each complaint escalates once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.feedback import services


class Command(BaseCommand):
    # A job run from cron or a drill: the system checks belong to deployments.
    requires_system_checks: list[str] = []
    help = "Escalate complaints not acknowledged in time to their managers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=500, help="Complaints to escalate at most in this run."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        count = services.complaints_escalate(timezone.now(), batch=options["batch"])
        self.stdout.write(f"Complaints escalated: {count}.")
