"""The rules behind every change to change records: who may do what, what a complete record
needs, and how the fields of a change are checked. ``changes.py`` applies them; the pages and
the API read them to show only the buttons and fields that will be accepted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accord.changes.choices import (
    CHANGE_TRANSITIONS,
    FINAL_STATUSES,
    ChangeStatus,
    ChangeType,
    Outcome,
    RiskClass,
)
from accord.changes.models import Change, Release
from accord.changes.services.risk import assess_answers
from accord.core.choices import OrganisationKind
from accord.core.models import Organisation, Person, Team
from accord.core.permissions import has_capability, sees_all_organisations
from accord.incidents.choices import Level
from accord.portfolio.models import ConfigurationItem, Service

S = ChangeStatus
REFERENCE_PREFIX = "CHG"

#: The audited fields of a change (many-to-many values as sorted ids).
CHANGE_FIELDS = [
    "reference",
    "title",
    "description",
    "reason",
    "change_type",
    "template",
    "services",
    "configuration_items",
    "organisations",
    "requester",
    "owner",
    "implementer_team",
    "implementer",
    "impact",
    "risk_answers",
    "risk_score",
    "risk_class",
    "service_outage",
    "planned_start",
    "planned_end",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "status",
    "release",
    "submitted_at",
    "approved_at",
    "rejection_reason",
    "actual_start",
    "actual_end",
    "outcome",
    "outcome_notes",
    "documentation_due_at",
    "documented_at",
    "conflict_override_justification",
    "conflict_override_by",
    "conflict_override_at",
    "conflict_override_snapshot",
    "pir_summary",
    "pir_lessons",
    "pir_by",
    "pir_completed_at",
    "closure_notes",
    "closed_at",
]
M2M_FIELDS = frozenset({"services", "configuration_items"})
SCALAR_FIELDS = [name for name in CHANGE_FIELDS if name not in M2M_FIELDS | {"organisations"}]
#: What ``change_create`` and ``change_update`` accept (``requester`` only from a manager).
EDITABLE = frozenset(
    {
        "title",
        "description",
        "reason",
        "change_type",
        "services",
        "configuration_items",
        "owner",
        "implementer_team",
        "implementer",
        "impact",
        "service_outage",
        "planned_start",
        "planned_end",
        "implementation_plan",
        "test_plan",
        "backout_plan",
        "risk_answers",
        "release",
    }
)
#: What a move may carry with it (see ``change_transition``).
TRANSITION_DATA = frozenset(
    {
        "reason",
        "override_justification",
        "actual_start",
        "actual_end",
        "outcome",
        "outcome_notes",
        "closure_notes",
    }
)
#: Moves the requester and owner make on their own change before it is decided.
_RAISER_MOVES = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.DRAFT, S.CANCELLED, S.AWAITING_APPROVAL}),
    S.ASSESSMENT: frozenset({S.DRAFT, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.DRAFT, S.CANCELLED}),
}
#: Moves of those carrying the change out (owner, implementer, implementer team).
_IMPLEMENTER_MOVES = {
    S.APPROVED: frozenset({S.IMPLEMENTING}),
    S.SCHEDULED: frozenset({S.IMPLEMENTING}),
    S.IMPLEMENTING: frozenset({S.IMPLEMENTED, S.FAILED}),
    S.IMPLEMENTED: frozenset({S.IN_REVIEW}),
    S.FAILED: frozenset({S.IN_REVIEW}),
}
#: Statuses whose planned window is a commitment: moving it re-checks the conflicts.
COMMITTED = frozenset({S.APPROVED, S.SCHEDULED})
MAX_TITLE = 200


# --- who may do what ----------------------------------------------------------------------------


def _staff(actor: Any, capability: str) -> bool:
    """Provider staff holding ``capability``; the system (None) always."""
    return actor is None or (sees_all_organisations(actor) and has_capability(actor, capability))


def may_raise(actor: Any) -> bool:
    """Provider staff holding ``changes.raise`` (or the system, ``None``)."""
    return _staff(actor, "changes.raise")


def may_manage(actor: Any) -> bool:
    """Provider staff holding ``changes.manage`` (the change manager), or the system."""
    return _staff(actor, "changes.manage")


def person_pk(actor: Any) -> int | None:
    return getattr(actor, "pk", None) if actor is not None else None


def _is_raiser(actor: Any, change: Change) -> bool:
    """The requester or the owner of ``change``, still allowed to raise changes."""
    pk = person_pk(actor)
    return (
        pk is not None
        and pk in (change.requester_id, change.owner_id or change.requester_id)
        and may_raise(actor)
    )


def _is_implementer(actor: Any, change: Change) -> bool:
    """The owner, the implementer or a member of the implementer team of ``change``."""
    pk = person_pk(actor)
    if pk is None or not may_raise(actor):
        return False
    if pk in (change.owner_id or change.requester_id, change.implementer_id):
        return True
    return bool(
        change.implementer_team_id
        and Team.members.through.objects.filter(
            team_id=change.implementer_team_id, person_id=pk
        ).exists()
    )


def may_edit(actor: Any, change: Change) -> bool:
    """The change manager always; the requester and the change owner while the change is a
    draft (or, for an emergency change, until its documentation is complete)."""
    if change.status in FINAL_STATUSES:
        return False
    if may_manage(actor):
        return True
    if not _is_raiser(actor, change):
        return False
    if change.status == S.DRAFT:
        return True
    return change.change_type == ChangeType.EMERGENCY and change.documented_at is None


def allowed_transitions(change: Change) -> list[str]:
    """The statuses ``change`` may move to next (CHANGE_TRANSITIONS plus the change's own rules),
    whoever asks; used by the 400 answer of the API."""
    nexts = set(CHANGE_TRANSITIONS.get(change.status, frozenset()))
    if change.status == S.SUBMITTED:
        # Each type has its own road to a decision: a standard change is pre-approved, an
        # emergency change goes straight to its authority, a normal one is assessed first.
        road = {
            ChangeType.STANDARD: S.APPROVED,
            ChangeType.NORMAL: S.ASSESSMENT,
            ChangeType.EMERGENCY: S.AWAITING_APPROVAL,
        }[ChangeType(change.change_type)]
        nexts -= {S.APPROVED, S.ASSESSMENT, S.AWAITING_APPROVAL} - {road}
    elif change.status in (S.ASSESSMENT, S.AWAITING_APPROVAL):
        # Approved follows only from the approval decisions.
        nexts.discard(S.APPROVED)
    return [s for s in S.values if s in nexts]


def transitions_for(actor: Any, change: Change) -> list[str]:
    """The moves ``actor`` may make on ``change`` now (buttons on the page)."""
    nexts = allowed_transitions(change)
    if may_manage(actor):
        return nexts
    mine: set[str] = set()
    if _is_raiser(actor, change):
        mine |= _RAISER_MOVES.get(change.status, frozenset())
    if _is_implementer(actor, change):
        mine |= _IMPLEMENTER_MOVES.get(change.status, frozenset())
    return [s for s in nexts if s in mine]


def deny(message: str = "You do not have permission to do this.") -> None:
    raise PermissionDenied(message)


def actor_or_none(actor: Any) -> Person | None:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def provider_org_id() -> int | None:
    """The provider organisation: changes belong to it (its audit events and notices)."""
    return (
        Organisation.objects.filter(kind=OrganisationKind.PROVIDER)
        .values_list("pk", flat=True)
        .first()
    )


def change_link(change: Change) -> str:
    """The path of the change's page."""
    return f"/changes/{change.reference}/"


def notify_people(
    *,
    change: Change,
    key: str,
    kind: str,
    recipients: Iterable[Any],
    subject: str,
    lines: list[str],
    now: dt.datetime,
) -> None:
    """One notice of ``kind`` about ``change`` to each recipient, once per ``key``."""
    from accord.notifications.services import absolute_url, event_key, notify

    org = provider_org_id()
    people = [p for p in recipients if p is not None]
    if org is None or not people:
        return
    link = change_link(change)
    notify(
        event_key=event_key(change, key),
        kind=kind,
        recipients=people,
        subject=subject,
        body="\n".join([*lines, "", f"Open it: {absolute_url(link)}"]) + "\n",
        link=link,
        organisation=org,
        source=change,
        now=now,
    )


# --- what a complete record needs ---------------------------------------------------------------


def risk_complete(answers: Any) -> bool:
    try:
        return assess_answers(answers, complete=True)[1] is not None
    except ValidationError:
        return False


def missing_fields(
    *,
    has_scope: bool,
    values: Mapping[str, Any],
    risk_complete: bool,
) -> list[str]:
    missing = []
    if not has_scope:
        missing.append("services")
    for name in ("planned_start", "planned_end", "implementation_plan", "backout_plan"):
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
    if not risk_complete:
        missing.append("risk_answers")
    return missing


def documentation_missing(change: Change) -> list[str]:
    """Field names still empty that a complete change record needs (plans, risk, window)."""
    has_scope = change.services.exists() or change.configuration_items.exists()
    return missing_fields(
        has_scope=has_scope,
        values={name: getattr(change, name) for name in SCALAR_FIELDS},
        risk_complete=risk_complete(change.risk_answers),
    )


MISSING_MESSAGES = {
    "services": "Name the services or configuration items the change affects.",
    "planned_start": "Plan when the change starts.",
    "planned_end": "Plan when the change ends.",
    "implementation_plan": "Write the implementation plan.",
    "backout_plan": "Write the backout plan.",
    "risk_answers": "Answer every risk question.",
}
#: How a missing part of the record is named to people.
MISSING_LABELS = {
    "services": "services or configuration items",
    "planned_start": "planned start",
    "planned_end": "planned end",
    "implementation_plan": "implementation plan",
    "backout_plan": "backout plan",
    "risk_answers": "risk answers",
}


def missing_labels(missing: Iterable[str]) -> list[str]:
    """The parts of a record that ``documentation_missing`` names, as people read them."""
    return [MISSING_LABELS.get(name, name.replace("_", " ")) for name in missing]


def review_required(change: Change) -> bool:
    """A post-implementation review is required for failed, emergency and high-risk changes."""
    return (
        change.status == S.FAILED
        or change.outcome in (Outcome.FAILED, Outcome.BACKED_OUT)
        or change.change_type == ChangeType.EMERGENCY
        or change.risk_class == RiskClass.HIGH
    )


# --- validation ---------------------------------------------------------------------------------


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if "status" in unknown:
        raise ValidationError({"status": "The status changes through a transition."})
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))


