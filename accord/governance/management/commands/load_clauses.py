"""`accord load_clauses`: add missing clauses of ISO/IEC 20000-1 and refresh their wording.

Safe to run after every upgrade: assessments (status, notes, assessor, date, documents) are
never touched, and a second run changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accord.governance.services.clauses import clauses_load


class Command(BaseCommand):
    help = "Load the clauses of ISO/IEC 20000-1 (4 to 10); assessments stay as they are."

    def handle(self, *args: Any, **options: Any) -> None:
        result = clauses_load(actor=None)
        self.stdout.write(
            f"Clauses added: {len(result.created)}, refreshed: {len(result.updated)}, "
            f"unchanged: {len(result.unchanged)}."
        )
