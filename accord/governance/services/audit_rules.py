"""Who may plan and conduct internal audits, the checks of what they type, and auditor
independence (ISO/IEC 20000-1, 9.2 b): shared by the programme and the audit services.

An auditor may not audit their own work: nobody who owns a process or a service in scope, holds
the role that runs such a process, or is responsible or accountable in its RACI sits on the
team. This is checked when the team or the scope is set and again when the audit starts,
because roles change in between.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from accord.core.choices import Role
from accord.core.models import Person, RoleAssignment
from accord.core.permissions import has_capability, is_provider_staff, sees_all_organisations
from accord.governance.choices import (
    AuditStatus,
    Responsibility,
)
from accord.governance.models import (
    Audit,
    Clause,
    Process,
    RaciAssignment,
)
from accord.portfolio.models import Service

S = AuditStatus
MANAGE = "audits.manage"
TEXT_MAX = 20_000


# --- who may do what ----------------------------------------------------------------------------


def _is_person(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active


def may_read(actor: Any) -> bool:
    """The provider's staff and the auditor role (``governance.view``)."""
    return sees_all_organisations(actor) and has_capability(actor, "governance.view")


def may_manage(actor: Any) -> bool:
    """The SMS owner and top management (``audits.manage``), and the trusted system."""
    return actor is None or (sees_all_organisations(actor) and has_capability(actor, MANAGE))


def team_ids(audit: Audit) -> set[int]:
    """The people on the audit's team: the lead and the auditors."""
    ids = set(audit.auditors.values_list("pk", flat=True))
    ids.add(audit.lead_auditor_id)
    return ids


def is_team_member(actor: Any, audit: Audit) -> bool:
    """Whether ``actor`` sits on the audit's team and may act as an auditor (active provider
    staff without the auditor role, which changes nothing)."""
    if not _is_person(actor) or not sees_all_organisations(actor):
        return False
    if Role.AUDITOR in _roles(actor):
        return False
    return actor.pk in team_ids(audit)


def is_lead(actor: Any, audit: Audit) -> bool:
    return is_team_member(actor, audit) and actor.pk == audit.lead_auditor_id


def may_start(actor: Any, audit: Audit) -> bool:
    """Managers of the programme, or the audit's own lead."""
    return may_manage(actor) or is_lead(actor, audit)


def may_conduct(actor: Any, audit: Audit) -> bool:
    """Team members, while the audit is under way."""
    return audit.status == S.IN_PROGRESS and is_team_member(actor, audit)


