"""Requesting catalogue items, deciding approvals, fulfilling requests, with their clocks.

Each function checks who may do it, validates, writes, keeps the fulfilment clocks in step
through ``accord.agreements.clocks``, and audits, in one transaction. Every door (pages, API,
jobs) goes through here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accord.agreements import clocks
from accord.agreements.choices import AgreementKind, Metric
from accord.core import audit, records
from accord.core.choices import AuditAction, OrganisationKind, Priority
from accord.core.models import Person, Team
from accord.core.permissions import has_capability, require, sees_all_organisations
from accord.core.services import next_reference
from accord.feedback.services import survey_offer
from accord.portfolio.formschema import clean_answers, definition_errors
from accord.portfolio.models import CatalogueItem
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.service_requests import notifications, selectors
from accord.service_requests.choices import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    REQUEST_TRANSITIONS,
    REQUESTER_TRANSITIONS,
    ApprovalDecision,
    RequestStatus,
    TaskStatus,
)
from accord.service_requests.models import Approval, FulfilmentTask, ServiceRequest
from accord.tickets import services as tickets
from accord.tickets.models import Attachment, Comment

S = RequestStatus
REFERENCE_PREFIX = "REQ"
TICKET_METRICS = (Metric.FULFILMENT,)
# Fulfilment is measured against the customer's SLA and the fulfilling team's OLA.
CLOCK_KINDS = (AgreementKind.SLA, AgreementKind.OLA)

REQUEST_FIELDS = [
    "catalogue_item",
    "title",
    "description",
    "answers",
    "requester",
    "organisation",
    "service",
    "priority",
    "status",
    "fulfilment_team",
    "assignee",
    "fulfilment_notes",
    "approved_at",
    "fulfilled_at",
    "closed_at",
    "cancelled_at",
    "reopen_count",
]
STAFF_EDITABLE = frozenset(
    {"title", "description", "priority", "fulfilment_team", "assignee", "fulfilment_notes"}
)
REQUESTER_EDITABLE = frozenset({"description"})
TASK_FIELDS = ["title", "position", "assignee", "status", "completed_at", "completed_by"]


def approval_reminder_after() -> dt.timedelta:
    """How long an approval may wait before its approvers are reminded (once)."""
    return dt.timedelta(hours=float(getattr(settings, "ACCORD_APPROVAL_REMIND_HOURS", 24)))


# --- who may do what ----------------------------------------------------------------------------


def is_staff_for(actor: Person | None, organisation_id: Any = None) -> bool:
    """Whether ``actor`` fulfils requests: provider staff holding ``requests.work`` (and the
    system itself). A role held by someone outside the provider never makes them staff."""
    return actor is None or (
        sees_all_organisations(actor) and has_capability(actor, "requests.work", organisation_id)
    )


def is_requester_side(actor: Person | None, request: ServiceRequest) -> bool:
    """The requester (or who asked on their behalf), or their organisation's customer manager."""
    return actor is not None and (
        (
            actor.pk in (request.requester_id, request.created_by_id)
            and actor.organisation_id == request.organisation_id
        )
        or selectors.sees_organisation_requests(actor, request.organisation_id)
    )


def _require_writer(actor: Person | None, request: ServiceRequest) -> bool:
    """Staff (True) or the requester's side (False); anyone else is refused."""
    if is_staff_for(actor, request.organisation_id):
        return True
    if is_requester_side(actor, request):
        return False
    raise PermissionDenied("You do not have permission to do this.")


def allowed_transitions(actor: Person | None, request: ServiceRequest) -> list[str]:
    """The statuses ``actor`` may move the request to now."""
    if is_staff_for(actor, request.organisation_id):
        allowed = REQUEST_TRANSITIONS[request.status]
    elif is_requester_side(actor, request):
        allowed = REQUESTER_TRANSITIONS.get(request.status, frozenset())
    else:
        allowed = frozenset()
    return [s for s in S.values if s in allowed]


def may_decide(actor: Person | None, approval: Approval) -> bool:
    """Whether ``actor`` may approve or reject: they hold the approver role for the request's
    organisation, and they did not ask for it themselves (no one approves their own request)."""
    if actor is None or approval.decision != ApprovalDecision.PENDING:
        return False
    if approval.request.requester_id == actor.pk:
        return False
    return selectors.approvals_pending_for(actor).filter(pk=approval.pk).exists()


