"""Read queries of the process register, RACI matrices and people's responsibilities.

Processes are provider records: provider staff and auditors holding ``governance.view`` see
every process; nobody else sees any (a process outside the queryset answers 404). What a person
is responsible for is read here too, from role assignments, process owners, RACI cells and the
documents and objectives they own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet

from accord.core.choices import Role
from accord.core.models import Person, RoleAssignment
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.roles import CUSTOMER_ROLES, ROLE_DESCRIPTIONS
from accord.governance.choices import Responsibility
from accord.governance.models import (
    Document,
    Objective,
    Process,
    ProcessActivity,
    RaciAssignment,
)
from accord.governance.standard_processes import STANDARD_PROCESSES

#: Badge colour of each RACI letter (the colour lives beside the value, not in templates).
RACI_COLOURS = {"R": "blue", "A": "indigo", "C": "amber", "I": "grey"}
#: Roles in their declaration order: the order of the matrix's columns.
ROLE_ORDER = {role: index for index, role in enumerate(Role.values)}


def sees_processes(person: Any) -> bool:
    """Provider staff and auditors with governance.view (superusers too)."""
    return sees_all_organisations(person) and has_capability(person, "governance.view")


def processes_visible_to(person: Any) -> QuerySet[Process]:
    qs = Process.objects.select_related("owner", "definition")
    return qs if sees_processes(person) else qs.none()


def process_list(person: Any) -> QuerySet[Process]:
    """The register as the list page and the API list show it: with the number of activities
    and of activities that have no Accountable role yet, counted in the database."""
    return (
        processes_visible_to(person)
        .annotate(
            activity_count=Count("activities", distinct=True),
            accountable_count=Count(
                "activities",
                filter=Q(activities__raci__responsibility=Responsibility.ACCOUNTABLE),
                distinct=True,
            ),
        )
        .annotate(without_accountable=F("activity_count") - F("accountable_count"))
        .prefetch_related(Prefetch("interfaces", queryset=Process.objects.order_by("position")))
        .order_by("position", "name", "pk")
    )


def process_detail(person: Any) -> QuerySet[Process]:
    """Processes with their interfaces and activities (with RACI cells) loaded in advance."""
    return processes_visible_to(person).prefetch_related(
        Prefetch("interfaces", queryset=Process.objects.order_by("position", "name")),
        Prefetch(
            "activities",
            queryset=ProcessActivity.objects.order_by("position", "pk").prefetch_related("raci"),
        ),
    )


def missing_standard_codes() -> list[str]:
    """Codes of the standard processes the register does not have yet."""
    have = set(Process.objects.values_list("code", flat=True))
    return [p.code for p in STANDARD_PROCESSES if p.code not in have]


# --- The RACI matrix --------------------------------------------------------------------------


@dataclass
class RoleColumn:
    role: str
    label: str
    description: str
    holders: list[Person] = field(default_factory=list)
    #: For customer roles only the number of holders is shown (they are many, and not staff).
    holder_count: int = 0
    is_customer_role: bool = False


@dataclass
class MatrixCell:
    role: str
    letter: str

    @property
    def colour(self) -> str:
        return RACI_COLOURS.get(self.letter, "grey")


@dataclass
class MatrixRow:
    activity: ProcessActivity
    cells: list[MatrixCell]

    @property
    def has_accountable(self) -> bool:
        return any(c.letter == Responsibility.ACCOUNTABLE for c in self.cells)


@dataclass
class Matrix:
    process: Process
    roles: list[RoleColumn]
    rows: list[MatrixRow]

    @property
    def without_accountable(self) -> list[ProcessActivity]:
        return [row.activity for row in self.rows if not row.has_accountable]


def _sorted_roles(roles: Iterable[str]) -> list[str]:
    return sorted({r for r in roles if r in ROLE_ORDER}, key=ROLE_ORDER.__getitem__)


def role_holders(roles: Iterable[str]) -> dict[str, tuple[list[Person], int]]:
    """For each role: its active holders (provider roles) and how many there are; two queries
    whatever the number of roles and people."""
    roles = list(roles)
    staff_roles = [r for r in roles if r not in CUSTOMER_ROLES]
    result: dict[str, tuple[list[Person], int]] = {r: ([], 0) for r in roles}
    people: dict[str, list[Person]] = defaultdict(list)
    if staff_roles:
        for assignment in (
            RoleAssignment.objects.filter(role__in=staff_roles, person__is_active=True)
            .select_related("person")
            .order_by("person__first_name", "person__last_name", "person__username")
        ):
            if all(p.pk != assignment.person_id for p in people[assignment.role]):
                people[assignment.role].append(assignment.person)
        for role in staff_roles:
            result[role] = (people[role], len(people[role]))
    customer_roles = [r for r in roles if r in CUSTOMER_ROLES]
    if customer_roles:
        counts = dict(
            RoleAssignment.objects.filter(role__in=customer_roles, person__is_active=True)
            .values_list("role")
            .annotate(n=Count("person", distinct=True))
            .values_list("role", "n")
        )
        for role in customer_roles:
            result[role] = ([], counts.get(role, 0))
    return result


def raci_matrix(process: Process, extra_roles: Iterable[str] = ()) -> Matrix:
    """The process's activities by the roles used in its matrix (plus ``extra_roles``), each
    cell with its letter, each role with its current holders. A fixed number of queries
    however many activities and roles there are."""
    activities = list(
        ProcessActivity.objects.filter(process=process)
        .order_by("position", "pk")
        .prefetch_related("raci")
    )
    used = {cell.role for activity in activities for cell in activity.raci.all()}
    roles = _sorted_roles(used | set(extra_roles))
    holders = role_holders(roles)
    columns = [
        RoleColumn(
            role=role,
            label=Role(role).label,
            description=ROLE_DESCRIPTIONS.get(role, ""),
            holders=holders[role][0],
            holder_count=holders[role][1],
            is_customer_role=role in CUSTOMER_ROLES,
        )
        for role in roles
    ]
    rows = []
    for activity in activities:
        letters = {cell.role: cell.responsibility for cell in activity.raci.all()}
        rows.append(
            MatrixRow(activity, [MatrixCell(role, letters.get(role, "")) for role in roles])
        )
    return Matrix(process=process, roles=columns, rows=rows)


# --- A person's responsibilities --------------------------------------------------------------


@dataclass
class HeldRole:
    role: str
    label: str
    description: str
    organisation: Any


@dataclass
class ProcessDuties:
    process: Process
    duties: list[tuple[str, str, str, str]]  # (activity, role label, letter, letter colour)


@dataclass
class Responsibilities:
    person: Person
    roles: list[HeldRole]
    processes_owned: list[Process]
    raci: list[ProcessDuties]
    documents_owned: list[Document]
    objectives_owned: list[Objective]


def may_see_responsibilities(viewer: Any, person: Person) -> bool:
    """Anyone may see their own; staff who read the governance records see everyone's."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return False
    return viewer.pk == person.pk or sees_processes(viewer)


