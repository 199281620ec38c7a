"""`accord seed_change_policy`: install the default change policy where none is written yet.

The risk questionnaire and the approval matrix are installed each only when it is empty, so
running it on a database with a policy of its own changes nothing. A fresh database gets the
default from its migrations already; this puts it back after the policy was cleared.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accord.changes.models import ApprovalRule, RiskQuestion
from accord.changes.services.policy import seed_policy


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Install the default risk questions and approval matrix where none exist."

    def handle(self, *args: Any, **options: Any) -> None:
        questions = RiskQuestion.objects.count()
        rules = ApprovalRule.objects.count()
        seed_policy()
        added_questions = RiskQuestion.objects.count() - questions
        added_rules = ApprovalRule.objects.count() - rules
        if not (added_questions or added_rules):
            self.stdout.write("A change policy exists already; nothing installed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Installed {added_questions} risk questions and {added_rules} approval rules."
            )
        )
