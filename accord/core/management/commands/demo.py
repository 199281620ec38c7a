"""`accord demo`: load demo data (idempotent) and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import Progress

from accord.core import demo
from accord.core.models import Organisation


class Command(BaseCommand):
    help = "Load demo organisations, teams and people (one per main role). Safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only into an empty database (what `make run` does on first start).",
        )
        parser.add_argument(
            "--incidents",
            type=int,
            default=0,
            metavar="N",
            help="Then generate N more incidents with their SLA clocks, quickly (benchmarks).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Organisation.objects.exists():
            self.stdout.write("Data present: demo data not loaded again.")
        else:
            with Progress(transient=True) as bar:
                task = bar.add_task("Loading demo data", total=demo.all_steps())
                demo.load(progress=lambda label: bar.update(task, advance=1, description=label))
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        if options["incidents"] < 0:
            raise CommandError("--incidents takes a positive number.")
        if options["incidents"]:
            self._generate(options["incidents"])
        rows = demo.logins()
        if rows:
            self.stdout.write("Demo logins (username / password):")
            for username, password, what in rows:
                self.stdout.write(f"  {username:<12} {password}   {what}")

    def _generate(self, count: int) -> None:
        from accord.incidents.demo import generate

        with Progress(transient=True) as bar:
            task = bar.add_task("Generating incidents", total=count)
            try:
                made = generate(count, progress=lambda n: bar.update(task, advance=n))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{made} incidents generated."))
