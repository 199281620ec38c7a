"""Every change to service management objectives (ISO/IEC 20000-1, 6.2), from every door.

Top management and the SMS owner (``governance.manage``) set objectives, change them and judge
them (achieved, missed, withdrawn). The owner of an objective keeps its plan, resources and
description current and records the values of a manually measured objective, each with its
evidence. Every function checks who may do it, validates, writes through
:mod:`accord.core.records` (version and audit event) and returns the record, in one
transaction. ``actor=None`` is the trusted system (command line, jobs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.core import records
from accord.core.choices import AuditAction
from accord.core.models import Person
from accord.core.permissions import has_capability, is_provider_staff, sees_all_organisations
from accord.core.services import next_reference
from accord.governance import measures
from accord.governance.choices import Direction, ObjectiveMeasure, ObjectiveStatus
from accord.governance.models import Objective, ObjectiveMeasurement

S = ObjectiveStatus
REFERENCE_PREFIX = "OBJ"
MANAGE = "governance.manage"

#: Fields set on creation and changed by :func:`objective_update` (status: by transition).
OBJECTIVE_FIELDS = [
    "title",
    "description",
    "owner",
    "process",
    "service",
    "measure",
    "direction",
    "target",
    "unit",
    "period_start",
    "period_end",
    "plan",
    "resources",
]
#: What the owner may change without ``governance.manage``: how they will reach it.
OWNER_EDITABLE = frozenset({"plan", "resources", "description"})
MEASUREMENT_FIELDS = ["objective", "value", "measured_on", "evidence", "recorded_by", "recorded_at"]

#: Which status may follow which. An objective is judged once its evidence is in; a judgement
#: made too early is taken back by returning the objective to active.
OBJECTIVE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.ACTIVE: frozenset({S.ACHIEVED, S.MISSED, S.WITHDRAWN}),
    S.ACHIEVED: frozenset({S.ACTIVE}),
    S.MISSED: frozenset({S.ACTIVE}),
    S.WITHDRAWN: frozenset({S.ACTIVE}),
}
OBJECTIVE_STATUS_COLOURS = {
    "active": "blue",
    "achieved": "green",
    "missed": "red",
    "withdrawn": "grey",
}

#: The days a period may cover: any real plan, and every day converts to an instant.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
#: Largest magnitude a target or a value may have (12 digits, 2 of them after the point).
MAX_NUMBER = Decimal("9999999999.99")
EVIDENCE_MAX = 10_000


# --- who may do what ----------------------------------------------------------------------------


def may_manage(actor: Any) -> bool:
    """Top management and the SMS owner of the provider (and the trusted system)."""
    return actor is None or (sees_all_organisations(actor) and has_capability(actor, MANAGE))


def _require_manage(actor: Any) -> None:
    if not may_manage(actor):
        raise PermissionDenied("You do not have permission to do this.")


def is_owner(actor: Any, objective: Objective) -> bool:
    return (
        actor is not None
        and actor.is_authenticated
        and actor.is_active
        and actor.pk == objective.owner_id
    )


def may_edit(actor: Any, objective: Objective) -> bool:
    """Managers change everything; the owner the plan, resources and description."""
    return may_manage(actor) or is_owner(actor, objective)


def may_record(actor: Any, objective: Objective) -> bool:
    """Who records values of a manually measured objective: its owner and the managers."""
    return may_edit(actor, objective)


def allowed_transitions(actor: Any, objective: Objective) -> list[str]:
    """The statuses ``actor`` may move the objective to now, in the order of the status list."""
    if not may_manage(actor):
        return []
    allowed = OBJECTIVE_TRANSITIONS.get(objective.status, frozenset())
    return [s for s in S.values if s in allowed]


# --- validation ---------------------------------------------------------------------------------


def parse_number(value: Any, field: str, errors: dict[str, str]) -> Decimal | None:
    """A finite number with at most two decimal places, or an error on ``field``."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = "Give a number, e.g. 95 or 4.5."
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = f"'{value}' is not a number; give one such as 95 or 4.5."
        return None
    if not number.is_finite():
        errors[field] = "Give a finite number."
        return None
    if abs(number) > MAX_NUMBER:
        errors[field] = f"Give a number between -{MAX_NUMBER} and {MAX_NUMBER}."
        return None
    if number != number.quantize(Decimal("0.01"), rounding=ROUND_DOWN):
        errors[field] = "Give at most two decimal places."
        return None
    return number


