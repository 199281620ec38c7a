"""The continual improvement register (ISO/IEC 20000-1, 10.2): raising opportunities, driving
them through Plan-Do-Check-Act, their actions, and the reminders of overdue actions.

Who may do what: ``improvement.raise`` (every role of the provider's staff) raises an
improvement and drives the ones they own; ``improvement.manage`` (SMS owner, top management)
drives any. The auditor and customers change nothing. ``actor=None`` is the system.

The stage moves only as the clause asks: no Do without a plan, a target, a baseline and an
action; no Check without a measured result ("no Check without a target and a measurement"); no
closing without an Act decision. A measure of kind ``sla_attainment`` is read live from the
service's SLA clocks at the move and stored, so the figures an auditor reads later are the ones
the decision was taken on. Periods are calendar days, both ends included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind
from accord.core.models import Person
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.services import next_reference
from accord.improvement import selectors
from accord.improvement.choices import (
    STAGE_TRANSITIONS,
    Decision,
    MeasureKind,
    Source,
    Stage,
)
from accord.improvement.models import Action, Criterion, Improvement
from accord.notifications.choices import NotificationKind
from accord.notifications.services import event_key, notify
from accord.portfolio.models import Service

REFERENCE_PREFIX = "IMP"
RATING_MIN, RATING_MAX = 1, 5
VALUE_PLACES = Decimal("0.0001")
VALUE_LIMIT = Decimal("1e10")

IMPROVEMENT_FIELDS = (
    "reference",
    "title",
    "description",
    "source",
    "source_type",
    "source_id",
    "source_reference",
    "service",
    "owner",
    "raised_by",
    "benefit",
    "ratings",
    "priority",
    "stage",
    "cycle",
    "plan",
    "measure_kind",
    "measure_name",
    "measure_unit",
    "higher_is_better",
    "baseline_value",
    "baseline_from",
    "baseline_to",
    "target_value",
    "result_value",
    "result_from",
    "result_to",
    "check_notes",
    "decision",
    "decision_notes",
    "decided_at",
    "decided_by",
    "closed_at",
)
ACTION_FIELDS = ("improvement", "title", "owner", "due_on", "cycle", "done_at", "done_notes")

#: Editable in every stage but closed.
GENERAL_FIELDS = frozenset(
    {
        "title",
        "description",
        "source",
        "source_reference",
        "source_record",
        "service",
        "owner",
        "benefit",
        "ratings",
    }
)
#: What the Plan decides: editable only while in plan.
PLAN_FIELDS = frozenset(
    {
        "plan",
        "measure_kind",
        "measure_name",
        "measure_unit",
        "higher_is_better",
        "baseline_value",
        "baseline_from",
        "baseline_to",
        "target_value",
    }
)
#: What the Check records: editable only while in check.
CHECK_FIELDS = frozenset({"result_value", "result_from", "result_to", "check_notes"})
CREATE_FIELDS = GENERAL_FIELDS | PLAN_FIELDS
UPDATE_FIELDS = GENERAL_FIELDS | PLAN_FIELDS | CHECK_FIELDS
DECISION_FIELDS = frozenset({"decision", "decision_notes"})


# --- who may ------------------------------------------------------------------------------------


def _staff_with(actor: Any, capability: str) -> bool:
    return actor is None or (sees_all_organisations(actor) and has_capability(actor, capability))


def may_raise(actor: Any) -> bool:
    """Provider staff holding ``improvement.raise`` (an idea may come from anyone of them), or
    the system."""
    return _staff_with(actor, "improvement.raise")


def may_manage(actor: Any) -> bool:
    """Those who run the register (``improvement.manage``), or the system."""
    return _staff_with(actor, "improvement.manage")


def may_drive(actor: Any, improvement: Improvement) -> bool:
    """Whether ``actor`` may edit and move ``improvement``: a manager of the register, or its
    owner while they may raise improvements."""
    if may_manage(actor):
        return True
    return (
        actor is not None
        and getattr(actor, "pk", None) == improvement.owner_id
        and may_raise(actor)
    )


def _require_drive(actor: Any, improvement: Improvement) -> None:
    if not may_drive(actor, improvement):
        raise PermissionDenied(
            "Only the owner of this improvement or a manager of the register may change it."
        )


def _person(actor: Any) -> Person | None:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


# --- values -------------------------------------------------------------------------------------


def _text(value: Any, field: str, errors: dict[str, Any], limit: int | None = None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = "Write text."
        return ""
    value = value.strip()
    if limit and len(value) > limit:
        errors[field] = f"Keep it under {limit} characters."
    return value


def _decimal(value: Any, field: str, errors: dict[str, Any]) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[field] = "Give a number."
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = "Give a number, such as 92.5."
        return None
    if not number.is_finite() or abs(number) >= VALUE_LIMIT:
        errors[field] = "Give a number below ten billion."
        return None
    if number != number.quantize(VALUE_PLACES):
        errors[field] = "Give the number with at most four decimals."
        return None
    return number


def _date(value: Any, field: str, errors: dict[str, Any]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        errors[field] = "Give a date without a time."
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors[field] = "Give a date such as 2026-03-31."
    return None


def _choice(value: Any, choices: Any, field: str, errors: dict[str, Any]) -> str:
    if value not in choices.values:
        errors[field] = f"Choose one of: {', '.join(choices.values)}."
        return ""
    return str(value)


def _staff_person(value: Any, field: str, errors: dict[str, Any]) -> Person | None:
    """An active person of the provider (improvements and actions are the provider's work)."""
    if value is None or value == "":
        errors[field] = "Name who owns it."
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
    org = person.organisation if person.organisation_id else None
    if not person.is_active or org is None or org.kind != OrganisationKind.PROVIDER:
        errors[field] = f"{person} is not active staff of the provider."
        return None
    return person


def _service(value: Any, errors: dict[str, Any]) -> Service | None:
    if value is None or value == "":
        return None
    if isinstance(value, Service):
        return value
    try:
        found = Service.objects.filter(pk=value).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        errors["service"] = f"No such service: {value}."
    return found


def _ratings(value: Any, errors: dict[str, Any]) -> dict[str, int]:
    """Criterion code -> rating 1..5; codes must name an existing criterion."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors["ratings"] = "Give the ratings as criterion code -> rating from 1 to 5."
        return {}
    known = set(Criterion.objects.values_list("code", flat=True))
    problems = []
    cleaned: dict[str, int] = {}
    for code, raw in value.items():
        if code not in known:
            problems.append(f"No such criterion: {code}.")
            continue
        rating: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            rating = raw
        elif isinstance(raw, str) and raw.strip().isdigit():
            rating = int(raw.strip())
        if rating is None or not RATING_MIN <= rating <= RATING_MAX:
            problems.append(f"Rate {code} from {RATING_MIN} to {RATING_MAX}.")
            continue
        cleaned[str(code)] = rating
    if problems:
        errors["ratings"] = problems
    return cleaned


def priority_of(ratings: Mapping[str, int]) -> int:
    """Sum of weight x rating over the active criteria; a criterion not rated counts nothing."""
    return sum(
        weight * int(ratings.get(code, 0))
        for code, weight in Criterion.objects.filter(is_active=True).values_list("code", "weight")
    )


def _source_record(value: Any, errors: dict[str, Any]) -> tuple[Any, Any]:
    """(content type, id) of the record an improvement came from (None, None: none)."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, models.Model) or value.pk is None:
        errors["source_record"] = "Give the record the improvement came from."
        return None, None
    return ContentType.objects.get_for_model(type(value)), value.pk


# --- checking what is written -------------------------------------------------------------------


def _clean(
    data: Mapping[str, Any], improvement: Improvement | None, allowed: frozenset[str]
) -> dict[str, Any]:
    """Check ``data`` for the improvement it will change (``None``: a new one) and return the
    values to write. Every problem is reported at once, as field errors."""
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    creating = improvement is None

    if "title" in data or creating:
        values["title"] = _text(data.get("title"), "title", errors, 200)
        if not values["title"] and "title" not in errors:
            errors["title"] = "Give the improvement a short title (what should get better)."
    for name, limit in (
        ("description", None),
        ("source_reference", 64),
        ("benefit", None),
        ("plan", None),
        ("measure_name", 120),
        ("measure_unit", 24),
        ("check_notes", None),
    ):
        if name in data:
            values[name] = _text(data[name], name, errors, limit)
    if "source" in data:
        values["source"] = _choice(data["source"] or Source.IDEA, Source, "source", errors)
    if "measure_kind" in data:
        values["measure_kind"] = _choice(
            data["measure_kind"] or MeasureKind.MANUAL, MeasureKind, "measure_kind", errors
        )
    if "higher_is_better" in data:
        if not isinstance(data["higher_is_better"], bool):
            errors["higher_is_better"] = "Say yes or no."
        values["higher_is_better"] = bool(data["higher_is_better"])
    if "source_record" in data:
        source_type, source_id = _source_record(data["source_record"], errors)
        values["source_type"], values["source_id"] = source_type, source_id
        record = data["source_record"]
        reference = getattr(record, "reference", "") if source_type is not None else ""
        if reference and not data.get("source_reference") and "source_reference" not in errors:
            values["source_reference"] = str(reference)[:64]
    if "service" in data:
        values["service"] = _service(data["service"], errors)
    if "owner" in data:
        values["owner"] = _staff_person(data["owner"], "owner", errors)
    if "ratings" in data:
        values["ratings"] = _ratings(data["ratings"], errors)
    for name in ("baseline_value", "target_value", "result_value"):
        if name in data:
            values[name] = _decimal(data[name], name, errors)
    for name in ("baseline_from", "baseline_to", "result_from", "result_to"):
        if name in data:
            values[name] = _date(data[name], name, errors)

    def final(name: str) -> Any:
        if name in values:
            return values[name]
        return getattr(improvement, name) if improvement is not None else None

    for start, end in (("baseline_from", "baseline_to"), ("result_from", "result_to")):
        first, last = final(start), final(end)
        if first and last and start not in errors and end not in errors and last < first:
            errors[end] = "The period must end on or after the day it starts."
    if final("measure_kind") == MeasureKind.SLA_ATTAINMENT:
        for name in ("baseline_value", "result_value"):
            if data.get(name) not in (None, "") and name not in errors:
                errors[name] = (
                    "The SLA attainment is measured from the service's records: give the "
                    "period instead."
                )
    if errors:
        raise ValidationError(errors)
    if "ratings" in values:
        values["priority"] = priority_of(values["ratings"])
    return values


def _allowed_in(stage: str) -> frozenset[str]:
    if stage == Stage.PLAN:
        return GENERAL_FIELDS | PLAN_FIELDS
    if stage == Stage.CHECK:
        return GENERAL_FIELDS | CHECK_FIELDS
    return GENERAL_FIELDS


# --- writing ------------------------------------------------------------------------------------


@transaction.atomic
def improvement_create(
    *, actor: Any, data: Mapping[str, Any], now: dt.datetime | None = None
) -> Improvement:
    """Raise an improvement in Plan. ``data``: title (required), description, source (default
    idea), source_reference, source_record, service, owner (default the actor), benefit,
    ratings, plan, measure_kind, measure_name, measure_unit, higher_is_better, baseline_value,
    baseline_from, baseline_to, target_value. Its priority follows from the ratings."""
    if not may_raise(actor):
        raise PermissionDenied("Only the provider's staff raise improvements.")
    data = dict(data)
    if data.get("owner") in (None, ""):
        if _person(actor) is None:
            raise ValidationError({"owner": "Name who owns the improvement."})
        data["owner"] = actor
    values = _clean(data, None, CREATE_FIELDS)
    values.setdefault("priority", 0)
    improvement = Improvement(
        reference=next_reference(REFERENCE_PREFIX),
        raised_by=_person(actor),
        **values,
    )
    return records.create_record(actor=actor, instance=improvement, fields=IMPROVEMENT_FIELDS)


def _lock(improvement: Improvement, version: int | None) -> Improvement:
    locked = Improvement.objects.select_for_update().get(pk=improvement.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    return locked


def _refuse_closed(improvement: Improvement) -> None:
    if improvement.stage == Stage.CLOSED:
        raise ValidationError(f"{improvement.reference} is closed and no longer changes.")


@transaction.atomic
def improvement_update(
    *,
    actor: Any,
    improvement: Improvement,
    data: Mapping[str, Any],
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Improvement:
    """Change an improvement: the general fields in any stage but closed, the plan (measure,
    baseline, target) only in Plan, the result and its notes only in Check. For a live measure
    a changed result period is measured again. A save that changes nothing writes nothing."""
    _require_drive(actor, improvement)
    locked = _lock(improvement, version)
    _require_drive(actor, locked)
    _refuse_closed(locked)
    allowed = _allowed_in(locked.stage)
    misplaced = (set(data) & UPDATE_FIELDS) - allowed
    if misplaced:
        where = {
            **dict.fromkeys(PLAN_FIELDS, "in Plan"),
            **dict.fromkeys(CHECK_FIELDS, "in Check"),
        }
        raise ValidationError(
            {
                name: f"This is set only {where[name]}; the improvement is in {locked.stage}."
                for name in sorted(misplaced)
            }
        )
    values = _clean(data, locked, allowed)
    if (
        locked.stage == Stage.CHECK
        and locked.measure_kind == MeasureKind.SLA_ATTAINMENT
        and {"result_from", "result_to"} & set(values)
    ):
        values.update(_measured(locked, values, "result"))
    return records.update_record(
        actor=actor, instance=locked, data=values, fields=IMPROVEMENT_FIELDS
    )


def _measured(improvement: Improvement, values: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The live SLA attainment over the ``kind`` (baseline or result) period, as values to
    store; field errors when the period or the service is missing or nothing was measured."""

    def final(name: str) -> Any:
        return values[name] if name in values else getattr(improvement, name)

    service, first, last = final("service"), final(f"{kind}_from"), final(f"{kind}_to")
    errors: dict[str, str] = {}
    if service is None:
        errors["service"] = "Name the service whose SLA attainment is measured."
    if first is None:
        errors[f"{kind}_from"] = f"Give the first day of the {kind} period."
    if last is None:
        errors[f"{kind}_to"] = f"Give the last day of the {kind} period."
    if errors:
        raise ValidationError(errors)
    share = selectors.sla_attainment(service, first, last + dt.timedelta(days=1))
    if share is None:
        raise ValidationError(
            {
                f"{kind}_from": (
                    f"No SLA clock of {service} stopped between {first} and {last}: there is "
                    "nothing to measure in this period."
                )
            }
        )
    return {f"{kind}_value": share}


def _allowed_moves(stage: str) -> str:
    moves = sorted(STAGE_TRANSITIONS.get(stage, frozenset()))
    return ", ".join(moves) if moves else "none"


@transaction.atomic
def improvement_move(
    *,
    actor: Any,
    improvement: Improvement,
    to: str,
    version: int | None = None,
    data: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Improvement:
    """Move an improvement to the next stage of Plan-Do-Check-Act, or back one step.

    ``data`` may carry the decision and its notes (Act, or abandoning in Plan), and the result
    and check notes (into Check). A refused move changes nothing and says what is missing.
    """
    _require_drive(actor, improvement)
    now = now or timezone.now()
    data = dict(data or {})
    locked = _lock(improvement, version)
    _require_drive(actor, locked)
    current = locked.stage
    if to not in STAGE_TRANSITIONS.get(current, frozenset()):
        raise ValidationError(
            {
                "stage": (
                    f"{locked.reference} cannot move from {current} to {to}; allowed: "
                    f"{_allowed_moves(current)}."
                )
            }
        )
    allowed: frozenset[str] = frozenset()
    if to == Stage.CHECK and current == Stage.DO:
        allowed = CHECK_FIELDS
    elif to == Stage.ACT:
        allowed = frozenset({"check_notes"})
    elif (current, to) in (
        (Stage.ACT, Stage.CLOSED),
        (Stage.ACT, Stage.PLAN),
        (Stage.PLAN, Stage.CLOSED),
    ):
        allowed = DECISION_FIELDS
    values = _move_values(data, locked, allowed)
    values["stage"] = to
    errors: dict[str, Any] = {}

    def final(name: str) -> Any:
        return values[name] if name in values else getattr(locked, name)

    if (current, to) == (Stage.PLAN, Stage.DO):
        _ready_to_do(locked, errors)
        if not errors and locked.measure_kind == MeasureKind.SLA_ATTAINMENT:
            values.update(_measured(locked, values, "baseline"))
    elif (current, to) == (Stage.DO, Stage.CHECK):
        if locked.target_value is None:
            errors["target_value"] = "No Check without a target: the plan names none."
        if locked.measure_kind == MeasureKind.SLA_ATTAINMENT:
            if not errors:
                values.update(_measured(locked, values, "result"))
        elif final("result_value") is None:
            errors["result_value"] = "No Check without a measurement: give the result measured."
    elif to == Stage.CLOSED or (current, to) == (Stage.ACT, Stage.PLAN):
        wanted = {
            (Stage.ACT, Stage.CLOSED): (Decision.ADOPT, Decision.ABANDON),
            (Stage.ACT, Stage.PLAN): (Decision.ADJUST,),
            (Stage.PLAN, Stage.CLOSED): (Decision.ABANDON,),
        }[(current, to)]
        decision = final("decision")
        if decision not in wanted:
            words = " or ".join(str(w) for w in wanted)
            errors["decision"] = f"Moving from {current} to {to} needs the decision {words}."
        if not final("decision_notes"):
            errors["decision_notes"] = "Say why: the decision is evidence for the next review."
        values["decided_at"] = now
        values["decided_by"] = _person(actor)
        if to == Stage.CLOSED:
            values["closed_at"] = now
        else:
            values.update(
                cycle=locked.cycle + 1,
                result_value=None,
                result_from=None,
                result_to=None,
                check_notes="",
            )
    if errors:
        raise ValidationError(errors)
    return records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=IMPROVEMENT_FIELDS,
        action=AuditAction.TRANSITION,
    )


def _move_values(
    data: Mapping[str, Any], improvement: Improvement, allowed: frozenset[str]
) -> dict[str, Any]:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This is not given with this move."))
    errors: dict[str, Any] = {}
    decision_data = {k: data[k] for k in DECISION_FIELDS & set(data)}
    values = (
        _clean(
            {k: v for k, v in data.items() if k not in DECISION_FIELDS},
            improvement,
            allowed - DECISION_FIELDS,
        )
        if set(data) - DECISION_FIELDS
        else {}
    )
    if "decision" in decision_data:
        values["decision"] = _choice(decision_data["decision"], Decision, "decision", errors)
    if "decision_notes" in decision_data:
        values["decision_notes"] = _text(decision_data["decision_notes"], "decision_notes", errors)
    if errors:
        raise ValidationError(errors)
    return values


def _ready_to_do(improvement: Improvement, errors: dict[str, Any]) -> None:
    """What Plan must hold before Do: the plan, a target, a baseline and an action."""
    if not improvement.plan:
        errors["plan"] = "Write the plan: what will be done, and how."
    if improvement.target_value is None:
        errors["target_value"] = "Set the target the result will be checked against."
    if improvement.measure_kind == MeasureKind.MANUAL:
        if improvement.baseline_value is None:
            errors["baseline_value"] = "Give the baseline: the measure before the change."
    else:
        if improvement.service_id is None:
            errors["service"] = "Name the service whose SLA attainment is measured."
        if improvement.baseline_from is None:
            errors["baseline_from"] = "Give the first day of the baseline period."
        if improvement.baseline_to is None:
            errors["baseline_to"] = "Give the last day of the baseline period."
    if not improvement.actions.filter(cycle=improvement.cycle).exists():
        errors["actions"] = "Add at least one action to do in this cycle."


# --- actions ------------------------------------------------------------------------------------


@transaction.atomic
def action_add(
    *,
    actor: Any,
    improvement: Improvement,
    title: str,
    owner: Any,
    due_on: Any,
    now: dt.datetime | None = None,
) -> Action:
    """Add an action to the current cycle of an improvement in Plan or Do."""
    _require_drive(actor, improvement)
    now = now or timezone.now()
    locked = _lock(improvement, None)
    if locked.stage not in (Stage.PLAN, Stage.DO):
        raise ValidationError(
            f"Actions are planned in Plan and Do; {locked.reference} is in {locked.stage}."
        )
    errors: dict[str, Any] = {}
    cleaned_title = _text(title, "title", errors, 200)
    if not cleaned_title and "title" not in errors:
        errors["title"] = "Say what is to be done."
    person = _staff_person(owner, "owner", errors)
    due = _date(due_on, "due_on", errors)
    if due is None and "due_on" not in errors:
        errors["due_on"] = "Give the day it is due."
    elif due is not None and due < timezone.localdate(now):
        errors["due_on"] = "An action cannot be due in the past."
    if errors:
        raise ValidationError(errors)
    action = Action(
        improvement=locked, title=cleaned_title, owner=person, due_on=due, cycle=locked.cycle
    )
    return records.create_record(actor=actor, instance=action, fields=ACTION_FIELDS)


@transaction.atomic
def action_complete(
    *,
    actor: Any,
    action: Action,
    notes: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Action:
    """Record an action as done: by its owner, the improvement's owner or a manager."""
    now = now or timezone.now()
    locked = Action.objects.select_for_update().select_related("improvement").get(pk=action.pk)
    own = actor is not None and getattr(actor, "pk", None) == locked.owner_id and may_raise(actor)
    if not own and not may_drive(actor, locked.improvement):
        raise PermissionDenied(
            "Only the action's owner, the improvement's owner or a manager completes it."
        )
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    _refuse_closed(locked.improvement)
    if locked.done_at is not None:
        raise ValidationError("This action is already done.")
    errors: dict[str, Any] = {}
    cleaned = _text(notes, "done_notes", errors)
    if errors:
        raise ValidationError(errors)
    return records.update_record(
        actor=actor,
        instance=locked,
        data={"done_at": now, "done_notes": cleaned},
        fields=ACTION_FIELDS,
        action=AuditAction.TRANSITION,
    )


def remind_overdue_actions(now: dt.datetime) -> int:
    """Tell the owner of every open action of an open improvement whose due day has passed,
    once per action: the action is claimed (``reminded_at``) in the same transaction as the
    notice, so repeated or concurrent runs tell nobody twice. Returns the actions reminded."""
    today = timezone.localdate(now)
    due = (
        Action.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_on__lt=today)
        .exclude(improvement__stage=Stage.CLOSED)
        .select_related("improvement", "owner")
        .order_by("due_on", "pk")
    )
    reminded = 0
    for action in due:
        with transaction.atomic():
            claimed = Action.objects.filter(pk=action.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            improvement = action.improvement
            kind = NotificationKind.IMPROVEMENT_ACTION_OVERDUE
            notify(
                event_key=event_key(action, kind),
                kind=kind,
                recipients=[action.owner],
                subject=f"{improvement.reference}: action overdue: {action.title}",
                body=(
                    f"The action \u201c{action.title}\u201d of {improvement.reference} "
                    f"{improvement.title} was due on {action.due_on:%Y-%m-%d} and is not done. "
                    "Complete it, or agree a new plan with the improvement's owner."
                ),
                link=f"/improvements/{improvement.pk}/",
                organisation=action.owner.organisation_id,
                source=action,
                now=now,
            )
            reminded += 1
    return reminded
