"""Release records (ISO/IEC 20000-1, 8.5.3).

Change managers (``changes.manage``) manage releases; ``actor=None`` is the system. A release
moves planned -> building -> testing -> accepted -> deployed -> closed (``RELEASE_TRANSITIONS``);
acceptance is a sign-off against written acceptance criteria, closing records the outcome. The
changes a release deploys point at it (``Change.release``), and each of them is audited when it
joins or leaves a release.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accord.changes.choices import (
    RELEASE_TRANSITIONS,
    ChangeStatus,
    ReleaseOutcome,
    ReleaseStatus,
    ReleaseType,
)
from accord.changes.models import Change, Release
from accord.core import audit, records
from accord.core.choices import AuditAction
from accord.core.models import Person
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.services import next_reference
from accord.problems.models import Problem

REFERENCE_PREFIX = "REL"
R = ReleaseStatus

RELEASE_FIELDS = (
    "reference",
    "name",
    "description",
    "release_type",
    "status",
    "owner",
    "planned_date",
    "deployed_at",
    "acceptance_criteria",
    "signed_off_by",
    "signed_off_at",
    "sign_off_notes",
    "outcome",
    "outcome_notes",
    "closed_at",
)
EDITABLE = frozenset(
    {
        "name",
        "description",
        "release_type",
        "owner",
        "planned_date",
        "acceptance_criteria",
        "changes",
        "known_errors",
    }
)
#: What each move may carry in ``data``.
TRANSITION_DATA: dict[str, frozenset[str]] = {
    R.ACCEPTED: frozenset({"sign_off_notes"}),
    R.DEPLOYED: frozenset({"deployed_at"}),
    R.CLOSED: frozenset({"outcome", "outcome_notes"}),
    R.CANCELLED: frozenset({"outcome_notes"}),
}
FINAL = frozenset({R.CLOSED, R.CANCELLED})
#: Once signed off, the criteria the sign-off was given against stay as they were.
SIGNED_OFF = frozenset({R.ACCEPTED, R.DEPLOYED, R.CLOSED})
#: Changes that will never be deployed cannot join a release.
REFUSED_CHANGE_STATUSES = frozenset({ChangeStatus.REJECTED, ChangeStatus.CANCELLED})


def may_manage_releases(actor: Any) -> bool:
    """The change manager (provider staff holding ``changes.manage``), or the system."""
    return actor is None or (
        sees_all_organisations(actor) and has_capability(actor, "changes.manage")
    )


def _require(actor: Any) -> None:
    if not may_manage_releases(actor):
        raise PermissionDenied("Only a change manager manages releases.")


def _person(actor: Any) -> Person | None:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def allowed_transitions(release: Release) -> list[str]:
    """The statuses ``release`` may move to next, in the order of the status list."""
    nexts = RELEASE_TRANSITIONS.get(release.status, frozenset())
    return [s for s in R.values if s in nexts]


# --- validation ---------------------------------------------------------------------------------


def _ids(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError({field: "Give a list."})
    return list(dict.fromkeys(getattr(v, "pk", v) for v in value))


def _changes(value: Any, release: Release | None) -> list[Change]:
    """The changes named, each able to join ``release``; a ValidationError on ``changes``
    names every one that cannot."""
    wanted = _ids(value, "changes")
    try:
        found = {c.pk: c for c in Change.objects.filter(pk__in=wanted)}
    except (TypeError, ValueError) as exc:
        raise ValidationError({"changes": "List changes by id."}) from exc
    problems = [f"No such change: {pk}." for pk in wanted if pk not in found]
    for pk in wanted:
        change = found.get(pk)
        if change is None:
            continue
        if change.status in REFUSED_CHANGE_STATUSES:
            problems.append(f"{change.reference} is {change.get_status_display().lower()}.")
        elif change.release_id is not None and (release is None or change.release_id != release.pk):
            problems.append(f"{change.reference} is in another release; take it out there first.")
    if problems:
        raise ValidationError({"changes": problems})
    return [found[pk] for pk in wanted]


def _problems(value: Any) -> list[int]:
    wanted = _ids(value, "known_errors")
    try:
        found = set(Problem.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    except (TypeError, ValueError) as exc:
        raise ValidationError({"known_errors": "List problems by id."}) from exc
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({"known_errors": f"No such problem: {', '.join(missing)}."})
    return wanted


def _owner(value: Any, errors: dict[str, Any]) -> Person | None:
    person = value if isinstance(value, Person) else None
    if person is None and value not in (None, ""):
        person = Person.objects.filter(pk=value).first() if str(value).isdigit() else None
    if person is None:
        errors["owner"] = "Name the release owner."
    elif not (person.is_active and sees_all_organisations(person)):
        errors["owner"] = f"{person} is not active provider staff."
    return person


def _values(
    data: Mapping[str, Any], release: Release | None
) -> tuple[dict[str, Any], list[Change] | None, list[int] | None]:
    unknown = set(data) - EDITABLE
    if "status" in unknown:
        raise ValidationError({"status": "The status changes through a transition."})
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    values = {k: v for k, v in data.items() if k not in ("changes", "known_errors")}
    errors: dict[str, Any] = {}
    for name, required in (
        ("name", True),
        ("description", False),
        ("acceptance_criteria", False),
    ):
        if name not in values:
            if required and release is None:
                errors[name] = "This field is required."
            continue
        value = values[name] if values[name] is not None else ""
        if not isinstance(value, str) or (required and not value.strip()):
            errors[name] = "This field is required." if required else "Write text."
            continue
        values[name] = value.strip()
    if "name" in values and "name" not in errors and len(values["name"]) > 200:
        errors["name"] = "Keep it under 200 characters."
    if ("release_type" in values or release is None) and values.get(
        "release_type"
    ) not in ReleaseType.values:
        errors["release_type"] = f"Choose one of: {', '.join(ReleaseType.values)}."
    if "owner" in values or release is None:
        values["owner"] = _owner(values.get("owner"), errors)
    if "planned_date" in values or release is None:
        planned = values.get("planned_date")
        if not isinstance(planned, dt.date) or isinstance(planned, dt.datetime):
            errors["planned_date"] = "Give the planned date."
    if (
        release is not None
        and release.status in SIGNED_OFF
        and "acceptance_criteria" in values
        and values["acceptance_criteria"] != release.acceptance_criteria
    ):
        errors["acceptance_criteria"] = "The release is signed off against these criteria."
    changes = problems = None
    try:
        if "changes" in data:
            changes = _changes(data["changes"], release)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        if "known_errors" in data:
            problems = _problems(data["known_errors"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return values, changes, problems


# --- writing ------------------------------------------------------------------------------------


def _change_ids(release: Release) -> list[int]:
    return sorted(Change.objects.filter(release=release).values_list("pk", flat=True))


def _set_changes(actor: Any, release: Release, before: list[int], after: list[int]) -> None:
    """Point the changes named at ``release`` and the ones taken out at none, each change
    audited and its version moved (a form opened before does not write the old value back)."""
    joined = sorted(set(after) - set(before))
    left = sorted(set(before) - set(after))
    old: dict[int, int | None] = {}
    if left:
        Change.objects.filter(pk__in=left, release=release).update(
            release=None, version=F("version") + 1
        )
    if joined:
        old = dict(Change.objects.filter(pk__in=joined).values_list("pk", "release_id"))
        Change.objects.filter(pk__in=joined).update(release=release, version=F("version") + 1)
    for change in Change.objects.filter(pk__in=joined + left).order_by("pk"):
        was = old.get(change.pk) if change.pk in joined else release.pk
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=change,
            changes={"release": [was, change.release_id]},
        )


def _save(
    actor: Any,
    locked: Release,
    values: Mapping[str, Any],
    *,
    action: str,
    known_errors: list[int] | None = None,
    changes: list[int] | None = None,
) -> Release:
    """Write ``values`` (and the known errors and changes, when given) on the locked release
    with one audit event; a save that changes nothing writes nothing."""
    before = audit.snapshot(locked, [*RELEASE_FIELDS, "known_errors"])
    before["changes"] = _change_ids(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.full_clean()
    after = audit.snapshot(locked, RELEASE_FIELDS)
    after["known_errors"] = sorted(known_errors) if known_errors is not None else None
    if after["known_errors"] is None:
        after["known_errors"] = before["known_errors"]
    after["changes"] = sorted(changes) if changes is not None else before["changes"]
    diff = audit.diff(before, after)
    if not diff:
        return locked
    locked.version += 1
    locked.save()
    if "known_errors" in diff:
        locked.known_errors.set(after["known_errors"])
    audit.record(actor=actor, action=action, instance=locked, changes=diff)
    if "changes" in diff:
        _set_changes(actor, locked, before["changes"], after["changes"])
    return locked


@transaction.atomic
def release_create(
    *, actor: Any, data: Mapping[str, Any], now: dt.datetime | None = None
) -> Release:
    """``data``: name, description, release_type, owner, planned_date, acceptance_criteria,
    changes (ids/objects: their ``release`` is set), known_errors (problems)."""
    _require(actor)
    now = now or timezone.now()
    values, changes, problems = _values(data, None)
    release = Release(
        reference=next_reference(REFERENCE_PREFIX),
        status=R.PLANNED,
        created_by=_person(actor),
        created_at=now,
        **values,
    )
    records.create_record(
        actor=actor,
        instance=release,
        fields=[*RELEASE_FIELDS, "known_errors"],
        m2m={"known_errors": problems or []},
        audit_now=False,
    )
    created = audit.diff({}, audit.snapshot(release, [*RELEASE_FIELDS, "known_errors"]))
    change_ids = sorted(c.pk for c in changes or [])
    if change_ids:
        created["changes"] = [None, change_ids]
    audit.record(actor=actor, action=AuditAction.CREATE, instance=release, changes=created)
    if change_ids:
        _set_changes(actor, release, [], change_ids)
    return release


def _lock(release: Release, version: int | None) -> Release:
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    return locked


@transaction.atomic
def release_update(
    *,
    actor: Any,
    release: Release,
    data: Mapping[str, Any],
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Release:
    """Edit a release that is not closed or cancelled; ``changes`` and ``known_errors``, when
    given, replace the whole set. The acceptance criteria stay as signed off."""
    _require(actor)
    locked = _lock(release, version)
    if locked.status in FINAL:
        raise ValidationError(
            {"status": f"{locked.reference} is {locked.get_status_display().lower()}; it is final."}
        )
    values, changes, problems = _values(data, locked)
    return _save(
        actor,
        locked,
        values,
        action=AuditAction.UPDATE,
        known_errors=problems,
        changes=[c.pk for c in changes] if changes is not None else None,
    )


def _instant(value: Any, errors: dict[str, Any], now: dt.datetime) -> dt.datetime | None:
    if value is None:
        return now
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        errors["deployed_at"] = "Give the date and time with its time zone."
        return None
    if value > now:
        errors["deployed_at"] = "A release is recorded as deployed once it is."
    return value


@transaction.atomic
def release_transition(
    *,
    actor: Any,
    release: Release,
    to_status: str,
    data: Mapping[str, Any] | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Release:
    """accepted: sign-off (acceptance criteria must be written; ``sign_off_notes``);
    deployed: ``deployed_at`` (default now); closed: ``outcome`` and ``outcome_notes``;
    cancelled: any open status."""
    _require(actor)
    now = now or timezone.now()
    data = dict(data or {})
    locked = _lock(release, version)
    if to_status not in RELEASE_TRANSITIONS.get(locked.status, frozenset()):
        allowed = allowed_transitions(locked)
        raise ValidationError(
            {
                "status": (
                    f"A {locked.get_status_display().lower()} release cannot move to "
                    f"{to_status}. Allowed: {', '.join(allowed) or 'none (it is final)'}."
                )
            }
        )
    unknown = set(data) - TRANSITION_DATA.get(to_status, frozenset())
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not part of this move."))
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {"status": to_status}
    if to_status == R.ACCEPTED:
        if not locked.acceptance_criteria.strip():
            errors["acceptance_criteria"] = "Write the acceptance criteria before signing off."
        notes = data.get("sign_off_notes", "")
        if not isinstance(notes, str):
            errors["sign_off_notes"] = "Write text."
        else:
            values.update(
                signed_off_by=_person(actor), signed_off_at=now, sign_off_notes=notes.strip()
            )
    elif to_status == R.DEPLOYED:
        values["deployed_at"] = _instant(data.get("deployed_at"), errors, now)
    elif to_status == R.CLOSED:
        if data.get("outcome") not in ReleaseOutcome.values:
            errors["outcome"] = f"Give the outcome: {', '.join(ReleaseOutcome.values)}."
        else:
            values["outcome"] = data["outcome"]
        values["closed_at"] = now
    elif to_status == R.CANCELLED:
        values["closed_at"] = now
    if "outcome_notes" in data:
        notes = data["outcome_notes"]
        if not isinstance(notes, str):
            errors["outcome_notes"] = "Write text."
        else:
            values["outcome_notes"] = notes.strip()
    if errors:
        raise ValidationError(errors)
    return _save(actor, locked, values, action=AuditAction.TRANSITION)