# --- create -------------------------------------------------------------------------------------


def _checked_requester(
    actor: Person | None, requester: Person | None, staff: bool
) -> tuple[Person, Any]:
    if not staff:
        assert actor is not None
        require(actor, "requests.raise", actor.organisation_id)
        requester = requester or actor
        if requester.organisation_id != actor.organisation_id:
            raise ValidationError(
                {"requester": "You may request items for people of your own organisation only."}
            )
    elif requester is None:
        if actor is None:
            raise ValidationError({"requester": "Name who the request is for."})
        requester = actor
    if not requester.is_active:
        raise ValidationError({"requester": f"{requester} can no longer sign in."})
    if requester.organisation_id is None:
        raise ValidationError({"requester": f"{requester} belongs to no organisation."})
    return requester, requester.organisation


def _checked_answers(item: CatalogueItem, answers: Any) -> dict[str, Any]:
    if definition_errors(item.form_schema):
        raise ValidationError(
            {
                "catalogue_item": "This item's request form is not valid; a catalogue manager "
                "must correct it before it can be requested."
            }
        )
    try:
        return clean_answers(item.form_schema, answers if answers is not None else {})
    except ValidationError as exc:
        raise ValidationError(
            {f"answers.{name}": messages for name, messages in exc.message_dict.items()}
        ) from exc