def _check_day(value: Any, field: str, errors: dict[str, str]) -> dt.date | None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        errors[field] = "Give a date (YYYY-MM-DD)."
        return None
    if not FIRST_DAY <= value <= LAST_DAY:
        errors[field] = f"Choose a day between {FIRST_DAY} and {LAST_DAY}."
        return None
    return value


def check_owner(owner: Any) -> str | None:
    """What is wrong with ``owner`` as an objective's owner (None when nothing is)."""
    if owner is None:
        return "An objective needs an owner."
    if not isinstance(owner, Person) or not owner.is_active:
        return f"{owner} is not an active person."
    if not is_provider_staff(owner):
        return f"{owner} is not on the provider's staff; objectives are owned by the provider."
    return None


def _validate(values: dict[str, Any], errors: dict[str, str]) -> None:
    """Check a complete set of objective fields (``values`` is changed in place: stripped
    texts, parsed numbers, the measure's default unit)."""
    title = (values.get("title") or "").strip()
    values["title"] = title
    if not title:
        errors["title"] = "Give the objective a short title."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    for name in ("description", "plan", "resources"):
        values[name] = (values.get(name) or "").strip()
    problem = check_owner(values.get("owner"))
    if problem:
        errors["owner"] = problem
    measure = values.get("measure")
    if measure not in ObjectiveMeasure.values:
        errors["measure"] = f"'{measure}' is not a measure; choose one of the list."
    if values.get("direction") not in Direction.values:
        errors["direction"] = "Choose 'at least' or 'at most'."
    unit = (values.get("unit") or "").strip()
    if len(unit) > 24:
        errors["unit"] = "Keep the unit under 24 characters."
    values["unit"] = unit or measures.default_unit(measure or "")
    target = parse_number(values.get("target"), "target", errors)
    info = measures.MEASURE_INFO.get(measure or "")
    if (
        target is not None
        and info is not None
        and (target < info.minimum or (info.maximum is not None and target > info.maximum))
    ):
        errors["target"] = (
            f"A target for this measure lies between {info.minimum} and {info.maximum}."
            if info.maximum is not None
            else f"A target for this measure is {info.minimum} or more."
        )
    values["target"] = target
    start = _check_day(values.get("period_start"), "period_start", errors)
    end = _check_day(values.get("period_end"), "period_end", errors)
    if start and end and end < start:
        errors["period_end"] = "The period ends before it starts."


def _audit_org(owner: Person) -> int | None:
    """Objectives belong to the provider: their events carry the owner's organisation."""
    return owner.organisation_id


# --- create, update, transition -----------------------------------------------------------------


@transaction.atomic
def objective_create(
    *,
    actor: Person | None,
    title: str,
    owner: Person,
    target: Any,
    period_start: dt.date,
    period_end: dt.date,
    measure: str = ObjectiveMeasure.MANUAL,
    direction: str = Direction.AT_LEAST,
    unit: str = "",
    description: str = "",
    process: Any = None,
    service: Any = None,
    plan: str = "",
    resources: str = "",
) -> Objective:
    """Set a measurable objective: what, who owns it, by which measure, the target and the
    period it is judged over. It starts active; its unit defaults to the measure's."""
    _require_manage(actor)
    values: dict[str, Any] = {
        "title": title,
        "description": description,
        "owner": owner,
        "process": process,
        "service": service,
        "measure": measure,
        "direction": direction,
        "target": target,
        "unit": unit,
        "period_start": period_start,
        "period_end": period_end,
        "plan": plan,
        "resources": resources,
    }
    errors: dict[str, str] = {}
    _validate(values, errors)
    if errors:
        raise ValidationError(errors)
    objective = Objective(reference=next_reference(REFERENCE_PREFIX), status=S.ACTIVE, **values)
    return records.create_record(
        actor=actor,
        instance=objective,
        fields=[*OBJECTIVE_FIELDS, "reference", "status"],
        organisation=_audit_org(owner),
    )


