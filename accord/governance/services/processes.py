"""Every change to the process register and its RACI matrices, from every door.

Processes are the provider's own records (ISO/IEC 20000-1, 4.4 and 5.3): their audit events
carry no organisation. Holders of ``governance.manage`` change everything; the owner of a process
may change its purpose, KPIs, activities and RACI, but not who owns it. ``actor=None`` is the
trusted system (command line, jobs).

The RACI rule: an activity has exactly one Accountable role. A second A is refused with the
name of the role that is accountable now; a matrix without an A may be saved while it is being
drafted (the pages flag such activities). Every change of activities and cells bumps the
process's version, so two people editing the same matrix cannot overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accord.core import audit, records
from accord.core.choices import AuditAction, Role
from accord.core.models import Person, RoleAssignment
from accord.core.permissions import has_capability, is_provider_staff, require
from accord.governance.choices import Responsibility
from accord.governance.models import Document, Process, ProcessActivity, RaciAssignment
from accord.governance.standard_processes import STANDARD_PROCESSES

#: Fields set on creation and by :func:`process_update`.
PROCESS_FIELDS = (
    "code",
    "name",
    "clause",
    "purpose",
    "owner",
    "owner_role",
    "kpis",
    "interfaces",
    "definition",
    "position",
    "is_active",
)
#: What the owner of a process may change themselves (the rest needs governance.manage).
OWNER_EDITABLE = frozenset({"purpose", "kpis"})
ACTIVITY_FIELDS = ("process", "name", "position")
MAX_KPIS = 20
MAX_KPI_LENGTH = 200
ACCOUNTABLE = Responsibility.ACCOUNTABLE

Cells = Mapping[tuple[int, str], str | None]


# --- Who may do what --------------------------------------------------------------------------


def may_manage_processes(person: Any) -> bool:
    """Holders of governance.manage (and the trusted system)."""
    return person is None or has_capability(person, "governance.manage")


def is_process_owner(person: Any, process: Process) -> bool:
    return (
        person is not None
        and getattr(person, "is_authenticated", False)
        and person.is_active
        and process.owner_id is not None
        and process.owner_id == person.pk
    )


def may_edit_process(person: Any, process: Process) -> bool:
    """Whether ``person`` may change the process's purpose, KPIs, activities and RACI."""
    return may_manage_processes(person) or is_process_owner(person, process)


def _require_edit(actor: Any, process: Process) -> None:
    if not may_edit_process(actor, process):
        raise PermissionDenied("Only the process owner or governance managers may change this.")


# --- Validation -------------------------------------------------------------------------------


def _role_label(role: str) -> str:
    return Role(role).label if role in Role.values else role


def clean_role(role: Any, field: str = "role") -> str:
    if not isinstance(role, str) or role not in Role.values:
        raise ValidationError({field: f"Unknown role '{role}'. Choose one of: {_roles_text()}."})
    return role


def _roles_text() -> str:
    return ", ".join(Role.values)


def clean_letter(letter: Any, field: str = "responsibility") -> str:
    """A RACI letter, or '' to clear the cell."""
    if letter is None or letter == "":
        return ""
    if not isinstance(letter, str) or letter.upper() not in Responsibility.values:
        raise ValidationError(
            {field: f"'{letter}' is not a RACI letter. Use R, A, C, I or leave it empty."}
        )
    return letter.upper()


def clean_kpis(kpis: Any) -> str:
    """One KPI per line: blank lines dropped, each line trimmed."""
    if kpis is None:
        return ""
    if not isinstance(kpis, str):
        raise ValidationError({"kpis": "Give the KPIs as text, one per line."})
    lines = [line.strip() for line in kpis.splitlines() if line.strip()]
    if len(lines) > MAX_KPIS:
        raise ValidationError({"kpis": f"At most {MAX_KPIS} KPIs."})
    for line in lines:
        if len(line) > MAX_KPI_LENGTH:
            raise ValidationError(
                {"kpis": f"A KPI is at most {MAX_KPI_LENGTH} characters: '{line[:40]}…'."}
            )
    return "\n".join(lines)