@transaction.atomic
def request_create(
    *,
    actor: Person | None,
    catalogue_item: CatalogueItem,
    answers: Mapping[str, Any] | None = None,
    requester: Person | None = None,
    title: str = "",
    description: str = "",
    priority: str | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Request a catalogue item with the answers to its form.

    The item must be offered to the requester's organisation. An item that needs approval waits
    for the approver the item names; its fulfilment clocks start now and pause while it waits,
    unless the agreement counts the approval time. The started clocks are left on
    ``request.started_clocks``.
    """
    now = now or timezone.now()
    staff = is_staff_for(actor)
    requester, organisation = _checked_requester(actor, requester, staff)
    if priority is not None and not staff:
        raise ValidationError({"priority": "The service desk sets the priority."})
    if priority is not None and priority not in Priority.values:
        raise ValidationError({"priority": f"'{priority}' is not a priority."})
    if not catalogue_items_visible_to(requester).filter(pk=catalogue_item.pk).exists():
        raise ValidationError(
            {"catalogue_item": f"This item is not offered to {organisation.name}."}
        )
    if not catalogue_item.is_active:
        raise ValidationError({"catalogue_item": "This item is no longer offered."})
    cleaned = _checked_answers(catalogue_item, answers)
    needs_approval = bool(catalogue_item.approval_required and catalogue_item.approver_role)
    request = ServiceRequest(
        reference=f"~{uuid.uuid4().hex[:15]}",
        catalogue_item=catalogue_item,
        title=((title or "").strip() or catalogue_item.name)[:200],
        description=description or "",
        answers=cleaned,
        form_snapshot=catalogue_item.form_schema,
        requester=requester,
        organisation=organisation,
        service_id=catalogue_item.service_id,
        priority=priority or Priority.P3,
        status=S.AWAITING_APPROVAL if needs_approval else S.SUBMITTED,
        fulfilment_team=catalogue_item.fulfilment_team,
        opened_at=now,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    records.create_record(
        actor=actor,
        instance=request,
        fields=REQUEST_FIELDS,
        organisation=organisation,
        references_checked=True,
        audit_now=False,
    )
    started = clocks.start_clocks(
        ticket=request,
        organisation_id=request.organisation_id,
        service_id=request.service_id,
        priority=request.priority,
        at=now,
        metrics=TICKET_METRICS,
        team_id=request.fulfilment_team_id,
        kinds=CLOCK_KINDS,
        now=now,
        new_ticket=True,
    )
    if needs_approval:
        clocks.wait(ticket=request, on=clocks.WAITING_ON_APPROVAL, at=now, now=now)
    request.started_clocks = started
    request.sla_due_at = clocks.earliest_due(started)
    request.sla_breached = any(c.breached for c in started)
    # The number is taken last: its counter row stays locked until the commit.
    request.reference = next_reference(REFERENCE_PREFIX)
    ServiceRequest.objects.filter(pk=request.pk).update(
        reference=request.reference,
        sla_due_at=request.sla_due_at,
        sla_breached=request.sla_breached,
    )
    records.audit_created(
        actor=actor, instance=request, fields=REQUEST_FIELDS, organisation=organisation
    )
    if needs_approval:
        approval = Approval.objects.create(
            request=request,
            organisation=organisation,
            approver_role=catalogue_item.approver_role,
            requested_at=now,
        )
        notifications.notify_approvers(approval, now=now, reminder=False)
    notifications.notify_request_created(request, now=now)
    return request


# --- SLA summary --------------------------------------------------------------------------------


def _store_sla_summary(request: ServiceRequest) -> None:
    refresh_sla_summaries([request.pk])
    request.refresh_from_db(fields=["sla_due_at", "sla_breached"])


def refresh_sla_summaries(request_ids: list[int]) -> None:
    """The bulk form of the summary, for jobs that changed the clocks of many requests."""
    clocks.refresh_summaries(ServiceRequest, request_ids)


# --- approvals ----------------------------------------------------------------------------------


@transaction.atomic
def approval_decide(
    *,
    actor: Person | None,
    request: ServiceRequest,
    approve: bool,
    reason: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Approve or reject a request waiting for approval. Only a holder of the approver role
    for the request's organisation may decide, never the requester; a rejection says why.
    Approval resumes the fulfilment clocks; rejection ends the request and cancels them."""
    now = now or timezone.now()
    locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    approval = (
        Approval.objects.select_for_update()
        .filter(request=locked, decision=ApprovalDecision.PENDING)
        .select_related("request")
        .first()
    )
    if approval is None or locked.status != S.AWAITING_APPROVAL:
        raise ValidationError(
            f"{locked.reference} is {locked.get_status_display().lower()}: "
            "there is no approval to decide."
        )
    if actor is not None and actor.pk == locked.requester_id:
        raise PermissionDenied("No one approves their own request.")
    if actor is not None and not may_decide(actor, approval):
        raise PermissionDenied(
            f"Only a {approval.get_approver_role_display().lower()} of "
            f"{locked.organisation.name} may decide this approval."
        )
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": "Say why the request is rejected."})
    before = audit.snapshot(approval, ["decision", "decided_by", "decided_at", "reason"])
    approval.decision = ApprovalDecision.APPROVED if approve else ApprovalDecision.REJECTED
    approval.decided_by = actor if actor is not None and actor.is_authenticated else None
    approval.decided_at = now
    approval.reason = reason
    approval.save(update_fields=["decision", "decided_by", "decided_at", "reason"])
    audit.record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=approval,
        changes=audit.diff(
            before, audit.snapshot(approval, ["decision", "decided_by", "decided_at", "reason"])
        ),
        organisation=locked.organisation_id,
        object_repr=f"Approval of {locked.reference}",
    )
    values: dict[str, Any] = (
        {"status": S.APPROVED, "approved_at": now}
        if approve
        else {"status": S.REJECTED, "closed_at": now}
    )
    saved = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=REQUEST_FIELDS,
        organisation=locked.organisation_id,
        action=AuditAction.TRANSITION,
    )
    if approve:
        clocks.wait(ticket=saved, on=None, at=now, now=now)
    else:
        clocks.cancel(ticket=saved, at=now, reason="request rejected")
    _store_sla_summary(saved)
    notifications.notify_decided(saved, approval, now=now)
    return saved


def approvals_remind(now: dt.datetime | None = None) -> int:
    """Remind the approvers of every approval waiting longer than the reminder delay, once per
    approval even when two jobs run at the same time (rows are claimed under lock, and the
    notices' event keys are unique). Returns how many approvals were reminded."""
    now = now or timezone.now()
    due = now - approval_reminder_after()
    reminded = 0
    with transaction.atomic():
        waiting = list(
            Approval.objects.select_for_update(skip_locked=True)
            .filter(
                decision=ApprovalDecision.PENDING,
                reminded_at__isnull=True,
                requested_at__lte=due,
            )
            .select_related("request__requester", "request__catalogue_item")
            .order_by("pk")[:500]
        )
        for approval in waiting:
            notifications.notify_approvers(approval, now=now, reminder=True)
            approval.reminded_at = now
            reminded += 1
        Approval.objects.bulk_update(waiting, ["reminded_at"])
    return reminded


