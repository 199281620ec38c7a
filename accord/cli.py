"""The `accord` command: every Django management command plus Accord's own.

Changes made from here are recorded in the audit trail with the door ``cli`` and the operator's
operating-system login as the actor label.
"""

from __future__ import annotations

import getpass
import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    from django.core.management import execute_from_command_line

    from accord.core.choices import Door
    from accord.core.context import audit_context

    try:
        operator = getpass.getuser()
    except (KeyError, OSError):
        operator = "unknown"
    with audit_context(Door.CLI, actor_label=f"cli:{operator}"):
        execute_from_command_line(["accord", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
