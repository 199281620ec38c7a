"""`accord load_standard_processes`: add the standard process set where it is missing.

The same as the process register's "Load the standard processes" button: processes are matched
by code and activities by name, and nothing the organisation already changed is touched.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accord.governance.services.processes import processes_seed_standard


class Command(BaseCommand):
    help = "Load the standard service management processes and their RACI where missing."

    def handle(self, *args: Any, **options: Any) -> None:
        created = processes_seed_standard(actor=None)
        self.stdout.write(f"Processes and activities added: {created}.")