def responsibilities_of(person: Person) -> Responsibilities:
    """What ``person`` answers for: their roles (with what each role does), the processes
    they own, the RACI cells that apply to them through their roles (active processes, grouped
    by process), and the documents and objectives they own."""
    assignments = list(
        RoleAssignment.objects.filter(person=person)
        .select_related("organisation")
        .order_by("role", "organisation__name")
    )
    held = [
        HeldRole(
            role=a.role,
            label=Role(a.role).label if a.role in Role.values else a.role,
            description=ROLE_DESCRIPTIONS.get(a.role, ""),
            organisation=a.organisation,
        )
        for a in assignments
    ]
    roles = {a.role for a in assignments}
    cells = (
        RaciAssignment.objects.filter(role__in=roles, activity__process__is_active=True)
        .select_related("activity__process")
        .order_by("activity__process__position", "activity__process__name", "activity__position")
    )
    grouped: dict[int, ProcessDuties] = {}
    for cell in cells:
        process = cell.activity.process
        entry = grouped.setdefault(process.pk, ProcessDuties(process, []))
        entry.duties.append(
            (
                cell.activity.name,
                Role(cell.role).label,
                cell.responsibility,
                RACI_COLOURS.get(cell.responsibility, "grey"),
            )
        )
    return Responsibilities(
        person=person,
        roles=held,
        processes_owned=list(
            Process.objects.filter(owner=person).order_by("position", "name", "pk")
        ),
        raci=list(grouped.values()),
        documents_owned=list(Document.objects.filter(owner=person).order_by("title", "pk")),
        objectives_owned=list(
            Objective.objects.filter(owner=person).order_by("-period_end", "title", "pk")
        ),
    )
