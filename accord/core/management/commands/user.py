"""`accord user create|roles|list`: manage people from the command line."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accord.core import services
from accord.core.choices import OrganisationKind, Role
from accord.core.management.base import format_table, run_service
from accord.core.models import Organisation, Person
from accord.core.roles import CAPABILITIES, ROLE_CAPABILITIES, ROLE_DESCRIPTIONS


class Command(BaseCommand):
    help = "Create people, list them, and show the roles Accord knows."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,roles,list}")
        create = sub.add_parser("create", help="Create a person with one or more roles.")
        create.add_argument("username")
        create.add_argument(
            "--role",
            action="append",
            required=True,
            choices=Role.values,
            metavar="ROLE",
            help="A role to hold (repeatable). See `accord user roles`.",
        )
        create.add_argument("--org", help="Organisation code (default: the provider).")
        create.add_argument("--password", help="Password (default: a generated one, printed).")
        create.add_argument("--email", default="")
        create.add_argument("--first-name", default="")
        create.add_argument("--last-name", default="")
        sub.add_parser("roles", help="List the roles and what each may do.")
        listing = sub.add_parser("list", help="List people and their roles.")
        listing.add_argument("--org", help="Only this organisation (code).")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        code = options["org"]
        if code:
            org = Organisation.objects.filter(code=code.upper()).first()
            if org is None:
                raise CommandError(f"No organisation with code '{code}'.")
        else:
            org = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
            if org is None:
                raise CommandError(
                    "No service provider organisation exists yet: run `accord demo` or create one."
                )
        password = options["password"] or secrets.token_urlsafe(12)
        with transaction.atomic():
            person = run_service(
                lambda: services.person_create(
                    actor=None,
                    username=options["username"],
                    organisation=org,
                    email=options["email"],
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    password=password,
                    roles=options["role"],
                )
            )
        self.stdout.write(
            f"Created {person.username} in {org.code} with roles {', '.join(options['role'])}."
        )
        if not options["password"]:
            self.stdout.write(f"Password: {password}")

    def _roles(self, options: dict[str, Any]) -> None:
        for role in Role:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{role.value}  ({role.label})"))
            self.stdout.write(f"  {ROLE_DESCRIPTIONS[role]}")
            for cap in sorted(ROLE_CAPABILITIES[role]):
                self.stdout.write(f"  - {CAPABILITIES[cap].label}")

    def _list(self, options: dict[str, Any]) -> None:
        qs = Person.objects.select_related("organisation").prefetch_related("role_assignments")
        if options["org"]:
            qs = qs.filter(organisation__code=options["org"].upper())
        rows = [
            (
                p.username,
                p.organisation.code if p.organisation else "-",
                "yes" if p.is_active else "no",
                ",".join(sorted(a.role for a in p.role_assignments.all())) or "-",
            )
            for p in qs.order_by("username")
        ]
        self.stdout.write(format_table(rows, ("username", "org", "active", "roles")))
