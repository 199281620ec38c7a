"""Approval of changes by the change authority the approval matrix names (any / all /
quorum), the emergency authority, and the override of conflicts with a justification.

When a change asks for approval, every active rule of the matrix that matches its type and
risk class becomes one step, with the people who could decide it at that moment (holders of a
role, or members of a team, never the requester: no one approves their own change). The change
is approved when every step is: ``any`` needs one approval, ``all`` every eligible person's,
``quorum`` that many. One rejection rejects the change. A change sent back and asked again
starts a new round; the steps of the earlier round that were still pending are skipped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from accord.changes.choices import (
    ApprovalMode,
    Authority,
    ChangeStatus,
    Decision,
    StepStatus,
)
from accord.changes.models import ApprovalRule, Change, ChangeApproval, ChangeApprovalStep
from accord.changes.services.changes import (
    CHANGE_FIELDS,
    conflict_override,
    emergency_documentation,
    notify_people,
    provider_org_id,
)
from accord.core import audit, records
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import Person, RoleAssignment

S = ChangeStatus
DEFAULT_STEP_LABEL = "Change managers"


def matching_rules(change: Change) -> list:
    """The active ApprovalRule rows for the change's type and risk class."""
    return list(
        ApprovalRule.objects.filter(
            active=True,
            change_type=change.change_type,
            risk_class__in={"", change.risk_class or ""},
        )
        .select_related("team")
        .order_by("order", "pk")
    )


def _holders(role: str, requester_id: int) -> list[int]:
    """Active people holding ``role`` everywhere or for the provider, but the requester."""
    return sorted(
        set(
            RoleAssignment.objects.filter(role=role, person__is_active=True)
            .filter(Q(organisation__isnull=True) | Q(organisation__kind=OrganisationKind.PROVIDER))
            .exclude(person_id=requester_id)
            .values_list("person_id", flat=True)
        )
    )


def _members(team: Any, requester_id: int) -> list[int]:
    return sorted(
        team.members.filter(is_active=True).exclude(pk=requester_id).values_list("pk", flat=True)
    )


def plan_steps(change: Change, now: dt.datetime) -> tuple[list[ChangeApprovalStep], bool]:
    """The unsaved steps of ``change``'s next request for approval, and whether every one is
    automatic (then the change is approved at once).

    No matching rule: one step for the change managers (any one), so nothing is approved by
    default. A step no one could decide (or whose quorum is larger than the people who could)
    is refused with a message naming it, since the change would wait for ever.
    """
    rules = matching_rules(change)
    last = ChangeApprovalStep.objects.filter(change=change).aggregate(n=Max("round"))["n"] or 0
    round_ = last + 1
    steps: list[ChangeApprovalStep] = []
    if not rules:
        steps.append(
            ChangeApprovalStep(
                change=change,
                order=0,
                label=DEFAULT_STEP_LABEL,
                authority=Authority.ROLE,
                role=Role.CHANGE_MANAGER,
                mode=ApprovalMode.ANY,
                eligible=_holders(Role.CHANGE_MANAGER, change.requester_id),
                round=round_,
            )
        )
    for i, rule in enumerate(rules):
        step = ChangeApprovalStep(
            change=change,
            rule=rule,
            order=i,
            label=rule.name,
            authority=rule.authority,
            role=rule.role,
            team=rule.team,
            mode=rule.mode,
            quorum=rule.quorum if rule.mode == ApprovalMode.QUORUM else None,
            round=round_,
        )
        if rule.authority == Authority.AUTOMATIC:
            step.status = StepStatus.APPROVED
            step.decided_at = now
        elif rule.authority == Authority.TEAM:
            step.eligible = _members(rule.team, change.requester_id)
        else:
            step.eligible = _holders(rule.role, change.requester_id)
        steps.append(step)
    problems = []
    for step in steps:
        if step.authority == Authority.AUTOMATIC:
            continue
        if not step.eligible:
            problems.append(f"no one but the requester can approve \u201c{step.label}\u201d")
        elif step.mode == ApprovalMode.QUORUM and (step.quorum or 1) > len(step.eligible):
            problems.append(
                f"\u201c{step.label}\u201d needs {step.quorum} approvals but only "
                f"{len(step.eligible)} people can give one"
            )
    if problems:
        raise ValidationError(
            {
                "status": f"{change.reference} cannot ask for approval: {'; '.join(problems)}. "
                "Ask an administrator to assign the approvers."
            }
        )
    all_automatic = bool(rules) and all(s.authority == Authority.AUTOMATIC for s in steps)
    return steps, all_automatic


