"""Demo data: a provider, two customers, a supplier, teams and one person per main role.

Loading is idempotent: what exists (by code or username) is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import transaction

from accord.core import services
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person, Team

DEMO_PASSWORD = "Accord-demo-1"  # noqa: S105 - published demo login, demo data only


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first: str
    last: str
    org: str
    roles: tuple[str, ...]
    title: str


ORGANISATIONS = [
    ("ACME", "Acme IT Services", OrganisationKind.PROVIDER, "Europe/Berlin"),
    ("CONTOSO", "Contoso Ltd", OrganisationKind.CUSTOMER, "Europe/London"),
    ("GLOBEX", "Globex Corporation", OrganisationKind.CUSTOMER, "America/New_York"),
    ("UMBRELLA", "Umbrella Health", OrganisationKind.CUSTOMER, "Europe/Paris"),
    ("INITECH", "Initech Hosting", OrganisationKind.SUPPLIER, "Europe/Dublin"),
]

PEOPLE = [
    DemoPerson("admin", "Ada", "Admin", "ACME", (Role.ADMINISTRATOR,), "Administrator"),
    DemoPerson("agent", "Alice", "Agent", "ACME", (Role.AGENT,), "Service desk agent"),
    DemoPerson(
        "incident",
        "Ivan",
        "Incident",
        "ACME",
        (Role.INCIDENT_MANAGER, Role.AGENT),
        "Incident manager",
    ),
    DemoPerson(
        "owner",
        "Sam",
        "Owner",
        "ACME",
        (Role.SERVICE_OWNER, Role.SERVICE_LEVEL_MANAGER),
        "Service owner",
    ),
    DemoPerson("problem", "Pat", "Problem", "ACME", (Role.PROBLEM_MANAGER,), "Problem manager"),
    DemoPerson("top", "Tina", "Top", "ACME", (Role.TOP_MANAGEMENT,), "Managing director"),
    DemoPerson("sms", "Sofia", "Sms", "ACME", (Role.SMS_OWNER,), "SMS owner"),
    DemoPerson("auditor", "Audrey", "Auditor", "ACME", (Role.AUDITOR,), "Internal auditor"),
    DemoPerson("customer", "Carl", "Customer", "CONTOSO", (Role.CUSTOMER_USER,), "Analyst"),
    DemoPerson(
        "custmanager",
        "Cora",
        "Manager",
        "CONTOSO",
        (Role.CUSTOMER_MANAGER, Role.CUSTOMER_USER),
        "IT manager",
    ),
    DemoPerson("globex", "Gary", "Globex", "GLOBEX", (Role.CUSTOMER_USER,), "Engineer"),
]

TEAMS = [
    ("ACME", "SERVICE-DESK", "Service Desk", "agent", ["agent", "incident"]),
    ("ACME", "OPERATIONS", "Operations", "owner", ["owner"]),
]


def logins() -> list[tuple[str, str, str]]:
    """(username, password, what the login shows) for the demo people that exist."""
    existing = set(
        Person.objects.filter(username__in=[p.username for p in PEOPLE]).values_list(
            "username", flat=True
        )
    )
    return [
        (p.username, DEMO_PASSWORD, f"{p.title} at {p.org}")
        for p in PEOPLE
        if p.username in existing
    ]


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    orgs: dict[str, Organisation] = {}

    def org_step(code: str, name: str, kind: str, tz: str) -> Callable[[], None]:
        def run() -> None:
            found = Organisation.objects.filter(code=code).first()
            orgs[code] = found or services.organisation_create(
                actor=None, code=code, name=name, kind=kind, time_zone=tz
            )

        return run

    def person_step(p: DemoPerson) -> Callable[[], None]:
        def run() -> None:
            if Person.objects.filter(username=p.username).exists():
                return
            person = services.person_create(
                actor=None,
                username=p.username,
                organisation=orgs[p.org],
                first_name=p.first,
                last_name=p.last,
                email=f"{p.username}@{p.org.lower()}.example",
                job_title=p.title,
                password=DEMO_PASSWORD,
                roles=p.roles,
            )
            if Role.ADMINISTRATOR in p.roles:
                from accord.core import records

                records.update_record(
                    actor=None,
                    instance=person,
                    data={"is_staff": True, "is_superuser": True},
                    fields=("is_staff", "is_superuser"),
                    organisation=person.organisation_id,
                )

        return run

    def team_step(
        org: str, code: str, name: str, lead: str, members: list[str]
    ) -> Callable[[], None]:
        def run() -> None:
            if Team.objects.filter(organisation=orgs[org], code=code).exists():
                return
            services.team_create(
                actor=None,
                organisation=orgs[org],
                code=code,
                name=name,
                lead=Person.objects.get(username=lead),
                members=list(Person.objects.filter(username__in=members)),
            )

        return run

    for code, name, kind, tz in ORGANISATIONS:
        yield f"organisation {code}", org_step(code, name, kind, tz)
    for p in PEOPLE:
        yield f"person {p.username}", person_step(p)
    for org, code, name, lead, members in TEAMS:
        yield f"team {code}", team_step(org, code, name, lead, members)


def _loaders() -> list[tuple[Callable[[], Iterator[tuple[str, Callable[[], None]]]], int]]:
    """Demo loaders of every app, in dependency order (settings.ACCORD_DEMO_MODULES)."""
    from django.conf import settings
    from django.utils.module_loading import import_module

    modules = [import_module(name) for name in settings.ACCORD_DEMO_MODULES]
    return [(module.steps, module.total_steps()) for module in modules]


def load(progress: Callable[[str], None] | None = None) -> None:
    with transaction.atomic():
        for module_steps, _ in _loaders():
            for label, step in module_steps():
                step()
                if progress:
                    progress(label)


def total_steps() -> int:
    return len(ORGANISATIONS) + len(PEOPLE) + len(TEAMS)


def all_steps() -> int:
    return sum(count for _, count in _loaders())
