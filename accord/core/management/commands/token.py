"""`accord token USERNAME`: print an API token for that person."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core import services
from accord.core.management.base import run_service
from accord.core.models import Person


class Command(BaseCommand):
    help = "Print the API token of a person (creating it if needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="Replace the existing token.")

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(username=options["username"]).first()
        if person is None:
            raise CommandError(f"No person with username '{options['username']}'.")
        key = run_service(
            lambda: services.token_issue(actor=None, person=person, rotate=options["rotate"])
        )
        self.stdout.write(key)