def check_owner(owner: Person | None) -> None:
    """A process owner is an active member of the provider's staff (or nobody yet)."""
    if owner is None:
        return
    if not is_provider_staff(owner):
        raise ValidationError(
            {"owner": f"'{owner.username}' is not an active member of the provider's staff."}
        )


def check_owner_role(owner_role: Any) -> str:
    if owner_role in (None, ""):
        return ""
    return clean_role(owner_role, "owner_role")


def check_interfaces(process: Process | None, interfaces: Iterable[Process]) -> list[Process]:
    found = list(interfaces)
    if process is not None and any(p.pk == process.pk for p in found):
        raise ValidationError({"interfaces": "A process cannot be an interface of itself."})
    return found


def check_definition(definition: Document | None) -> None:
    if definition is not None and not isinstance(definition, Document):
        raise ValidationError({"definition": "Choose a document of the register."})


def check_code_free(code: str, exclude_pk: int | None = None) -> None:
    taken = Process.objects.filter(code=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"code": f"A process with the code '{code}' exists already."})


def _value(process: Process, name: str) -> Any:
    field = Process._meta.get_field(name)
    if field.many_to_many:
        return sorted(process.interfaces.values_list("pk", flat=True)) if process.pk else []
    return getattr(process, field.attname)


def _given(name: str, value: Any) -> Any:
    if name == "interfaces":
        return sorted(getattr(v, "pk", v) for v in value)
    return getattr(value, "pk", value)


def changed_fields(process: Process, data: Mapping[str, Any]) -> set[str]:
    """The names in ``data`` whose value differs from what ``process`` holds."""
    return {name for name, value in data.items() if _given(name, value) != _value(process, name)}


# --- Processes --------------------------------------------------------------------------------


@transaction.atomic
def process_create(
    *,
    actor: Person | None,
    code: str,
    name: str,
    clause: str = "",
    purpose: str = "",
    owner: Person | None = None,
    owner_role: str = "",
    kpis: str = "",
    interfaces: Iterable[Process] = (),
    definition: Document | None = None,
    position: int = 0,
    is_active: bool = True,
) -> Process:
    """Add a process to the register (governance.manage)."""
    require(actor, "governance.manage")
    check_owner(owner)
    check_definition(definition)
    process = Process(
        code=code,
        name=name,
        clause=clause,
        purpose=purpose,
        owner=owner,
        owner_role=check_owner_role(owner_role),
        kpis=clean_kpis(kpis),
        definition=definition,
        position=position,
        is_active=is_active,
    )
    process.clean_fields(exclude=["owner", "definition"])
    check_code_free(code)
    try:
        with transaction.atomic():
            return records.create_record(
                actor=actor,
                instance=process,
                fields=PROCESS_FIELDS,
                m2m={"interfaces": check_interfaces(None, interfaces)},
                references_checked=True,
            )
    except IntegrityError as exc:  # a concurrent creation took the code first
        raise ValidationError(
            {"code": f"A process with the code '{code}' exists already."}
        ) from exc