def _instance(model: type, value: Any, field: str, errors: dict[str, Any]) -> Any:
    """``value`` (an object or an id) as a stored ``model`` row; None stays None."""
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        return model._default_manager.get(pk=int(getattr(value, "pk", value)))
    except (TypeError, ValueError, model.DoesNotExist):
        errors[field] = f"There is no such {model._meta.verbose_name}: {value}."
        return None


def instances(model: type, values: Any, field: str, errors: dict[str, Any]) -> list[int]:
    """Ids of the ``model`` rows named by ``values`` (objects or ids), each one existing."""
    if values is None:
        return []
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        errors[field] = "Give a list."
        return []
    wanted: list[int] = []
    for value in values:
        try:
            wanted.append(int(getattr(value, "pk", value)))
        except (TypeError, ValueError):
            errors[field] = f"There is no such {model._meta.verbose_name}: {value}."
            return []
    wanted = list(dict.fromkeys(wanted))
    found = set(model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        errors[field] = f"There is no such {model._meta.verbose_name}: {', '.join(missing)}."
    return wanted


def parse_instant(value: Any, field: str, errors: dict[str, Any]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            errors[field] = "Give a date and time."
            return None
        value = parsed
    if not isinstance(value, dt.datetime):
        errors[field] = "Give a date and time."
        return None
    if timezone.is_naive(value):
        errors[field] = "Give the time zone with the time."
        return None
    return value


def staff_person(value: Any, field: str, errors: dict[str, Any]) -> Person | None:
    person = _instance(Person, value, field, errors)
    if person is not None and not (person.is_active and sees_all_organisations(person)):
        errors[field] = f"{person} is not active provider staff."
    return person


def clean_fields(
    actor: Any, data: Mapping[str, Any], change: Change | None
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The checked scalar values and many-to-many ids of ``data``, or a ValidationError with
    a message for every bad field. Nothing is written."""
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    m2m: dict[str, list[int]] = {}
    for name in ("description", "reason", "implementation_plan", "test_plan", "backout_plan"):
        if name in data:
            value = data[name]
            if value is None:
                value = ""
            if not isinstance(value, str):
                errors[name] = "Write text."
            else:
                values[name] = value
    if "title" in data:
        title = data["title"]
        if not isinstance(title, str) or not title.strip():
            errors["title"] = "Give the change a title."
        elif len(title.strip()) > MAX_TITLE:
            errors["title"] = f"Keep the title under {MAX_TITLE} characters."
        else:
            values["title"] = title.strip()
    if "change_type" in data:
        kind = data["change_type"]
        if kind == ChangeType.STANDARD:
            errors["change_type"] = (
                "Standard changes are raised from a published standard change template."
            )
        elif kind not in ChangeType.values:
            errors["change_type"] = "Choose normal or emergency."
        elif change is not None and kind != change.change_type:
            if change.change_type == ChangeType.STANDARD:
                errors["change_type"] = "A standard change keeps its type."
            elif change.status != S.DRAFT:
                errors["change_type"] = "The type changes only while the change is a draft."
            else:
                values["change_type"] = kind
        else:
            values["change_type"] = kind
    if "services" in data:
        m2m["services"] = instances(Service, data["services"], "services", errors)
    if "configuration_items" in data:
        m2m["configuration_items"] = instances(
            ConfigurationItem, data["configuration_items"], "configuration_items", errors
        )
    if "owner" in data:
        values["owner"] = staff_person(data["owner"], "owner", errors)
        if values["owner"] is not None and "owner" not in errors and not may_raise(values["owner"]):
            errors["owner"] = f"{values['owner']} may not raise changes, so cannot own one."
    if "implementer" in data:
        values["implementer"] = staff_person(data["implementer"], "implementer", errors)
    if "implementer_team" in data:
        team = _instance(Team, data["implementer_team"], "implementer_team", errors)
        if team is not None and not (team.is_active and team.organisation.is_provider):
            errors["implementer_team"] = "Choose one of the provider's active teams."
        values["implementer_team"] = team
    team = values.get("implementer_team", change.implementer_team if change else None)
    implementer = values.get("implementer", change.implementer if change else None)
    if (
        ("implementer" in values or "implementer_team" in values)
        and team is not None
        and implementer is not None
        and "implementer" not in errors
        and "implementer_team" not in errors
        and not team.members.filter(pk=implementer.pk).exists()
    ):
        errors["implementer"] = f"{implementer} is not a member of {team}."
    if "impact" in data:
        if data["impact"] not in Level.values:
            errors["impact"] = f"Choose one of {', '.join(str(v) for v in Level.values)}."
        else:
            values["impact"] = data["impact"]
    if "service_outage" in data:
        if not isinstance(data["service_outage"], bool):
            errors["service_outage"] = "Say yes or no."
        else:
            values["service_outage"] = data["service_outage"]
    for name in ("planned_start", "planned_end"):
        if name in data:
            values[name] = parse_instant(data[name], name, errors)
    start = values.get("planned_start", change.planned_start if change else None)
    end = values.get("planned_end", change.planned_end if change else None)
    if (
        start is not None
        and end is not None
        and "planned_start" not in errors
        and "planned_end" not in errors
        and end <= start
    ):
        errors["planned_end"] = "The planned end must come after the planned start."
    if "release" in data:
        values["release"] = _instance(Release, data["release"], "release", errors)
    if "risk_answers" in data:
        try:
            answers, score, risk_class = assess_answers(data["risk_answers"], complete=False)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            values.update(risk_answers=answers, risk_score=score, risk_class=risk_class)
    if errors:
        raise ValidationError(errors)
    return values, m2m
