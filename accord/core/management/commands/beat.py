from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run Celery beat, the scheduler of periodic jobs (needs ACCORD_BROKER_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.ACCORD_BROKER_URL:
            raise CommandError(
                "No broker configured: set ACCORD_BROKER_URL (e.g. redis://127.0.0.1:6379/0)."
            )
        from accord.celery import app

        schedule = str(settings.VAR_DIR / "celerybeat-schedule")
        app.start(["beat", f"--loglevel={options['loglevel']}", f"--schedule={schedule}"])
