"""`accord transition`: service transitions from the command line.

``list [--open]`` prints them; ``readiness TRN-…`` prints what stands in the way of completing
one (exit status 1 when something does); ``move TRN-… --to STAGE [--reason …]
[--raise-improvement] [--as USERNAME]`` moves one through the same gates as the pages and the
API. Without ``--as`` the move is the system's (recorded with the ``cli`` door and the
operator's name); with it, that person's, with their permissions. A refused move prints the
reasons and exits non-zero; nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.models import Person
from accord.core.records import StaleVersion
from accord.transitions import services
from accord.transitions.choices import OPEN_STAGES, Stage
from accord.transitions.models import ServiceTransition


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for messages in exc.message_dict.values() for m in messages)
    return " ".join(exc.messages)


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "List service transitions, check their readiness and move them through their gates."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Print the transitions, newest first.")
        listing.add_argument("--open", action="store_true", help="Only those being worked.")
        ready = sub.add_parser("readiness", help="What is missing before it completes.")
        ready.add_argument("reference")
        move = sub.add_parser("move", help="Move a transition to another stage.")
        move.add_argument("reference")
        move.add_argument("--to", required=True, choices=Stage.values)
        move.add_argument("--reason", default="", help="Why it is cancelled.")
        move.add_argument("--raise-improvement", action="store_true")
        move.add_argument("--as", dest="username", default="", help="Act as this person.")

    def _find(self, reference: str) -> ServiceTransition:
        found = (
            ServiceTransition.objects.select_related("service")
            .filter(reference=reference.strip().upper())
            .first()
        )
        if found is None:
            raise CommandError(f"No transition {reference}.")
        return found

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            rows = ServiceTransition.objects.select_related("service", "owner")
            if options["open"]:
                rows = rows.filter(stage__in=OPEN_STAGES)
            for t in rows.order_by("-created_at", "-pk"):
                self.stdout.write(
                    f"{t.reference}  {t.service.code:<12} {t.kind:<13} {t.stage:<11} {t.title}"
                )
            return
        transition = self._find(options["reference"])
        if action == "readiness":
            missing = services.readiness(transition)
            if not missing:
                self.stdout.write(f"{transition.reference} is ready.")
                return
            self.stdout.write(f"{transition.reference} is not ready:")
            for line in missing:
                self.stdout.write(f"  - {line}")
            raise SystemExit(1)
        actor = None
        if options["username"]:
            actor = Person.objects.filter(username=options["username"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active person {options['username']}.")
        try:
            moved = services.transition_move(
                actor=actor,
                transition=transition,
                to=options["to"],
                reason=options["reason"],
                raise_improvement=options["raise_improvement"],
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from exc
        except (PermissionDenied, StaleVersion) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{moved.reference} is now {moved.get_stage_display().lower()}.")