def save_steps(change: Change, steps: list[ChangeApprovalStep], now: dt.datetime) -> None:
    """Store the planned steps and tell the people who may decide them."""
    from accord.notifications.choices import NotificationKind

    for step in steps:
        step.change = change
    ChangeApprovalStep.objects.bulk_create(steps)
    pending = [s for s in steps if s.status == StepStatus.PENDING]
    eligible = sorted({pk for s in pending for pk in s.eligible})
    if not eligible:
        return
    notify_people(
        change=change,
        key=f"approval_needed:{steps[0].round}",
        kind=NotificationKind.CHANGE_APPROVAL_NEEDED,
        recipients=Person.objects.filter(pk__in=eligible, is_active=True),
        subject=f"{change.reference} awaits your approval: {change.title}",
        lines=[
            f"{change.reference} {change.title} ({change.get_change_type_display().lower()} "
            f"change, risk {change.risk_class or 'not assessed'}) awaits approval.",
            *(f"- {s.label}" for s in pending),
        ],
        now=now,
    )


def eligible_people(step: ChangeApprovalStep) -> set[int]:
    """Person ids who may decide ``step`` (the snapshot taken when approval was asked)."""
    return {int(pk) for pk in step.eligible or []}


def _decided(step: ChangeApprovalStep) -> set[int]:
    """Who decided ``step`` (prefetched decisions when there are)."""
    return {d.approver_id for d in step.decisions.all()}


def pending_steps_for(actor: Any, change: Change) -> list[ChangeApprovalStep]:
    """The steps of ``change`` that ``actor`` may still decide (not the requester, not someone
    who has already decided that step)."""
    pk = getattr(actor, "pk", None) if actor is not None else None
    if (
        pk is None
        or not getattr(actor, "is_active", False)
        or pk == change.requester_id
        or change.status != S.AWAITING_APPROVAL
    ):
        return []
    steps = ChangeApprovalStep.objects.filter(
        change=change, status=StepStatus.PENDING
    ).prefetch_related("decisions")
    return [s for s in steps if pk in eligible_people(s) and pk not in _decided(s)]


def approval_queue(actor: Any) -> QuerySet[Change]:
    """Changes awaiting approval with a step ``actor`` may decide, soonest planned first."""
    pk = getattr(actor, "pk", None) if actor is not None else None
    if pk is None or not getattr(actor, "is_active", False):
        return Change.objects.none()
    # The eligible lists are JSON; SQLite has no containment lookup, so the (few) pending
    # steps are read and matched here, then the changes come in one query.
    decided = set(
        ChangeApproval.objects.filter(approver_id=pk, step__status=StepStatus.PENDING).values_list(
            "step_id", flat=True
        )
    )
    change_ids = {
        change_id
        for step_id, change_id, eligible in ChangeApprovalStep.objects.filter(
            status=StepStatus.PENDING, change__status=S.AWAITING_APPROVAL
        )
        .exclude(change__requester_id=pk)
        .values_list("pk", "change_id", "eligible")
        if step_id not in decided and pk in {int(p) for p in eligible or []}
    }
    return Change.objects.filter(pk__in=change_ids).order_by(
        F("planned_start").asc(nulls_last=True), "pk"
    )


def _satisfied(step: ChangeApprovalStep, approvers: set[int]) -> bool:
    if step.mode == ApprovalMode.ALL:
        return eligible_people(step) <= approvers
    if step.mode == ApprovalMode.QUORUM:
        return len(approvers) >= (step.quorum or 1)
    return len(approvers) >= 1