@transaction.atomic
def process_update(
    *,
    actor: Person | None,
    process: Process,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Process:
    """Change a process. governance.manage changes every field; the process owner its purpose
    and KPIs only (activities and RACI through their own services)."""
    unknown = sorted(set(data) - set(PROCESS_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    if not may_manage_processes(actor):
        if not is_process_owner(actor, process):
            raise PermissionDenied("Only governance managers may change this process.")
        beyond = sorted(changed_fields(process, data) - OWNER_EDITABLE)
        if "owner" in beyond:
            raise PermissionDenied("The owner of a process cannot hand it to someone else.")
        if beyond:
            raise PermissionDenied(
                "As its owner you may change the purpose, KPIs, activities and RACI of this "
                f"process, not: {', '.join(beyond)}."
            )
    data = dict(data)
    m2m = {}
    if "interfaces" in data:
        m2m["interfaces"] = check_interfaces(process, data.pop("interfaces"))
    if "owner" in data:
        check_owner(data["owner"])
    if "owner_role" in data:
        data["owner_role"] = check_owner_role(data["owner_role"])
    if "kpis" in data:
        data["kpis"] = clean_kpis(data["kpis"])
    if "definition" in data:
        check_definition(data["definition"])
    if "code" in data and data["code"] != process.code:
        check_code_free(data["code"], exclude_pk=process.pk)
    return records.update_record(
        actor=actor,
        instance=process,
        data=data,
        fields=PROCESS_FIELDS,
        expected_version=expected_version,
        m2m=m2m,
    )


def _lock(process: Process, expected_version: int | None) -> Process:
    locked = Process.objects.select_for_update().get(pk=process.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    return locked


def _bump(process: Process, now: dt.datetime | None) -> None:
    """A change to the process's activities or matrix: the next version of the process."""
    Process.objects.filter(pk=process.pk).update(
        version=F("version") + 1, updated_at=now or timezone.now()
    )
    process.version += 1


# --- Activities -------------------------------------------------------------------------------


def _clean_activity_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "Name the activity."})
    name = " ".join(name.split())
    if len(name) > 200:
        raise ValidationError({"name": "An activity name is at most 200 characters."})
    return name


def _check_name_free(process: Process, name: str, exclude_pk: int | None = None) -> None:
    taken = ProcessActivity.objects.filter(process=process, name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": f"“{name}” is an activity of this process already."})


def _clean_position(position: Any) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 32767:
        raise ValidationError({"position": "Give a position from 0 to 32767."})
    return position


@transaction.atomic
def activity_add(
    *,
    actor: Person | None,
    process: Process,
    name: str,
    position: int | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ProcessActivity:
    """Add an activity (a row of the RACI matrix); by default after the last one."""
    _require_edit(actor, process)
    locked = _lock(process, expected_version)
    name = _clean_activity_name(name)
    _check_name_free(locked, name)
    if position is None:
        last = locked.activities.order_by("-position").values_list("position", flat=True).first()
        position = min((last or 0) + 10, 32767) if last is not None else 10
    activity = ProcessActivity(process=locked, name=name, position=_clean_position(position))
    records.create_record(
        actor=actor, instance=activity, fields=ACTIVITY_FIELDS, references_checked=True
    )
    _bump(locked, now)
    process.version = locked.version
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: Person | None,
    activity: ProcessActivity,
    name: str | None = None,
    position: int | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ProcessActivity:
    """Rename or move an activity. ``expected_version`` is the process's version."""
    process = activity.process
    _require_edit(actor, process)
    locked = _lock(process, expected_version)
    current = ProcessActivity.objects.select_for_update().get(pk=activity.pk)
    before = audit.snapshot(current, ACTIVITY_FIELDS)
    if name is not None:
        current.name = _clean_activity_name(name)
        _check_name_free(locked, current.name, exclude_pk=current.pk)
    if position is not None:
        current.position = _clean_position(position)
    changes = audit.diff(before, audit.snapshot(current, ACTIVITY_FIELDS))
    if not changes:
        return current
    current.save(update_fields=["name", "position"])
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=current, changes=changes)
    _bump(locked, now)
    return current


@transaction.atomic
def activity_remove(
    *,
    actor: Person | None,
    activity: ProcessActivity,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Remove an activity and its RACI cells; the audit event keeps what the cells were."""
    process = activity.process
    _require_edit(actor, process)
    locked = _lock(process, expected_version)
    cells = dict(activity.raci.values_list("role", "responsibility"))
    pk = activity.pk
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=activity,
        changes={"name": [activity.name, None], "raci": [cells, None]} if cells else {},
    )
    activity.delete()
    activity.pk = pk
    _bump(locked, now)


# --- RACI -------------------------------------------------------------------------------------


def _cell_label(activity_name: str, role: str) -> str:
    return f"RACI {activity_name} / {_role_label(role)}"


def _one_accountable(
    names: Mapping[int, str],
    before: Mapping[int, dict[str, str]],
    after: Mapping[int, dict[str, str]],
) -> None:
    """Refuse a matrix in which an activity has more than one A, naming who is A now."""
    for activity_id, cells in after.items():
        accountable = sorted(role for role, letter in cells.items() if letter == ACCOUNTABLE)
        if len(accountable) <= 1:
            continue
        was = [r for r in accountable if before.get(activity_id, {}).get(r) == ACCOUNTABLE]
        new = [r for r in accountable if r not in was]
        name = names[activity_id]
        if was:
            now_a = ", ".join(_role_label(r) for r in was)
            wanted = ", ".join(_role_label(r) for r in new)
            message = (
                f"“{name}” already has an Accountable role: {now_a}. An activity has exactly "
                f"one; make {now_a} R, C or I before making {wanted} accountable."
            )
        else:
            message = (
                f"“{name}” would have {len(accountable)} Accountable roles "
                f"({', '.join(_role_label(r) for r in accountable)}); an activity has exactly "
                "one."
            )
        raise ValidationError({"responsibility": message})


@transaction.atomic
def raci_save_matrix(
    *,
    actor: Person | None,
    process: Process,
    cells: Cells,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Process:
    """Save cells of the process's RACI matrix in one go.

    ``cells`` maps ``(activity id, role)`` to a letter, or ``''`` / None to clear the cell;
    cells not named stay as they are. One audit event on the process lists every changed cell,
    and the process's version goes up, so a save based on an older version is refused.
    """
    _require_edit(actor, process)
    locked = _lock(process, expected_version)
    names = dict(locked.activities.values_list("pk", "name"))
    wanted: dict[tuple[int, str], str] = {}
    for key, letter in cells.items():
        if not isinstance(key, tuple) or len(key) != 2:
            raise ValidationError({"cells": "Name each cell by its activity and role."})
        activity_id, role = key
        if isinstance(activity_id, bool) or activity_id not in names:
            raise ValidationError(
                {"activity": f"Activity {activity_id} is not an activity of {locked.name}."}
            )
        wanted[(activity_id, clean_role(role))] = clean_letter(letter)
    existing = {
        (a, r): (pk, letter)
        for pk, a, r, letter in RaciAssignment.objects.filter(activity__process=locked).values_list(
            "pk", "activity_id", "role", "responsibility"
        )
    }
    before: dict[int, dict[str, str]] = defaultdict(dict)
    for (a, r), (_, letter) in existing.items():
        before[a][r] = letter
    after = {a: dict(row) for a, row in before.items()}
    changes: dict[str, list[Any]] = {}
    for (a, r), letter in wanted.items():
        old = before.get(a, {}).get(r, "")
        if old == letter:
            continue
        changes[_cell_label(names[a], r)] = [old or None, letter or None]
        if letter:
            after.setdefault(a, {})[r] = letter
        else:
            after.get(a, {}).pop(r, None)
    if not changes:
        return locked
    touched = {a for a, _ in wanted}
    _one_accountable(names, before, {a: row for a, row in after.items() if a in touched})
    to_delete, to_create = [], []
    for (a, r), letter in wanted.items():
        old = existing.get((a, r))
        if old is not None and old[1] == letter:
            continue
        if not letter:
            if old is not None:
                to_delete.append(old[0])
        elif old is None:
            to_create.append(RaciAssignment(activity_id=a, role=r, responsibility=letter))
        else:
            RaciAssignment.objects.filter(pk=old[0]).update(responsibility=letter)
    if to_delete:
        RaciAssignment.objects.filter(pk__in=to_delete).delete()
    if to_create:
        RaciAssignment.objects.bulk_create(to_create)
    _bump(locked, now)
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


def raci_set(
    *,
    actor: Person | None,
    activity: ProcessActivity,
    role: str,
    responsibility: str | None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Process:
    """Set one cell of the matrix (None or '' clears it). Refuses a second Accountable,
    naming the role that is accountable now."""
    return raci_save_matrix(
        actor=actor,
        process=activity.process,
        cells={(activity.pk, role): responsibility},
        expected_version=expected_version,
        now=now,
    )


# --- The standard process set -----------------------------------------------------------------


def _single_global_holders() -> dict[str, Person]:
    """For each role held globally by exactly one active person: that person."""
    holders: dict[str, list[Person]] = defaultdict(list)
    for assignment in RoleAssignment.objects.filter(
        organisation__isnull=True, person__is_active=True
    ).select_related("person__organisation"):
        holders[assignment.role].append(assignment.person)
    return {role: people[0] for role, people in holders.items() if len(people) == 1}


def _activity_created(
    actor: Person | None, activity: ProcessActivity, raci: dict[str, str]
) -> None:
    changes = audit.diff({}, audit.snapshot(activity, ACTIVITY_FIELDS))
    if raci:
        changes["raci"] = [None, raci]
    audit.record(actor=actor, action=AuditAction.CREATE, instance=activity, changes=changes)


@transaction.atomic
def processes_seed_standard(*, actor: Person | None, now: dt.datetime | None = None) -> int:
    """Load the standard process set (``accord.governance.standard_processes``) where it is
    missing, and return how many processes and activities were created.

    Idempotent: a process is matched by its code and an activity by its name, and nothing the
    organisation has already is changed (not a purpose, not a KPI, not a RACI cell). A new
    process is owned by the active person who holds its owner role globally, when exactly one
    does; otherwise it starts without an owner.
    """
    require(actor, "governance.manage")
    existing = {p.code: p for p in Process.objects.select_for_update()}
    owners = _single_global_holders()
    created = 0
    new: list[tuple[Any, Process]] = []
    for index, std in enumerate(STANDARD_PROCESSES):
        if std.code in existing:
            continue
        owner = owners.get(std.owner_role)
        if owner is not None and not is_provider_staff(owner, active=False):
            owner = None
        process = records.create_record(
            actor=actor,
            instance=Process(
                code=std.code,
                name=std.name,
                clause=std.clause,
                purpose=std.purpose,
                owner=owner,
                owner_role=std.owner_role,
                kpis="\n".join(std.kpis),
                position=(index + 1) * 10,
            ),
            fields=PROCESS_FIELDS,
            references_checked=True,
            audit_now=False,
        )
        existing[std.code] = process
        new.append((std, process))
    for std, process in new:
        links = [existing[c] for c in std.interfaces if c in existing]
        if links:
            process.interfaces.add(*links)
        records.audit_created(actor=actor, instance=process, fields=PROCESS_FIELDS)
        created += 1
    fresh = {process.pk for _, process in new}
    for std in STANDARD_PROCESSES:
        process = existing[std.code]
        have = {n.lower() for n in process.activities.values_list("name", flat=True)}
        added = False
        for number, std_activity in enumerate(std.activities, start=1):
            if std_activity.name.lower() in have:
                continue
            activity = ProcessActivity(
                process=process, name=std_activity.name, position=number * 10
            )
            activity.save(force_insert=True)
            RaciAssignment.objects.bulk_create(
                RaciAssignment(activity=activity, role=role, responsibility=letter)
                for role, letter in std_activity.raci.items()
            )
            _activity_created(actor, activity, std_activity.raci)
            created += 1
            added = True
        if added and process.pk not in fresh:
            _bump(process, now)
    return created