@transaction.atomic
def objective_update(
    *,
    actor: Person | None,
    objective: Objective,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Objective:
    """Change an objective's fields (its status moves by :func:`objective_transition`).

    The owner, without ``governance.manage``, may change only the plan, the resources and the
    description. Sending the measure without a unit moves a unit that was the old measure's
    default to the new one's.
    """
    if not may_edit(actor, objective):
        raise PermissionDenied("You do not have permission to do this.")
    data = dict(data)
    unknown = sorted(set(data) - set(OBJECTIVE_FIELDS))
    if "status" in unknown:
        raise ValidationError({"status": "The status changes through a transition only."})
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    if not may_manage(actor):
        beyond = sorted(set(data) - OWNER_EDITABLE)
        if beyond:
            raise PermissionDenied(
                "As the objective's owner you may change its plan, resources and description; "
                f"not: {', '.join(beyond)}."
            )
    current = {name: getattr(objective, name) for name in OBJECTIVE_FIELDS}
    if (
        "measure" in data
        and "unit" not in data
        and current["unit"] == measures.default_unit(current["measure"])
    ):
        data["unit"] = ""
    values = {**current, **data}
    errors: dict[str, str] = {}
    _validate(values, errors)
    if errors:
        raise ValidationError(errors)
    changed = {name: values[name] for name in data}
    return records.update_record(
        actor=actor,
        instance=objective,
        data=changed,
        fields=OBJECTIVE_FIELDS,
        expected_version=expected_version,
        organisation=_audit_org(values["owner"]),
    )


@transaction.atomic
def objective_transition(
    *,
    actor: Person | None,
    objective: Objective,
    to: str,
    expected_version: int | None = None,
) -> Objective:
    """Judge an objective (achieved, missed), withdraw it, or return it to active."""
    _require_manage(actor)
    locked = Objective.objects.select_for_update().select_related("owner").get(pk=objective.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    if to not in S.values:
        raise ValidationError({"status": f"'{to}' is not a status of objectives."})
    allowed = OBJECTIVE_TRANSITIONS.get(locked.status, frozenset())
    if to not in allowed:
        names = ", ".join(S(s).label.lower() for s in S.values if s in allowed) or "none"
        raise ValidationError(
            {
                "status": f"An objective that is {S(locked.status).label.lower()} cannot become "
                f"{S(to).label.lower()}; allowed next: {names}."
            }
        )
    return records.update_record(
        actor=actor,
        instance=locked,
        data={"status": to},
        fields=["status"],
        organisation=_audit_org(locked.owner),
        action=AuditAction.TRANSITION,
    )


# --- manual measurements ------------------------------------------------------------------------


@transaction.atomic
def measurement_record(
    *,
    actor: Person | None,
    objective: Objective,
    value: Any,
    measured_on: Any,
    evidence: str,
    now: dt.datetime | None = None,
) -> ObjectiveMeasurement:
    """Record a value of a manually measured objective, with the evidence it rests on.

    The day measured lies within the objective's period and not after today. An objective
    that Accord measures live takes no manual value: its figure comes from the records, and a
    typed-in number beside it would contradict them.
    """
    now = now or timezone.now()
    if not may_record(actor, objective):
        raise PermissionDenied("You do not have permission to do this.")
    if measures.is_live(objective.measure):
        raise ValidationError(
            {
                "value": f"{objective.reference} is measured live by Accord "
                f"({objective.get_measure_display()}); it takes no manual values."
            }
        )
    if objective.status == S.WITHDRAWN:
        raise ValidationError(
            {"value": f"{objective.reference} was withdrawn; it takes no more values."}
        )
    errors: dict[str, str] = {}
    number = parse_number(value, "value", errors)
    day = _check_day(measured_on, "measured_on", errors)
    today = timezone.localdate(now)
    if day is not None:
        if not objective.period_start <= day <= objective.period_end:
            errors["measured_on"] = (
                f"Choose a day within the objective's period, {objective.period_start} to "
                f"{objective.period_end}."
            )
        elif day > today:
            errors["measured_on"] = f"Choose a day up to today ({today}), not ahead of time."
    text = (evidence or "").strip() if isinstance(evidence, str) else ""
    if not text:
        errors["evidence"] = "Say what the value rests on: a report, a survey, a document."
    elif len(text) > EVIDENCE_MAX:
        errors["evidence"] = f"Keep the evidence under {EVIDENCE_MAX} characters."
    if errors:
        raise ValidationError(errors)
    owner = objective.owner
    measurement = ObjectiveMeasurement(
        objective=objective,
        value=number,
        measured_on=day,
        evidence=text,
        recorded_by=actor if actor is not None else owner,
        recorded_at=now,
    )
    return records.create_record(
        actor=actor,
        instance=measurement,
        fields=MEASUREMENT_FIELDS,
        organisation=_audit_org(owner),
        references_checked=True,
    )


__all__ = [
    "OBJECTIVE_STATUS_COLOURS",
    "OBJECTIVE_TRANSITIONS",
    "allowed_transitions",
    "is_owner",
    "may_edit",
    "may_manage",
    "may_record",
    "measurement_record",
    "objective_create",
    "objective_transition",
    "objective_update",
]