@transaction.atomic
def change_decide(
    *,
    actor: Any,
    change: Change,
    decision: str,
    reason: str = "",
    override_justification: str = "",
    now: dt.datetime | None = None,
) -> Change:
    """Record ``actor``'s approve/reject on their pending step(s) of ``change``.

    Reject needs a reason and rejects the change. Approving a change whose schedule conflicts
    (``accord.changes.selectors.schedule.conflicts_for``) needs ``override_justification``,
    recorded on the change with the conflicts at that moment. When every step is satisfied the
    change is approved (an emergency change then gets its documentation deadline).
    """
    from accord.changes.services.changes import announce_decision

    now = now or timezone.now()
    if actor is None or getattr(actor, "pk", None) is None:
        raise PermissionDenied("Only a person may approve or reject a change.")
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if decision not in Decision.values:
        raise ValidationError({"decision": "Choose approve or reject."})
    if locked.status != S.AWAITING_APPROVAL:
        raise ValidationError(
            {
                "decision": f"{locked.reference} is {locked.get_status_display().lower()}, "
                "not awaiting approval."
            }
        )
    if actor.pk == locked.requester_id:
        raise PermissionDenied("You requested this change; someone else must approve it.")
    steps = pending_steps_for(actor, locked)
    if not steps:
        if ChangeApproval.objects.filter(
            change=locked, approver=actor, step__status=StepStatus.PENDING
        ).exists():
            raise ValidationError({"decision": "You have already decided on this change."})
        raise PermissionDenied("No approval step of this change awaits your decision.")
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    org = provider_org_id()
    if decision == Decision.REJECT:
        if not reason:
            raise ValidationError({"reason": "Say why the change is rejected."})
        _record(actor, locked, steps, decision, reason, now)
        ChangeApprovalStep.objects.filter(pk__in=[s.pk for s in steps]).update(
            status=StepStatus.REJECTED, decided_at=now
        )
        ChangeApprovalStep.objects.filter(change=locked, status=StepStatus.PENDING).update(
            status=StepStatus.SKIPPED, decided_at=now
        )
        updated = records.update_record(
            actor=actor,
            instance=locked,
            data={"status": S.REJECTED, "rejection_reason": reason, "closed_at": now},
            fields=CHANGE_FIELDS,
            organisation=org,
            action=AuditAction.TRANSITION,
        )
        announce_decision(updated, approved=False, now=now)
        return updated

    values = conflict_override(
        actor=actor,
        change=locked,
        justification=override_justification,
        doing="approve it",
        now=now,
    )
    _record(actor, locked, steps, decision, reason, now)
    for step in steps:
        approvers = set(
            ChangeApproval.objects.filter(step=step, decision=Decision.APPROVE).values_list(
                "approver_id", flat=True
            )
        )
        if _satisfied(step, approvers):
            ChangeApprovalStep.objects.filter(pk=step.pk).update(
                status=StepStatus.APPROVED, decided_at=now
            )
    done = not ChangeApprovalStep.objects.filter(change=locked, status=StepStatus.PENDING).exists()
    if done:
        values.update(status=S.APPROVED, approved_at=now)
        if locked.change_type == "emergency":
            values.update(emergency_documentation(locked, now))
    if not values:
        return locked
    updated = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=CHANGE_FIELDS,
        organisation=org,
        action=AuditAction.TRANSITION if done else AuditAction.UPDATE,
    )
    if done:
        announce_decision(updated, approved=True, now=now)
    return updated


def _record(
    actor: Any,
    change: Change,
    steps: list[ChangeApprovalStep],
    decision: str,
    reason: str,
    now: dt.datetime,
) -> None:
    """Store and audit ``actor``'s decision on each of ``steps``."""
    ChangeApproval.objects.bulk_create(
        [
            ChangeApproval(
                change=change,
                step=step,
                approver=actor,
                decision=decision,
                reason=reason,
                decided_at=now,
            )
            for step in steps
        ]
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=change,
        changes={
            "decision": [
                None,
                {"decision": decision, "steps": [s.label for s in steps], "reason": reason},
            ]
        },
        organisation=provider_org_id(),
    )
