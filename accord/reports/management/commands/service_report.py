"""`accord service_report [--agreement CODE | --service CODE] [--period YYYY-MM | --start D
--end D] [--pdf FILE] [--json FILE] [--save [--as USERNAME]]`.

Prints a service report's headline figures, writes it as a PDF or JSON file, or saves it as a
draft report version, through the same builder and services as the pages and the API. Without
``--as`` a saved version is the system's (recorded with the operator's login through the CLI
door); with ``--as`` it is that person's, with their permissions. Bad input (an unknown code, a
malformed or future period) is refused with a message and a non-zero exit, and nothing changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.agreements.models import Agreement
from accord.core.models import Person
from accord.portfolio.models import Service
from accord.reports import services
from accord.reports.builder import build_report, report_pdf
from accord.reports.scope import parse_period, zone_of


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for errors in exc.error_dict.values() for e in errors for m in e)
    return " ".join(str(m) for m in exc.messages)


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Print, export (PDF, JSON) or save as a draft version a service report."

    def add_arguments(self, parser: CommandParser) -> None:
        subject = parser.add_mutually_exclusive_group()
        subject.add_argument("--agreement", help="An agreement's code, e.g. SLA-CONTOSO.")
        subject.add_argument("--service", help="A service's code. Neither: all services.")
        parser.add_argument("--period", default="", help="A month, YYYY-MM (default: last).")
        parser.add_argument("--start", default="", help="Or the first day, YYYY-MM-DD.")
        parser.add_argument("--end", default="", help="And the last day, YYYY-MM-DD.")
        parser.add_argument("--pdf", default=None, help="Write the report as a PDF file.")
        parser.add_argument("--json", default=None, help="Write the report as a JSON file.")
        parser.add_argument("--save", action="store_true", help="Save it as a draft version.")
        parser.add_argument(
            "--as", dest="username", default=None, help="Save as this person (their rights)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        agreement = service = None
        if options["agreement"]:
            agreement = Agreement.objects.filter(code=options["agreement"].strip()).first()
            if agreement is None:
                raise CommandError(f"No agreement {options['agreement']}.")
        if options["service"]:
            service = Service.objects.filter(code=options["service"].strip()).first()
            if service is None:
                raise CommandError(f"No service {options['service']}.")
        actor = None
        if options["username"]:
            actor = Person.objects.filter(username=options["username"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active person {options['username']}.")
        try:
            start, end = parse_period(
                period=options["period"],
                start=options["start"],
                end=options["end"],
                today=now.astimezone(zone_of(agreement)).date(),
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from exc
        subject = services.check_subject(agreement, service)
        report = build_report(subject.scope(start, end), now)
        for path, content in (
            (options["pdf"], lambda: report_pdf(report, now)),
            (options["json"], lambda: json.dumps(report, indent=2).encode()),
        ):
            if path:
                try:
                    Path(path).write_bytes(content())
                except OSError as exc:
                    raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
                self.stdout.write(f"Wrote {path}.")
        if options["save"]:
            try:
                saved = services.report_compile(
                    actor=actor, agreement=agreement, service=service, start=start, end=end, now=now
                )
            except (PermissionDenied, ValidationError) as exc:
                text = _messages(exc) if isinstance(exc, ValidationError) else str(exc)
                raise CommandError(text or "Not allowed.") from exc
            self.stdout.write(f"Saved {saved.reference} revision {saved.revision} (draft).")
        meta = report["meta"]
        self.stdout.write(f"{meta['title']} · {meta['period']} · {meta['zone']}")
        for section in report["sections"]:
            figures = "; ".join(f"{label}: {value}" for label, value in section["figures"][:4])
            self.stdout.write(f"  {section['number']}. {section['title']}: {figures}")
