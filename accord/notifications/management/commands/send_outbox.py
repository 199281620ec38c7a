"""`accord send_outbox`: deliver one batch of the outbox (what the send-outbox job does)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.notifications import services
from accord.notifications.management.commands.escalate import _outbox_line


class Command(BaseCommand):
    # A job run every minute from cron or a drill: the system checks belong to deployments.
    requires_system_checks: list[str] = []
    help = "Deliver the due mails of the outbox (one batch)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=services.BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        self.stdout.write(
            _outbox_line(services.send_outbox(timezone.now(), batch=options["batch"]))
        )
