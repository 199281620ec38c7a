"""The change policy as data: risk questions, the approval matrix and freeze windows.

Only the change manager (``changes.manage``) keeps the policy; ``actor=None`` is the system (the
command line, a data migration, the demo). Every create, update and delete is audited, and a bad
value is refused with a message on its field before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model

from accord.changes.choices import ApprovalMode, Authority, ChangeType, RiskClass
from accord.changes.models import ApprovalRule, FreezeWindow, RiskAnswer, RiskQuestion
from accord.core import audit, records
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import Team
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.roles import CUSTOMER_ROLES
from accord.portfolio.models import Service

QUESTION_FIELDS = ("text", "help_text", "order", "active")
QUESTION_KEYS = frozenset({*QUESTION_FIELDS, "answers"})
RULE_FIELDS = (
    "name",
    "change_type",
    "risk_class",
    "authority",
    "role",
    "team",
    "mode",
    "quorum",
    "order",
    "active",
)
FREEZE_FIELDS = ("name", "reason", "starts_at", "ends_at", "allow_emergency")
FREEZE_KEYS = frozenset({*FREEZE_FIELDS, "services"})
MIN_ANSWERS = 2
MAX_ANSWERS = 10

#: The questionnaire installed when none exists: (question, [(answer, weight), ...]).
DEFAULT_QUESTIONS: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    (
        "How many users are affected while the change is implemented?",
        (("None", 0), ("A team", 1), ("A customer", 3), ("Many customers", 5)),
    ),
    (
        "Has this change been done before?",
        (("Routinely", 0), ("Once or twice", 2), ("Never", 4)),
    ),
    (
        "Can it be backed out?",
        (("Quickly", 0), ("With effort", 2), ("No", 5)),
    ),
    (
        "Is the change tested in a test environment?",
        (("Yes", 0), ("Partly", 2), ("No", 4)),
    ),
)
#: The approval matrix installed when none exists:
#: (name, change type, risk class, authority, role, mode, quorum).
DEFAULT_RULES: tuple[tuple[str, str, str, str, str, str, int | None], ...] = (
    ("Standard changes are pre-approved", "standard", "", "automatic", "", "any", None),
    ("Normal low risk: a change manager", "normal", "low", "role", "change_manager", "any", None),
    (
        "Normal medium risk: the change authority",
        "normal",
        "medium",
        "role",
        "change_authority",
        "any",
        None,
    ),
    (
        "Normal high risk: a quorum of the change authority",
        "normal",
        "high",
        "role",
        "change_authority",
        "quorum",
        2,
    ),
    ("Normal high risk: a change manager", "normal", "high", "role", "change_manager", "any", None),
    ("Emergency: a change manager", "emergency", "", "role", "change_manager", "any", None),
)


# --- who may do what ----------------------------------------------------------------------------


def may_keep_policy(actor: Any) -> bool:
    """The change manager (provider staff holding ``changes.manage``), or the system."""
    return actor is None or (
        sees_all_organisations(actor) and has_capability(actor, "changes.manage")
    )


def _require(actor: Any) -> None:
    if not may_keep_policy(actor):
        raise PermissionDenied("Only a change manager keeps the change policy.")


# --- small checks -------------------------------------------------------------------------------


def _refuse_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


def _text(
    values: dict[str, Any], name: str, errors: dict[str, Any], max_length: int, required: bool
) -> None:
    if name not in values:
        return
    value = values[name]
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = "Write text."
        return
    value = value.strip()
    if required and not value:
        errors[name] = "This field is required."
    elif max_length and len(value) > max_length:
        errors[name] = f"Keep it under {max_length} characters."
    values[name] = value


def _whole(values: dict[str, Any], name: str, errors: dict[str, Any]) -> None:
    if name not in values:
        return
    value = values[name]
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors[name] = "Give a whole number, 0 or more."
        return
    values[name] = value


def _flag(values: dict[str, Any], name: str, errors: dict[str, Any]) -> None:
    if name in values and not isinstance(values[name], bool):
        errors[name] = "Give true or false."


def _instant(values: dict[str, Any], name: str, errors: dict[str, Any]) -> None:
    if name not in values:
        return
    value = values[name]
    if not isinstance(value, dt.datetime):
        errors[name] = "Give a date and time."
    elif value.tzinfo is None or value.utcoffset() is None:
        errors[name] = "Give the time with its time zone."


def _lock(model: type[Model], instance: Model, version: int | None) -> Any:
    locked = model._default_manager.select_for_update().get(pk=instance.pk)
    if version is not None and locked.version != version:  # type: ignore[attr-defined]
        raise records.StaleVersion(locked.version)  # type: ignore[attr-defined]
    return locked


# --- risk questions -----------------------------------------------------------------------------


def _clean_answers(value: Any) -> list[dict[str, Any]]:
    """The answers as ``[{"text", "weight"}]`` in their order, or a ValidationError on
    ``answers``: at least two, each with a text and a weight of 0 or more, no text twice."""
    if not isinstance(value, list | tuple):
        raise ValidationError({"answers": 'List the answers as [{"text": ..., "weight": ...}].'})
    if len(value) < MIN_ANSWERS:
        raise ValidationError({"answers": f"Give at least {MIN_ANSWERS} answers to choose from."})
    if len(value) > MAX_ANSWERS:
        raise ValidationError({"answers": f"Give at most {MAX_ANSWERS} answers."})
    cleaned: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for i, answer in enumerate(value, start=1):
        if not isinstance(answer, Mapping) or set(answer) - {"text", "weight"}:
            problems.append(f'Answer {i}: give {{"text": ..., "weight": ...}}.')
            continue
        text = answer.get("text")
        text = text.strip() if isinstance(text, str) else ""
        weight = answer.get("weight", 0)
        if isinstance(weight, str) and weight.strip().isdigit():
            weight = int(weight)
        if not text:
            problems.append(f"Answer {i}: write the answer.")
        elif len(text) > 200:
            problems.append(f"Answer {i}: keep it under 200 characters.")
        elif text.casefold() in seen:
            problems.append(f"Answer {i}: {text!r} is given twice.")
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            problems.append(f"Answer {i}: the weight is a whole number, 0 or more.")
        seen.add(text.casefold())
        cleaned.append({"text": text, "weight": weight})
    if problems:
        raise ValidationError({"answers": problems})
    return cleaned


def _question_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    _refuse_unknown(data, QUESTION_KEYS)
    values = {k: v for k, v in data.items() if k != "answers"}
    errors: dict[str, Any] = {}
    _text(values, "text", errors, 300, required=True)
    _text(values, "help_text", errors, 0, required=False)
    _whole(values, "order", errors)
    _flag(values, "active", errors)
    answers = None
    if "answers" in data:
        try:
            answers = _clean_answers(data["answers"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return values, answers


def _answers_of(question: RiskQuestion) -> list[dict[str, Any]]:
    return [
        {"text": a.text, "weight": a.weight}
        for a in RiskAnswer.objects.filter(question=question).order_by("order", "pk")
    ]


def _write_answers(question: RiskQuestion, answers: list[dict[str, Any]]) -> None:
    """Make the question's answers exactly ``answers``. An answer whose text stays keeps its
    row (and id), so the answers recorded on earlier changes still name it."""
    existing = {a.text.casefold(): a for a in RiskAnswer.objects.filter(question=question)}
    keep: list[RiskAnswer] = []
    new: list[RiskAnswer] = []
    for order, answer in enumerate(answers):
        row = existing.pop(answer["text"].casefold(), None)
        if row is None:
            new.append(RiskAnswer(question=question, order=order, **answer))
        else:
            row.text, row.weight, row.order = answer["text"], answer["weight"], order
            keep.append(row)
    if existing:
        RiskAnswer.objects.filter(pk__in=[a.pk for a in existing.values()]).delete()
    if keep:
        RiskAnswer.objects.bulk_update(keep, ["text", "weight", "order"])
    if new:
        RiskAnswer.objects.bulk_create(new)


@transaction.atomic
def risk_question_create(*, actor: Any, data: Mapping[str, Any]) -> RiskQuestion:
    """``data``: text, help_text, order, active, answers ([{"text", "weight"}], two at least)."""
    _require(actor)
    values, answers = _question_values(data)
    if "text" not in values:
        raise ValidationError({"text": "This field is required."})
    if answers is None:
        raise ValidationError({"answers": f"Give at least {MIN_ANSWERS} answers to choose from."})
    question = RiskQuestion(**values)
    records.create_record(actor=actor, instance=question, fields=QUESTION_FIELDS, audit_now=False)
    _write_answers(question, answers)
    changes = audit.diff({}, audit.snapshot(question, QUESTION_FIELDS))
    changes["answers"] = [None, answers]
    audit.record(actor=actor, action=AuditAction.CREATE, instance=question, changes=changes)
    return question


@transaction.atomic
def risk_question_update(
    *, actor: Any, question: RiskQuestion, data: Mapping[str, Any], version: int | None = None
) -> RiskQuestion:
    """Edit a question; ``answers``, when given, replace the whole list (the audit event keeps
    the list before and after). Changes already assessed keep their score: a new weight counts
    from the next assessment on."""
    _require(actor)
    values, answers = _question_values(data)
    locked = _lock(RiskQuestion, question, version)
    before = audit.snapshot(locked, QUESTION_FIELDS)
    before["answers"] = _answers_of(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.full_clean()
    after = audit.snapshot(locked, QUESTION_FIELDS)
    after["answers"] = answers if answers is not None else before["answers"]
    changes = audit.diff(before, after)
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    if "answers" in changes:
        _write_answers(locked, after["answers"])
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


# --- the approval matrix ------------------------------------------------------------------------


def _team(value: Any, errors: dict[str, Any]) -> Team | None:
    if value in (None, ""):
        return None
    team = value if isinstance(value, Team) else Team.objects.filter(pk=value).first()
    if team is None or not team.is_active or team.organisation.kind != OrganisationKind.PROVIDER:
        errors["team"] = "Choose one of the provider's active teams."
        return None
    return team


def _rule_values(data: Mapping[str, Any], current: ApprovalRule | None) -> dict[str, Any]:
    """Checked values of a rule after ``data``, normalised so that only what its authority and
    mode use is kept (a team rule names no role, an automatic rule needs nobody)."""
    _refuse_unknown(data, RULE_FIELDS)
    values = dict(data)
    errors: dict[str, Any] = {}
    _text(values, "name", errors, 120, required=True)
    _whole(values, "order", errors)
    _flag(values, "active", errors)
    if "team" in values:
        values["team"] = _team(values["team"], errors)
    if "risk_class" in values and values["risk_class"] is None:
        values["risk_class"] = ""
    merged = {
        name: values[name] if name in values else getattr(current, name, None)
        for name in RULE_FIELDS
    }
    if current is None:
        for name, default in (("risk_class", ""), ("role", ""), ("mode", ApprovalMode.ANY)):
            merged[name] = values.get(name, default)
        if not merged["name"] and "name" not in errors:
            errors["name"] = "This field is required."
    change_type, risk_class = merged["change_type"], merged["risk_class"]
    authority, mode = merged["authority"], merged["mode"]
    if change_type not in ChangeType.values:
        errors["change_type"] = f"Choose one of: {', '.join(ChangeType.values)}."
    if risk_class not in ("", *RiskClass.values):
        errors["risk_class"] = f"Choose one of: {', '.join(RiskClass.values)} (or none: any)."
    if authority not in Authority.values:
        errors["authority"] = f"Choose one of: {', '.join(Authority.values)}."
    if mode not in ApprovalMode.values:
        errors["mode"] = f"Choose one of: {', '.join(ApprovalMode.values)}."
    if authority == Authority.ROLE:
        role = merged["role"] or ""
        if not role:
            errors["role"] = "Name the role whose holders approve."
        elif role not in Role.values or role in CUSTOMER_ROLES:
            errors["role"] = "Choose one of the provider's roles."
        merged["team"] = None
    elif authority == Authority.TEAM:
        if merged["team"] is None and "team" not in errors:
            errors["team"] = "Name the team whose members approve."
        merged["role"] = ""
    elif authority == Authority.AUTOMATIC:
        if (
            change_type == ChangeType.EMERGENCY
            or risk_class == RiskClass.HIGH
            or (change_type != ChangeType.STANDARD and risk_class != RiskClass.LOW)
        ):
            errors["authority"] = (
                "Only standard changes and low-risk changes may be approved automatically."
            )
        merged.update(role="", team=None, mode=ApprovalMode.ANY)
        mode = ApprovalMode.ANY
    if mode == ApprovalMode.QUORUM:
        quorum = merged["quorum"]
        if isinstance(quorum, str) and quorum.strip().isdigit():
            quorum = int(quorum)
        if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1:
            errors["quorum"] = "A quorum is a whole number of approvers, 1 or more."
        merged["quorum"] = quorum
    else:
        merged["quorum"] = None
    if errors:
        raise ValidationError(errors)
    if merged["order"] is None:
        merged["order"] = 0
    if merged["active"] is None:
        merged["active"] = True
    return merged


@transaction.atomic
def approval_rule_create(*, actor: Any, data: Mapping[str, Any]) -> ApprovalRule:
    """Add a row to the approval matrix. ``data``: name, change_type, risk_class (blank: any),
    authority (role / team / automatic), role or team, mode (any / all / quorum), quorum,
    order, active. Whether a team has enough members for its quorum is checked when a change
    asks for approval, since teams change after the rule is written."""
    _require(actor)
    values = _rule_values(data, None)
    rule = ApprovalRule(**values)
    return records.create_record(actor=actor, instance=rule, fields=RULE_FIELDS)


@transaction.atomic
def approval_rule_update(
    *, actor: Any, rule: ApprovalRule, data: Mapping[str, Any], version: int | None = None
) -> ApprovalRule:
    """Edit a row of the matrix. Changes already awaiting approval keep the steps they were
    given; the edit applies from the next request for approval on."""
    _require(actor)
    values = _rule_values(data, rule)
    return records.update_record(
        actor=actor, instance=rule, data=values, fields=RULE_FIELDS, expected_version=version
    )


@transaction.atomic
def approval_rule_delete(*, actor: Any, rule: ApprovalRule) -> None:
    """Remove a row of the matrix (steps made from it keep their copy of it)."""
    _require(actor)
    records.delete_record(actor=actor, instance=rule)


# --- freeze windows -----------------------------------------------------------------------------


def _services(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError({"services": "List the services (none: every service)."})
    wanted = list(dict.fromkeys(getattr(v, "pk", v) for v in value))
    try:
        found = set(Service.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    except (TypeError, ValueError) as exc:
        raise ValidationError({"services": "List services by id."}) from exc
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({"services": f"No such service: {', '.join(missing)}."})
    return wanted


def _freeze_values(
    data: Mapping[str, Any], current: FreezeWindow | None
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    _refuse_unknown(data, FREEZE_KEYS)
    values = {k: v for k, v in data.items() if k != "services"}
    errors: dict[str, Any] = {}
    _text(values, "name", errors, 120, required=True)
    _text(values, "reason", errors, 0, required=False)
    _instant(values, "starts_at", errors)
    _instant(values, "ends_at", errors)
    _flag(values, "allow_emergency", errors)
    m2m: dict[str, list[int]] = {}
    if "services" in data:
        try:
            m2m["services"] = _services(data["services"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if current is None:
        for name in ("name", "starts_at", "ends_at"):
            if name not in values and name not in errors:
                errors[name] = "This field is required."
    if not ({"starts_at", "ends_at"} & set(errors)):
        starts = values.get("starts_at", getattr(current, "starts_at", None))
        ends = values.get("ends_at", getattr(current, "ends_at", None))
        if starts is not None and ends is not None and ends <= starts:
            errors["ends_at"] = "The freeze must end after it starts."
    if errors:
        raise ValidationError(errors)
    return values, m2m


@transaction.atomic
def freeze_window_create(*, actor: Any, data: Mapping[str, Any]) -> FreezeWindow:
    """``data``: name, reason, starts_at, ends_at (aware), services (empty: all),
    allow_emergency."""
    _require(actor)
    values, m2m = _freeze_values(data, None)
    window = FreezeWindow(**values, created_by=actor)
    return records.create_record(
        actor=actor, instance=window, fields=[*FREEZE_FIELDS, "services"], m2m=m2m
    )


@transaction.atomic
def freeze_window_update(
    *, actor: Any, window: FreezeWindow, data: Mapping[str, Any], version: int | None = None
) -> FreezeWindow:
    """Edit a freeze; conflicts are computed from the freezes as they are, so changes already
    scheduled show a new conflict at once."""
    _require(actor)
    values, m2m = _freeze_values(data, window)
    return records.update_record(
        actor=actor,
        instance=window,
        data=values,
        fields=[*FREEZE_FIELDS, "services"],
        m2m=m2m,
        expected_version=version,
    )


@transaction.atomic
def freeze_window_delete(*, actor: Any, window: FreezeWindow) -> None:
    _require(actor)
    records.delete_record(actor=actor, instance=window)


# --- the default policy -------------------------------------------------------------------------


@transaction.atomic
def seed_policy() -> None:
    """Install the default policy when none exists: four risk questions with weighted answers,
    and the matrix (standard -> automatic; normal low -> change manager any; normal medium ->
    change authority any; normal high -> change authority quorum 2 and change manager;
    emergency -> change manager any). Idempotent; called by a data migration and the demo.

    The questionnaire and the matrix are installed each only when it is empty, so a policy a
    change manager has written is never touched.
    """
    if not RiskQuestion.objects.exists():
        for order, (text, answers) in enumerate(DEFAULT_QUESTIONS):
            risk_question_create(
                actor=None,
                data={
                    "text": text,
                    "order": order,
                    "answers": [{"text": t, "weight": w} for t, w in answers],
                },
            )
    if not ApprovalRule.objects.exists():
        for order, (name, change_type, risk_class, authority, role, mode, quorum) in enumerate(
            DEFAULT_RULES
        ):
            approval_rule_create(
                actor=None,
                data={
                    "name": name,
                    "change_type": change_type,
                    "risk_class": risk_class,
                    "authority": authority,
                    "role": role,
                    "mode": mode,
                    "quorum": quorum,
                    "order": order,
                },
            )
