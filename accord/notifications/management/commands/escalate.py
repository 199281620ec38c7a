"""`accord escalate`: one escalation pass over the SLA clocks, then one outbox delivery.

What the scheduled jobs do every minute, on demand: useful after an outage, from cron on a
system without the embedded scheduler, and in drills. Running it while the jobs also run is
harmless; every notice is still sent once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.agreements import escalation
from accord.notifications import services


class Command(BaseCommand):
    # A job run every minute from cron or a drill: the system checks belong to deployments.
    requires_system_checks: list[str] = []
    help = "Send due SLA warnings and breach notices, then deliver the outbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=services.BATCH, help="Mails to deliver in this run."
        )
        parser.add_argument(
            "--no-mail", action="store_true", help="Escalate only; leave the outbox for later."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        now = timezone.now()
        result = escalation.escalate(now)
        self.stdout.write(
            f"Escalation: {result.examined} clocks examined, {result.warnings} warnings, "
            f"{result.breaches} breaches, {result.errors} errors."
        )
        if not options["no_mail"]:
            sent = services.send_outbox(timezone.now(), batch=options["batch"])
            self.stdout.write(_outbox_line(sent))
        if result.errors:
            raise CommandError("Some clocks could not be escalated; see the log.")


def _outbox_line(result: services.OutboxResult) -> str:
    return (
        f"Outbox: {result.claimed} claimed, {result.sent} sent, {result.retried} to retry, "
        f"{result.failed} failed."
    )
