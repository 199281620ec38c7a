"""Every change to change records, from every door: raising, editing, moving through the
statuses, implementation, outcome and post-implementation review (ISO/IEC 20000-1, 8.5.1).

Who may do what: provider staff holding ``changes.raise`` raise normal and emergency changes
(standard ones come from templates, see ``templates.py``); the requester and the change owner
edit their draft, and an emergency change's record until it is documented, since an emergency
change is documented after the fact; the change manager (``changes.manage``) edits every open
change and makes every move. The owner, the implementer and the implementer team carry the
change out (implementing, implemented or failed, in review). ``approved`` is reached only by
the approval decisions (``approvals.py``) or automatically (standard changes, an approval
matrix that names no one). ``actor=None`` stands for the system (a job, the command line).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.changes.choices import (
    FINAL_STATUSES,
    ChangeType,
    Outcome,
    StepStatus,
)
from accord.changes.models import Change, ChangeApprovalStep
from accord.changes.selectors.impact import affected_by
from accord.changes.services.change_rules import (
    CHANGE_FIELDS,
    COMMITTED,
    EDITABLE,
    M2M_FIELDS,
    MISSING_MESSAGES,
    REFERENCE_PREFIX,
    SCALAR_FIELDS,
    TRANSITION_DATA,
    S,
    actor_or_none,
    allowed_transitions,
    clean_fields,
    deny,
    documentation_missing,
    may_edit,
    may_manage,
    may_raise,
    missing_fields,
    missing_labels,
    notify_people,
    parse_instant,
    person_pk,
    provider_org_id,
    reject_unknown,
    review_required,
    risk_complete,
    staff_person,
    transitions_for,
)
from accord.changes.services.risk import assess_answers
from accord.core import audit, records
from accord.core.choices import AuditAction
from accord.core.models import Person
from accord.core.services import next_reference

# --- conflicts ----------------------------------------------------------------------------------


def _conflict_key(item: Mapping[str, Any]) -> tuple:
    return (
        item.get("kind"),
        item.get("change"),
        item.get("freeze_window"),
        item.get("agreement"),
        item.get("service"),
        item.get("configuration_item"),
    )


def conflict_override(
    *, actor: Any, change: Change, justification: str, doing: str, now: dt.datetime
) -> dict[str, Any]:
    """The override fields to write for ``change``'s schedule conflicts as they stand.

    Conflicts already overridden (the same other change, freeze window or agreement) pass; any
    other conflict needs ``justification``, else a ValidationError on
    ``override_justification`` lists the reasons. ``doing`` completes the message ("approve
    it", "schedule it"). Returns {} when nothing is to be recorded.
    """
    from accord.changes.selectors.schedule import conflicts_for

    conflicts = conflicts_for(change)
    if not conflicts:
        return {}
    known = {_conflict_key(item) for item in change.conflict_override_snapshot or []}
    snapshot = [c.as_dict() for c in conflicts]
    new = [
        c for c, item in zip(conflicts, snapshot, strict=True) if _conflict_key(item) not in known
    ]
    justification = (justification or "").strip()
    if not new and not justification:
        return {}
    if not justification:
        reasons = "; ".join(c.reason for c in new)
        raise ValidationError(
            {
                "override_justification": f"This change conflicts: {reasons}. Give a "
                f"justification to {doing} anyway."
            }
        )
    return {
        "conflict_override_justification": justification,
        "conflict_override_by": actor_or_none(actor),
        "conflict_override_at": now,
        "conflict_override_snapshot": snapshot,
    }


# --- creating -----------------------------------------------------------------------------------


def create_change_row(
    *,
    actor: Any,
    values: Mapping[str, Any],
    m2m: Mapping[str, list[int]],
    now: dt.datetime,
) -> Change:
    """Insert a change with its reference and audit the creation (callers check the rules)."""
    change = Change(
        reference=f"~{uuid.uuid4().hex[:15]}",
        status=S.DRAFT,
        created_at=now,
        created_by=actor_or_none(actor),
        **values,
    )
    org = provider_org_id()
    records.create_record(
        actor=actor,
        instance=change,
        fields=CHANGE_FIELDS,
        organisation=org,
        m2m=m2m,
        audit_now=False,
    )
    # The number is taken last but one: its counter row stays locked until the commit.
    change.reference = next_reference(REFERENCE_PREFIX)
    Change.objects.filter(pk=change.pk).update(reference=change.reference)
    records.audit_created(actor=actor, instance=change, fields=CHANGE_FIELDS, organisation=org)
    return change


@transaction.atomic
def change_create(*, actor: Any, data: Mapping[str, Any], now: dt.datetime | None = None) -> Change:
    """Raise a normal or emergency change as a draft (standard changes come from templates).

    ``data`` keys: title, description, reason, change_type, services, configuration_items
    (objects or ids), owner, implementer_team, implementer, impact, service_outage,
    planned_start, planned_end, implementation_plan, test_plan, backout_plan, risk_answers
    ({question id: answer id}), release. Unknown keys are refused. A change manager (or the
    system) may also name the ``requester``; anyone else raises it for themselves. The owner
    defaults to the requester; the risk score and class follow from the answers once every
    active question is answered.
    """
    if not may_raise(actor):
        deny()
    now = now or timezone.now()
    data = dict(data)
    reject_unknown(data, EDITABLE | {"requester"})
    data.setdefault("change_type", ChangeType.NORMAL)
    if "title" not in data:
        data["title"] = ""
    errors: dict[str, Any] = {}
    requester = actor_or_none(actor)
    if data.get("requester") not in (None, ""):
        named = staff_person(data.pop("requester"), "requester", errors)
        if (
            named is not None
            and requester is not None
            and named.pk != requester.pk
            and not may_manage(actor)
        ):
            errors["requester"] = "Only a change manager raises a change for someone else."
        requester = named if "requester" not in errors else requester
    else:
        data.pop("requester", None)
    if requester is None and "requester" not in errors:
        errors["requester"] = "Name the person requesting the change."
    try:
        values, m2m = clean_fields(actor, data, None)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    values["requester"] = requester
    if values.get("owner") is None:
        values["owner"] = requester
    if "risk_answers" not in values:
        answers, score, risk_class = assess_answers({}, complete=False)
        values.update(risk_answers=answers, risk_score=score, risk_class=risk_class)
    return create_change_row(actor=actor, values=values, m2m=m2m, now=now)


# --- editing ------------------------------------------------------------------------------------


@transaction.atomic
def change_update(
    *,
    actor: Any,
    change: Change,
    data: Mapping[str, Any],
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Change:
    """Edit the fields of ``change_create`` (not the status); ``version`` guards against a lost
    update (StaleVersion). Moving the planned window of an approved change re-checks conflicts:
    a new one needs ``override_justification`` in ``data``. Once an approved emergency change's
    record is complete, it is marked documented."""
    now = now or timezone.now()
    data = dict(data)
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    if not may_edit(actor, locked):
        if locked.status in FINAL_STATUSES and may_manage(actor):
            raise ValidationError(
                {"status": f"{locked.reference} is {locked.get_status_display().lower()}."}
            )
        deny()
    justification = data.pop("override_justification", "")
    reject_unknown(data, EDITABLE)
    values, m2m = clean_fields(actor, data, locked)
    if m2m and locked.status != S.DRAFT:
        # The customers affected follow what the change touches once it is under way.
        services = m2m.get("services", list(locked.services.values_list("pk", flat=True)))
        cis = m2m.get(
            "configuration_items", list(locked.configuration_items.values_list("pk", flat=True))
        )
        m2m["organisations"] = list(affected_by(services, cis).customers)
    if (
        locked.change_type == ChangeType.EMERGENCY
        and locked.approved_at is not None
        and locked.documented_at is None
    ):
        merged = {name: getattr(locked, name) for name in SCALAR_FIELDS}
        merged.update(values)
        has_scope = any(
            bool(m2m[name]) if name in m2m else getattr(locked, name).exists()
            for name in ("services", "configuration_items")
        )
        missing = missing_fields(
            has_scope=has_scope,
            values=merged,
            risk_complete=risk_complete(merged["risk_answers"]),
        )
        if not missing:
            values["documented_at"] = now
    window_moved = any(
        name in values and values[name] != getattr(locked, name)
        for name in ("planned_start", "planned_end")
    ) or bool(m2m.keys() & M2M_FIELDS)
    updated = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=CHANGE_FIELDS,
        organisation=provider_org_id(),
        m2m=m2m,
    )
    if locked.status in COMMITTED and window_moved:
        override = conflict_override(
            actor=actor,
            change=updated,
            justification=justification,
            doing="keep it planned",
            now=now,
        )
        if override:
            updated = records.update_record(
                actor=actor,
                instance=updated,
                data=override,
                fields=CHANGE_FIELDS,
                organisation=provider_org_id(),
            )
    return updated


# --- moving through the statuses ----------------------------------------------------------------


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _skip_pending(change: Change, now: dt.datetime) -> None:
    ChangeApprovalStep.objects.filter(change=change, status=StepStatus.PENDING).update(
        status=StepStatus.SKIPPED, decided_at=now
    )


def _status_rules(
    actor: Any, change: Change, to: str, data: Mapping[str, Any], now: dt.datetime
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """What the move needs (else a ValidationError) and the fields it writes."""
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {"status": to}
    m2m: dict[str, list[int]] = {}
    if to == S.SUBMITTED:
        services = list(change.services.values_list("pk", flat=True))
        cis = list(change.configuration_items.values_list("pk", flat=True))
        if change.change_type == ChangeType.NORMAL:
            for name in documentation_missing(change):
                errors[name] = MISSING_MESSAGES[name]
        elif change.change_type == ChangeType.EMERGENCY:
            # Documented after the fact: what it touches and why it cannot wait is enough.
            if not services and not cis:
                errors["services"] = MISSING_MESSAGES["services"]
            if not change.reason.strip():
                errors["reason"] = "Say why the change cannot wait."
        values["submitted_at"] = now
        values["rejection_reason"] = ""
        m2m["organisations"] = list(affected_by(services, cis).customers)
    elif to in (S.DRAFT, S.REJECTED, S.CANCELLED):
        reason = _text(data, "reason")
        if not reason:
            errors["reason"] = {
                S.DRAFT: "Say why the change goes back to its requester.",
                S.REJECTED: "Say why the change is rejected.",
                S.CANCELLED: "Say why the change is cancelled.",
            }[to]
        if to == S.CANCELLED:
            values["closure_notes"] = reason
            values["closed_at"] = now
        else:
            values["rejection_reason"] = reason
            if to == S.REJECTED:
                values["closed_at"] = now
    elif to == S.APPROVED:
        values["approved_at"] = now
    elif to == S.SCHEDULED:
        if change.planned_start is None or change.planned_end is None:
            errors["planned_start"] = "Plan the change's window before scheduling it."
    elif to == S.IMPLEMENTING:
        start = parse_instant(data.get("actual_start"), "actual_start", errors) or now
        values["actual_start"] = start
    elif to in (S.IMPLEMENTED, S.FAILED):
        end = parse_instant(data.get("actual_end"), "actual_end", errors) or now
        if change.actual_start is not None and end < change.actual_start:
            errors["actual_end"] = "The change cannot end before it started."
        values["actual_end"] = end
        outcome = data.get("outcome") or ""
        notes = _text(data, "outcome_notes")
        if to == S.IMPLEMENTED:
            if outcome not in ("", Outcome.SUCCESSFUL):
                errors["outcome"] = "An implemented change was successful; otherwise it failed."
            values["outcome"] = Outcome.SUCCESSFUL
        else:
            if outcome not in (Outcome.FAILED, Outcome.BACKED_OUT):
                errors["outcome"] = "Say whether the change failed or was backed out."
            if not notes:
                errors["outcome_notes"] = "Describe what went wrong."
            values["outcome"] = outcome
        if "outcome_notes" in data:
            values["outcome_notes"] = notes
    elif to == S.CLOSED:
        if review_required(change) and change.pir_completed_at is None:
            errors["pir_summary"] = (
                "This change needs its post-implementation review before it is closed."
            )
        if change.change_type == ChangeType.EMERGENCY and change.documented_at is None:
            missing = ", ".join(missing_labels(documentation_missing(change)))
            errors["documented_at"] = (
                f"Complete the emergency change's record first (missing: {missing})."
            )
        if "closure_notes" in data:
            values["closure_notes"] = _text(data, "closure_notes")
        values["closed_at"] = now
    if errors:
        raise ValidationError(errors)
    return values, m2m


def apply_transition(
    *,
    actor: Any,
    locked: Change,
    to: str,
    data: Mapping[str, Any],
    version: int | None,
    now: dt.datetime,
    automatic: str = "",
) -> Change:
    """Write the move of the locked ``change`` (the caller has checked who may make it).

    ``automatic`` names why an approval needed no one (a template, the approval matrix); it is
    recorded in the audit trail beside the move.
    """
    from accord.changes.services import approvals

    values, m2m = _status_rules(actor, locked, to, data, now)
    steps: list[ChangeApprovalStep] = []
    if to == S.AWAITING_APPROVAL:
        steps, all_automatic = approvals.plan_steps(locked, now)
        if all_automatic:
            to = S.APPROVED
            values["status"] = S.APPROVED
            values["approved_at"] = now
            automatic = automatic or "Automatic approval: the approval matrix names no approver."
    if to == S.APPROVED and locked.change_type == ChangeType.EMERGENCY:
        values.update(emergency_documentation(locked, now))
    if to in (S.DRAFT, S.REJECTED, S.CANCELLED, S.AWAITING_APPROVAL, S.APPROVED):
        _skip_pending(locked, now)
    updated = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=CHANGE_FIELDS,
        expected_version=version,
        organisation=provider_org_id(),
        m2m=m2m,
        action=AuditAction.TRANSITION,
    )
    if steps:
        approvals.save_steps(updated, steps, now)
    if automatic:
        audit.record(
            actor=actor,
            action=AuditAction.TRANSITION,
            instance=updated,
            changes={"approval": [None, automatic]},
            organisation=provider_org_id(),
        )
    if to == S.SCHEDULED:
        override = conflict_override(
            actor=actor,
            change=updated,
            justification=_text(data, "override_justification"),
            doing="schedule it",
            now=now,
        )
        if override:
            updated = records.update_record(
                actor=actor,
                instance=updated,
                data=override,
                fields=CHANGE_FIELDS,
                organisation=provider_org_id(),
            )
    if to == S.APPROVED and updated.change_type != ChangeType.STANDARD:
        # A standard change's requester raised it pre-approved: there is nothing to tell.
        announce_decision(updated, approved=True, now=now)
    elif to == S.REJECTED:
        announce_decision(updated, approved=False, now=now)
    return updated


def emergency_documentation(change: Change, now: dt.datetime) -> dict[str, Any]:
    """The documentation deadline of an emergency change approved at ``now``, and its
    documented instant when its record is already complete."""
    values: dict[str, Any] = {
        "documentation_due_at": now + dt.timedelta(hours=settings.ACCORD_CHANGE_EMERGENCY_DOC_HOURS)
    }
    if change.documented_at is None and not documentation_missing(change):
        values["documented_at"] = now
    return values


def announce_decision(change: Change, *, approved: bool, now: dt.datetime) -> None:
    """Tell the requester and the owner that their change was approved or rejected."""
    from accord.notifications.choices import NotificationKind

    people = Person.objects.filter(
        pk__in={change.requester_id, change.owner_id or change.requester_id}, is_active=True
    )
    if approved:
        notify_people(
            change=change,
            key="approved",
            kind=NotificationKind.CHANGE_APPROVED,
            recipients=people,
            subject=f"{change.reference} approved: {change.title}",
            lines=[f"{change.reference} {change.title} is approved."],
            now=now,
        )
    else:
        notify_people(
            change=change,
            key="rejected",
            kind=NotificationKind.CHANGE_REJECTED,
            recipients=people,
            subject=f"{change.reference} rejected: {change.title}",
            lines=[
                f"{change.reference} {change.title} is rejected.",
                "",
                f"Reason: {change.rejection_reason}",
            ],
            now=now,
        )


@transaction.atomic
def change_transition(
    *,
    actor: Any,
    change: Change,
    to_status: str,
    data: Mapping[str, Any] | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Change:
    """Move ``change`` to ``to_status`` with what that move needs in ``data``:

    - submitted: the record is complete enough (services, window, plans for normal changes);
      the affected customers are computed from the impact analysis;
    - awaiting_approval: the approval steps are built from the matrix (automatic -> approved);
    - draft (returned) / cancelled / rejected: ``reason``;
    - scheduled: a planned window; new conflicts need ``override_justification``;
    - implementing: ``actual_start`` (default now);
    - implemented / failed: ``actual_end`` (default now), ``outcome`` (failed: failed or
      backed_out), ``outcome_notes``;
    - closed: review done where required, emergency documentation complete; ``closure_notes``.
    """
    now = now or timezone.now()
    data = dict(data or {})
    reject_unknown(data, TRANSITION_DATA)
    # Judge the move on the stored row, locked: two moves at once never both pass the rules.
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    possible = allowed_transitions(locked)
    if to_status not in possible:
        nexts = [S(s).label.lower() for s in possible]
        if to_status == S.APPROVED and locked.status in (S.ASSESSMENT, S.AWAITING_APPROVAL):
            message = "A change is approved by its approvers' decisions, not by a move."
        else:
            message = (
                f"A {locked.get_status_display().lower()} change cannot move to "
                f"{to_status!r}; it can move to: {', '.join(nexts) or 'nothing (it is final)'}."
            )
        raise ValidationError({"status": message})
    if to_status not in transitions_for(actor, locked):
        deny()
    automatic = ""
    if to_status == S.APPROVED:
        automatic = "Automatic approval: a standard change is pre-approved."
    return apply_transition(
        actor=actor,
        locked=locked,
        to=to_status,
        data=data,
        version=version,
        now=now,
        automatic=automatic,
    )


@transaction.atomic
def change_record_review(
    *,
    actor: Any,
    change: Change,
    summary: str,
    lessons: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Change:
    """Record the post-implementation review of an implemented or failed change.

    The change manager or the change's owner records it; a later review replaces the earlier
    one (the audit trail keeps both)."""
    now = now or timezone.now()
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    pk = person_pk(actor)
    owner = pk is not None and pk == (locked.owner_id or locked.requester_id) and may_raise(actor)
    if not (may_manage(actor) or owner):
        deny()
    if locked.status not in (S.IMPLEMENTED, S.FAILED, S.IN_REVIEW):
        raise ValidationError(
            {"status": "A change is reviewed after it was implemented or failed, before closing."}
        )
    errors: dict[str, str] = {}
    if not isinstance(summary, str) or not summary.strip():
        errors["pir_summary"] = "Summarise the review: did the change meet its objectives?"
    if lessons is not None and not isinstance(lessons, str):
        errors["pir_lessons"] = "Write text."
    if errors:
        raise ValidationError(errors)
    return records.update_record(
        actor=actor,
        instance=locked,
        data={
            "pir_summary": summary.strip(),
            "pir_lessons": (lessons or "").strip(),
            "pir_by": actor_or_none(actor),
            "pir_completed_at": now,
        },
        fields=CHANGE_FIELDS,
        organisation=provider_org_id(),
    )


def change_steps(change: Change) -> list[ChangeApprovalStep]:
    """The approval steps of the change's latest request for approval, with their decisions."""
    steps = list(
        ChangeApprovalStep.objects.filter(change=change)
        .prefetch_related("decisions__approver")
        .order_by("-round", "order", "pk")
    )
    if not steps:
        return []
    latest = steps[0].round
    return [s for s in steps if s.round == latest]
