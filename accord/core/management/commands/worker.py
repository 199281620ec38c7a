from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run a Celery worker (needs ACCORD_BROKER_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument("--queues", default="celery")
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.ACCORD_BROKER_URL:
            raise CommandError(
                "No broker configured: set ACCORD_BROKER_URL (e.g. redis://127.0.0.1:6379/0). "
                "Without one, `accord serve` runs background work itself."
            )
        from accord.celery import app

        app.worker_main(
            [
                "worker",
                f"--concurrency={options['concurrency']}",
                f"--queues={options['queues']}",
                f"--loglevel={options['loglevel']}",
            ]
        )
