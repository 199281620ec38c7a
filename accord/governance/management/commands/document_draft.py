"""`accord document_draft DOC-000001 policy.md [--summary …] [--as username]`.

Writes a Markdown file into the document's open draft, starting one from the approved version
in force when none is open, through the same services as the pages and the API. Without
``--as`` the change is the system's (recorded with the operator's login through the CLI door);
with ``--as`` it is that person's, with their permissions. A draft that cannot take the text
(a version in review, an unknown document, an unreadable file) is refused with a message and a
non-zero exit, and nothing changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accord.core.models import Person
from accord.core.records import StaleVersion
from accord.governance.choices import VersionStatus
from accord.governance.models import Document, DocumentVersion
from accord.governance.services import documents as services

MAX_BYTES = services.BODY_MAX * 4


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for errors in exc.error_dict.values() for e in errors for m in e)
    return " ".join(str(m) for m in exc.messages)


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Write a Markdown file into a document's open draft (starting one if needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="The document, e.g. DOC-000001.")
        parser.add_argument("file", help="The Markdown file with the new text.")
        parser.add_argument("--summary", default=None, help="What changed (change summary).")
        parser.add_argument(
            "--as", dest="username", default=None, help="Act as this person (their rights)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        document = Document.objects.filter(reference=options["reference"].strip().upper()).first()
        if document is None:
            raise CommandError(f"No document {options['reference']}.")
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        if len(raw) > MAX_BYTES:
            raise CommandError(f"{path} is too large for a document.")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text.") from exc
        actor = None
        if options["username"]:
            actor = Person.objects.filter(username=options["username"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active person {options['username']}.")
        try:
            version = self.write(actor, document, body, options["summary"])
        except (ValidationError, PermissionDenied, StaleVersion) as exc:
            message = _messages(exc) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(f"{document.reference}: {message}") from exc
        self.stdout.write(
            f"{document.reference} version {version.number} (draft) now holds {path.name}."
        )

    @transaction.atomic
    def write(
        self, actor: Person | None, document: Document, body: str, summary: str | None
    ) -> DocumentVersion:
        open_version = document.versions.filter(
            status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]
        ).first()
        if open_version is None:
            return services.version_start(
                actor=actor, document=document, body=body, change_summary=summary or ""
            )
        return services.version_edit(
            actor=actor, version=open_version, body=body, change_summary=summary
        )