def _require(allowed: bool, message: str = "You do not have permission to do this.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def _refuse_frozen(audit: Audit) -> None:
    """A reported or cancelled audit no longer changes: say so plainly."""
    if audit.status == S.REPORTED:
        when = f" on {audit.reported_at:%Y-%m-%d}" if audit.reported_at else ""
        raise ValidationError(
            f"{audit.reference} was reported{when}: the audit, its checklist and its findings "
            "no longer change."
        )
    if audit.status == S.CANCELLED:
        raise ValidationError(f"{audit.reference} was cancelled: it no longer changes.")


def _require_in_progress(audit: Audit, doing: str) -> None:
    _refuse_frozen(audit)
    if audit.status != S.IN_PROGRESS:
        raise ValidationError(f"{doing} once the audit has started; {audit.reference} is planned.")


# --- values -------------------------------------------------------------------------------------


def _roles(person: Person) -> set[str]:
    """The roles a person holds now (read fresh: roles change between planning and start)."""
    return set(RoleAssignment.objects.filter(person=person).values_list("role", flat=True))


def _text(value: Any, field: str, errors: dict[str, Any], limit: int = TEXT_MAX) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = "Write text."
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = f"Keep it under {limit} characters."
    return value


def _title(value: Any, errors: dict[str, Any], what: str) -> str:
    title = _text(value, "title", errors, 200)
    if not title and "title" not in errors:
        errors["title"] = f"Give the {what} a short title."
    return title


def _date(value: Any, field: str, errors: dict[str, Any]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        errors[field] = "Give a date without a time."
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors[field] = "Give a date such as 2026-03-31."
    return None


def _person(value: Any, field: str, errors: dict[str, Any]) -> Person | None:
    """An active person of the provider's staff."""
    if value is None or value == "":
        errors[field] = "Name a person."
        return None
    person = value if isinstance(value, Person) else None
    if person is None:
        try:
            person = Person.objects.select_related("organisation").filter(pk=value).first()
        except (TypeError, ValueError):
            person = None
    if person is None:
        errors[field] = f"No such person: {value}."
        return None
    if not is_provider_staff(person):
        errors[field] = f"{person} is not active staff of the provider."
        return None
    return person


MAX_ID = 2**63 - 1


def _as_id(value: Any) -> int | None:
    """``value`` as a record id when it reads as one that fits a 64-bit id, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def _lookup(model: Any, value: Any, field: str, errors: dict[str, Any], **by: Any) -> Any:
    """A record given as itself or by id (``by``: another unique field to try for text)."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    ident = _as_id(value)
    found = model.objects.filter(pk=ident).first() if ident is not None else None
    if found is None and by and isinstance(value, str):
        (name,) = by
        found = model.objects.filter(**{name: value.strip()}).first()
    if found is None:
        errors[field] = f"No such {model._meta.verbose_name}: {value}."
    return found


def _many(model: Any, values: Any, field: str, errors: dict[str, Any], by: str = "") -> list[Any]:
    """Records given as themselves, ids (or ``by`` values, such as clause numbers)."""
    if values is None or values == "":
        return []
    if isinstance(values, str | int) or not isinstance(values, Iterable):
        values = [values]
    found: list[Any] = []
    missing: list[str] = []
    for value in values:
        if isinstance(value, model):
            record = value
        else:
            ident = _as_id(value)
            record = model.objects.filter(pk=ident).first() if ident is not None else None
            if record is None and by and isinstance(value, str) and value.strip():
                record = model.objects.filter(**{by: value.strip()}).first()
        if record is None:
            missing.append(str(value))
        elif record not in found:
            found.append(record)
    if missing:
        errors[field] = f"No such {model._meta.verbose_name}: {', '.join(missing)}."
    return found


def _clauses(values: Any, errors: dict[str, Any]) -> list[Clause]:
    """Clauses given as records, numbers ("8.6") or ids; numbers are what people write."""
    if values is None or values == "":
        return []
    if isinstance(values, str | int | Clause) or not isinstance(values, Iterable):
        values = [values]
    found: list[Clause] = []
    missing: list[str] = []
    for value in values:
        record: Clause | None
        if isinstance(value, Clause):
            record = value
        else:
            record = Clause.objects.filter(number=str(value).strip()[:16]).first()
        if record is None:
            missing.append(str(value))
        elif record not in found:
            found.append(record)
    if missing:
        errors["clauses"] = f"No such clause: {', '.join(missing)}."
    return sorted(found, key=lambda c: c.position)


# --- independence -------------------------------------------------------------------------------


def _clause_condition(numbers: Iterable[str], field: str) -> Q:
    """``field`` equals one of ``numbers`` or lies beneath one (8.6 covers 8.6.1)."""
    condition = Q(pk__in=[])
    for number in numbers:
        condition |= Q(**{field: number}) | Q(**{f"{field}__startswith": f"{number}."})
    return condition


def processes_in_scope(
    clause_numbers: Iterable[str], processes: Iterable[Process]
) -> list[Process]:
    """The processes an audit reaches: those named, and the active ones answering a clause in
    scope (or a sub-clause of one)."""
    numbers = [n for n in clause_numbers if n]
    condition = Q(pk__in=[p.pk for p in processes])
    if numbers:
        condition |= Q(is_active=True) & _clause_condition(numbers, "clause")
    return list(Process.objects.filter(condition).select_related("owner").order_by("position"))


def _scope(audit_or_values: Audit | Mapping[str, Any]) -> tuple[list[str], list[Any], list[Any]]:
    """(clause numbers, processes, services) of an audit or of the values about to be saved."""
    if isinstance(audit_or_values, Audit):
        audit = audit_or_values
        return (
            list(audit.clauses.values_list("number", flat=True)),
            list(audit.processes.all()),
            list(audit.services.all()),
        )
    errors: dict[str, Any] = {}
    clauses = _clauses(audit_or_values.get("clauses"), errors)
    processes = _many(Process, audit_or_values.get("processes"), "processes", errors, "code")
    services = _many(Service, audit_or_values.get("services"), "services", errors, "code")
    return [c.number for c in clauses], processes, services


def independence_conflicts(audit_or_values: Audit | Mapping[str, Any], person: Any) -> list[str]:
    """Why ``person`` may not audit this scope, in words naming them; empty when they may.

    A person may not audit their own work: owning a process or a service in scope, holding the
    role that runs a process in scope, or being responsible or accountable (R, A) in the RACI
    of one. The auditor role (reads and changes nothing), customers and inactive people never
    sit on an audit team.
    """
    name = str(person)
    reasons: list[str] = []
    if not getattr(person, "is_active", False):
        reasons.append(f"{name} is not active.")
    if not is_provider_staff(person, active=False):
        reasons.append(f"{name} is not on the provider's staff; only its staff audit the SMS.")
    roles = _roles(person)
    if Role.AUDITOR in roles:
        reasons.append(
            f"{name} holds the auditor role, which reads everything and changes nothing."
        )
    numbers, processes, services = _scope(audit_or_values)
    reached = processes_in_scope(numbers, processes)
    for process in reached:
        if process.owner_id == person.pk:
            reasons.append(f"{name} owns the process {process.name} (in scope).")
        if process.owner_role and process.owner_role in roles:
            reasons.append(
                f"{name} holds the role {Role(process.owner_role).label}, which runs the "
                f"process {process.name} (in scope)."
            )
    if reached and roles:
        cells = (
            RaciAssignment.objects.filter(
                activity__process__in=reached,
                role__in=roles,
                responsibility__in=[Responsibility.RESPONSIBLE, Responsibility.ACCOUNTABLE],
            )
            .select_related("activity__process")
            .order_by("activity__process__position", "activity__position", "role")
        )
        seen: set[tuple[int, str, str]] = set()
        for cell in cells:
            key = (cell.activity.process_id, cell.role, cell.responsibility)
            if key in seen:
                continue
            seen.add(key)
            letter = Responsibility(cell.responsibility).label.lower()
            reasons.append(
                f"{name} holds the role {Role(cell.role).label}, {letter} "
                f"({cell.responsibility}) for “{cell.activity.name}” in the process "
                f"{cell.activity.process.name} (in scope)."
            )
    for service in services:
        if service.owner_id == person.pk:
            reasons.append(f"{name} owns the service {service.name} (in scope).")
    return reasons


def _check_team(values: Mapping[str, Any], errors: dict[str, Any]) -> None:
    """Put each team member's conflicts on ``lead_auditor`` or ``auditors``."""
    lead = values.get("lead_auditor")
    if lead is not None and "lead_auditor" not in errors:
        found = independence_conflicts(values, lead)
        if found:
            errors["lead_auditor"] = found
    others = [p for p in values.get("auditors", []) if lead is None or p.pk != lead.pk]
    problems: list[str] = []
    for person in others:
        problems.extend(independence_conflicts(values, person))
    if problems and "auditors" not in errors:
        errors["auditors"] = problems