# --- update and transitions ---------------------------------------------------------------------


def _refuse_transition(request: ServiceRequest, to: str, allowed: list[str]) -> None:
    if to not in S.values:
        raise ValidationError({"status": f"'{to}' is not a status of service requests."})
    if to in (S.APPROVED, S.REJECTED):
        raise ValidationError(
            {"status": "A request is approved or rejected by its approver's decision."}
        )
    names = ", ".join(allowed) if allowed else "none"
    raise ValidationError(
        {
            "status": f"A {request.get_status_display().lower()} request cannot become "
            f"{S(to).label.lower()}; allowed next: {names}."
        }
    )


def _apply_transition(
    *,
    actor: Person | None,
    locked: ServiceRequest,
    to: str,
    values: dict[str, Any],
    now: dt.datetime,
) -> list[str]:
    """Check a status change, set what it sets, and return the clock steps to follow."""
    allowed = allowed_transitions(actor, locked)
    if to not in allowed:
        _refuse_transition(locked, to, allowed)
    frm = locked.status
    steps: list[str] = []
    values["status"] = to
    if to == S.FULFILLED:
        open_tasks = list(
            FulfilmentTask.objects.filter(request=locked, status=TaskStatus.OPEN).values_list(
                "title", flat=True
            )
        )
        if open_tasks:
            raise ValidationError(
                {
                    "status": "Finish or mark as not needed every task first; open: "
                    + "; ".join(open_tasks)
                    + "."
                }
            )
        notes = (values.get("fulfilment_notes", locked.fulfilment_notes) or "").strip()
        if not notes:
            raise ValidationError({"fulfilment_notes": "Say what was delivered."})
        values["fulfilled_at"] = now
        steps.append("fulfil")
    elif to == S.CANCELLED:
        values["closed_at"] = values["cancelled_at"] = now
        steps.append("cancel")
    elif to == S.CLOSED:
        values["closed_at"] = now
    elif frm == S.FULFILLED and to == S.IN_FULFILMENT:
        values["reopen_count"] = locked.reopen_count + 1
        values["fulfilled_at"] = None
        steps.append("reopen")
    if to == S.PENDING_CUSTOMER:
        steps.append("wait:customer")
    elif frm == S.PENDING_CUSTOMER:
        steps.append("wait:none")
    return steps


