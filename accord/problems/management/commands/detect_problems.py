"""`accord detect_problems`: one pass of proactive problem detection.

What the scheduled job does, on demand (cron without the embedded scheduler, a first look at
imported incidents, a drill with another minimum or window). Running it while the job also runs
is harmless: each cluster has one open proposal and holds each incident once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.problems.services.proposals import find_clusters, problems_detect


class Command(BaseCommand):
    # A job run from cron or a drill: the system checks belong to deployments.
    requires_system_checks: list[str] = []
    help = "Propose problems where incidents cluster (same service and CI, category or title)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--minimum",
            type=int,
            default=None,
            help="Incidents a cluster needs (default: ACCORD_PROBLEM_CLUSTER_MIN).",
        )
        parser.add_argument(
            "--window-days",
            type=float,
            default=None,
            help="Days back from now to look at (default: ACCORD_PROBLEM_CLUSTER_WINDOW_DAYS).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the clusters found without proposing anything.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        minimum = options["minimum"]
        days = options["window_days"]
        try:
            window = None if days is None else dt.timedelta(days=days)
            if options["dry_run"]:
                clusters = find_clusters(now, minimum=minimum, window=window)
                for cluster in clusters:
                    self.stdout.write(
                        f"{cluster.rule}\t{len(cluster.incident_ids)} incidents\t{cluster.label}"
                    )
                self.stdout.write(f"Clusters found: {len(clusters)} (nothing proposed).")
                return
            count = problems_detect(now, minimum=minimum, window=window)
        except (ValidationError, OverflowError, ValueError) as exc:
            messages = getattr(exc, "messages", None) or [str(exc)]
            raise CommandError(" ".join(messages)) from exc
        self.stdout.write(f"Proposals created or grown: {count}.")