@transaction.atomic
def request_update(
    *,
    actor: Person | None,
    request: ServiceRequest,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Change fields and, with ``status`` in ``data``, the status: one write, one version.

    A new priority re-targets the fulfilment clocks; another team moves the OLA clock to that
    team's agreement. Naming an assignee on a request nobody works yet starts its fulfilment.
    """
    now = now or timezone.now()
    staff = _require_writer(actor, request)
    editable = STAFF_EDITABLE if staff else REQUESTER_EDITABLE
    known = set(REQUEST_FIELDS) | {"reference"}
    unknown = sorted(set(data) - known - editable - {"status"})
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(unknown)}.")
    locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    data = {
        k: v for k, v in data.items() if k in editable or k == "status" or getattr(locked, k) != v
    }
    forbidden = sorted(set(data) - editable - {"status"})
    if forbidden:
        raise PermissionDenied(f"You may not change {', '.join(forbidden)} of this request.")
    values = dict(data)
    values.pop("status", None)
    changing = {k for k, v in values.items() if getattr(locked, k) != v}
    if changing and locked.status in FINAL_STATUSES:
        raise ValidationError(f"A {locked.get_status_display().lower()} request cannot be changed.")
    if "title" in values:
        values["title"] = (values["title"] or "").strip()
        if not values["title"]:
            raise ValidationError({"title": "Give the request a short title."})
    if "priority" in values and values["priority"] not in Priority.values:
        raise ValidationError({"priority": f"'{values['priority']}' is not a priority."})
    _check_team_and_assignee(values, locked)
    to = data.get("status")
    if (
        to is None
        and values.get("assignee") is not None
        and locked.status in (S.SUBMITTED, S.APPROVED)
    ):
        to = S.IN_FULFILMENT
    steps: list[str] = []
    if to is not None and to != locked.status:
        steps = _apply_transition(actor=actor, locked=locked, to=to, values=values, now=now)
    before = {"priority": locked.priority, "team": locked.fulfilment_team_id}
    locked_status = locked.status
    saved = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=REQUEST_FIELDS,
        expected_version=expected_version,
        organisation=locked.organisation_id,
        action=AuditAction.TRANSITION if steps or to else AuditAction.UPDATE,
    )
    _follow_with_clocks(saved, before, steps, now)
    if "cancel" in steps:
        Approval.objects.filter(request=saved, decision=ApprovalDecision.PENDING).update(
            decision=ApprovalDecision.WITHDRAWN, decided_at=now
        )
    notifications.notify_status_changed(saved, previous=locked_status, actor=actor, now=now)
    if "fulfil" in steps:
        # Each fulfilment asks the requester once how satisfied they are (clause 8.3.2).
        survey_offer(
            ticket=saved,
            ticket_reference=saved.reference,
            organisation=saved.organisation,
            service=saved.service,
            team=saved.fulfilment_team,
            respondent=saved.requester,
            round=saved.reopen_count + 1,
            link_for_ticket=notifications.portal_link(saved),
            now=now,
        )
    return saved


def _check_team_and_assignee(values: dict[str, Any], locked: ServiceRequest) -> None:
    """A team of the provider; an assignee who is active provider staff fulfilling requests."""
    team = values.get("fulfilment_team", locked.fulfilment_team)
    if (
        "fulfilment_team" in values
        and team is not None
        and (not isinstance(team, Team) or team.organisation.kind != OrganisationKind.PROVIDER)
    ):
        raise ValidationError({"fulfilment_team": "Choose a team of the service provider."})
    if "assignee" in values and values["assignee"] is not None:
        person = values["assignee"]
        if not person.is_active or not is_staff_for(person, locked.organisation_id):
            raise ValidationError(
                {"assignee": f"{person} does not fulfil requests (or can no longer sign in)."}
            )


def request_transition(
    *,
    actor: Person | None,
    request: ServiceRequest,
    to: str,
    expected_version: int | None = None,
    fulfilment_notes: str | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Move the request to ``to`` (quick actions and the API's ``status``)."""
    data: dict[str, Any] = {"status": to}
    if fulfilment_notes is not None:
        data["fulfilment_notes"] = fulfilment_notes
    return request_update(
        actor=actor, request=request, data=data, expected_version=expected_version, now=now
    )


def _follow_with_clocks(
    request: ServiceRequest, before: dict[str, Any], steps: list[str], now: dt.datetime
) -> None:
    """Bring the fulfilment clocks in line with what just changed on the request."""
    is_open = request.status in OPEN_STATUSES
    if "cancel" in steps:
        clocks.cancel(ticket=request, at=now, reason="request cancelled")
    if "reopen" in steps:
        clocks.reopen(ticket=request, metrics=TICKET_METRICS, at=now, now=now)
    start = {
        "ticket": request,
        "organisation_id": request.organisation_id,
        "service_id": request.service_id,
        "priority": request.priority,
        "at": now,
        "metrics": TICKET_METRICS,
        "team_id": request.fulfilment_team_id,
        "now": now,
    }
    if before["priority"] != request.priority:
        clocks.retarget(ticket=request, priority=request.priority, at=now, now=now)
        if is_open:
            clocks.start_clocks(**start, kinds=CLOCK_KINDS)
    if before["team"] != request.fulfilment_team_id:
        clocks.cancel(
            ticket=request, at=now, reason="fulfilled by another team", kinds=[AgreementKind.OLA]
        )
        if is_open:
            clocks.start_clocks(**start, kinds=[AgreementKind.OLA])
            if request.status == S.AWAITING_APPROVAL:
                clocks.wait(ticket=request, on=clocks.WAITING_ON_APPROVAL, at=now, now=now)
    for step in steps:
        if step == "wait:customer":
            clocks.wait(ticket=request, on=clocks.WAITING_ON_CUSTOMER, at=now, now=now)
        elif step == "wait:none":
            clocks.wait(ticket=request, on=None, at=now, now=now)
    if "fulfil" in steps:
        clocks.stop(ticket=request, metrics=TICKET_METRICS, at=now, now=now)
    _store_sla_summary(request)


# --- fulfilment tasks ---------------------------------------------------------------------------


def _require_staff(actor: Person | None, request: ServiceRequest) -> None:
    if not is_staff_for(actor, request.organisation_id):
        raise PermissionDenied("Only the fulfilling team works the task list.")


@transaction.atomic
def task_add(
    *,
    actor: Person | None,
    request: ServiceRequest,
    title: str,
    assignee: Person | None = None,
) -> FulfilmentTask:
    """Add a step to the request's checklist (at the end)."""
    _require_staff(actor, request)
    locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in OPEN_STATUSES:
        raise ValidationError(
            f"A {locked.get_status_display().lower()} request takes no more tasks."
        )
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Say what the task is."})
    if assignee is not None and not is_staff_for(assignee, locked.organisation_id):
        raise ValidationError({"assignee": f"{assignee} does not fulfil requests."})
    last = FulfilmentTask.objects.filter(request=locked).aggregate(m=Max("position"))["m"]
    task = FulfilmentTask(
        request=locked,
        organisation_id=locked.organisation_id,
        title=title[:200],
        position=(last or 0) + 1,
        assignee=assignee,
    )
    return records.create_record(
        actor=actor,
        instance=task,
        fields=TASK_FIELDS,
        organisation=locked.organisation_id,
        references_checked=True,
    )


@transaction.atomic
def task_update(
    *,
    actor: Person | None,
    task: FulfilmentTask,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> FulfilmentTask:
    """Rename, assign, complete, skip or reopen a task of an open request."""
    now = now or timezone.now()
    request = task.request
    _require_staff(actor, request)
    unknown = sorted(set(data) - {"title", "assignee", "status"})
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(unknown)}.")
    if request.status not in OPEN_STATUSES:
        raise ValidationError(
            f"The tasks of a {request.get_status_display().lower()} request cannot change."
        )
    values = dict(data)
    if "title" in values:
        values["title"] = (values["title"] or "").strip()[:200]
        if not values["title"]:
            raise ValidationError({"title": "Say what the task is."})
    assignee = values.get("assignee")
    if assignee is not None and not is_staff_for(assignee, request.organisation_id):
        raise ValidationError({"assignee": f"{assignee} does not fulfil requests."})
    status = values.get("status")
    if status is not None:
        if status not in TaskStatus.values:
            raise ValidationError({"status": f"'{status}' is not a task status."})
        done = status != TaskStatus.OPEN
        values["completed_at"] = now if done else None
        values["completed_by"] = actor if done and actor is not None else None
        if status == task.status:
            values.pop("completed_at")
            values.pop("completed_by")
    return records.update_record(
        actor=actor,
        instance=task,
        data=values,
        fields=TASK_FIELDS,
        expected_version=expected_version,
        organisation=request.organisation_id,
    )


# --- comments and attachments -------------------------------------------------------------------


@transaction.atomic
def comment_add(
    *,
    actor: Person | None,
    request: ServiceRequest,
    body: str,
    is_public: bool = True,
    now: dt.datetime | None = None,
) -> Comment:
    """A reply or a work note. A requester's reply to a request waiting on them puts it back in
    fulfilment (and its clock counts again)."""
    now = now or timezone.now()
    staff = _require_writer(actor, request)
    if not staff and not is_public:
        raise PermissionDenied("Customers write replies, not internal work notes.")
    locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status in FINAL_STATUSES:
        raise ValidationError(
            f"A {locked.get_status_display().lower()} request takes no more comments."
        )
    comment = tickets.add_comment(
        actor=actor,
        ticket=locked,
        organisation_id=locked.organisation_id,
        body=body,
        is_public=is_public,
        by_provider=staff,
        at=now,
    )
    if not staff and locked.status == S.PENDING_CUSTOMER:
        request_update(actor=None, request=locked, data={"status": S.IN_FULFILMENT}, now=now)
    notifications.notify_public_reply(locked, comment, now=now)
    return comment


@transaction.atomic
def attachment_add(
    *, actor: Person | None, request: ServiceRequest, upload: Any, is_public: bool = True
) -> Attachment:
    """Attach a file (size and type checked); customers' files are always visible to them."""
    staff = _require_writer(actor, request)
    if request.status in FINAL_STATUSES:
        raise ValidationError(
            f"A {request.get_status_display().lower()} request takes no more attachments."
        )
    return tickets.add_attachment(
        actor=actor,
        ticket=request,
        organisation_id=request.organisation_id,
        upload=upload,
        is_public=is_public or not staff,
    )
