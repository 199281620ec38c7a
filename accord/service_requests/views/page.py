"""The request page: what it shows to whom, and which actions it offers.

Every action on the page (quick actions, the checklist, replies, an approver's decision) posts
to its own URL and answers with this page again: the whole page after a plain form post, or
only the ``#request`` part for htmx. A refused action comes back with status 400 and its form
bound, so what was typed is not lost and the reason sits next to it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accord.core.choices import PRIORITY_COLOURS
from accord.core.web import scoped_object
from accord.incidents.views.sla import clock_views, most_urgent
from accord.service_requests import selectors, services
from accord.service_requests.choices import (
    FINAL_STATUSES,
    REQUEST_STATUS_COLOURS,
    ApprovalDecision,
    RequestStatus,
    TaskStatus,
)
from accord.service_requests.forms import (
    CommentForm,
    DecisionForm,
    TaskAddForm,
    TransitionForm,
)
from accord.service_requests.models import ServiceRequest
from accord.service_requests.views.support import answer_rows, request_workers

S = RequestStatus
STAFF, REQUESTER = "staff", "requester"

#: Quick actions that need more than a click: their forms open in place.
FORM_ACTIONS = {S.FULFILLED: "fulfil"}
DECISION_COLOURS = {
    ApprovalDecision.PENDING: "amber",
    ApprovalDecision.APPROVED: "green",
    ApprovalDecision.REJECTED: "red",
    ApprovalDecision.WITHDRAWN: "grey",
}


def writer_kind(user: Any, request: ServiceRequest) -> str | None:
    """Who ``user`` is towards ``request`` when changing it: the provider's staff fulfilling
    it, the requester's side, or nobody (auditors and other oversight roles read)."""
    if services.is_staff_for(user, request.organisation_id):
        return STAFF
    if services.is_requester_side(user, request):
        return REQUESTER
    return None


def action_label(current: str, to: str) -> str:
    """The button of a quick action, in the words of the person pressing it."""
    if to == S.IN_FULFILMENT:
        if current == S.FULFILLED:
            return "Reopen"
        return "Resume fulfilment" if current == S.PENDING_CUSTOMER else "Start fulfilment"
    return {
        S.PENDING_CUSTOMER: "Pending customer",
        S.FULFILLED: "Fulfil",
        S.CLOSED: "Close",
        S.CANCELLED: "Cancel request",
    }.get(to, S(to).label)


def _errors_of(form: forms.Form | None) -> list[str]:
    """Every message of a form whose fields are not shown (a one-button action)."""
    if form is None:
        return []
    return [str(message) for errors in form.errors.values() for message in errors]


def _task_rows(request: ServiceRequest, bound: dict[str, forms.Form]) -> list[dict[str, Any]]:
    rows = []
    for task in selectors.tasks_of(request):
        rows.append(
            {
                "task": task,
                "done": task.status != TaskStatus.OPEN,
                "colour": {"open": "blue", "done": "green", "skipped": "grey"}[task.status],
                "errors": _errors_of(bound.get(f"task-{task.pk}")),
            }
        )
    return rows


def request_context(
    request: HttpRequest,
    service_request: ServiceRequest,
    *,
    bound: dict[str, forms.Form] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """Everything the request page shows ``request.user``, with the refused form (if any)
    bound in place of its empty one."""
    user = request.user
    now = timezone.now()
    sr = service_request
    internal = selectors.sees_internal(user)
    writer = writer_kind(user, sr)
    staff = writer == STAFF
    final = sr.status in FINAL_STATUSES
    bound = bound or {}
    workers = request_workers() if staff and sr.is_open else None
    page_forms: dict[str, Any] = {
        "comment": CommentForm(staff=staff),
        "fulfil": TransitionForm(auto_id="fulfil_%s"),
        "decision": DecisionForm(auto_id="decision_%s"),
        "task": TaskAddForm(workers=workers, auto_id="task_%s") if workers is not None else None,
    }
    page_forms.update({k: v for k, v in bound.items() if k in page_forms})

    allowed = services.allowed_transitions(user, sr) if writer else []
    actions = [
        {"to": to, "label": action_label(sr.status, to), "form": FORM_ACTIONS.get(to)}
        for to in allowed
    ]
    approvals = list(selectors.approvals_of(sr))
    for approval in approvals:
        approval.colour = DECISION_COLOURS.get(approval.decision, "grey")
        approval.request = sr
    pending = next((a for a in approvals if a.decision == ApprovalDecision.PENDING), None)
    can_decide = pending is not None and services.may_decide(user, pending)
    # A refusal whose form is no longer offered (someone else decided, the request moved on)
    # is still said, at the top with the quick actions.
    offered = {
        "comment": writer is not None and not final,
        "fulfil": any(a["form"] == "fulfil" for a in actions),
        "decision": can_decide,
        "task": staff and sr.is_open,
    }
    action_errors = _errors_of(bound.get("action"))
    for name, form in bound.items():
        if name in offered and not offered[name]:
            action_errors += _errors_of(form)
    clocks = clock_views(
        selectors.clock_readings(sr, now), internal=internal, keep_cancelled=internal
    )
    return {
        "object": sr,
        "sr": sr,
        "status_colour": REQUEST_STATUS_COLOURS.get(sr.status, "grey"),
        "priority_colour": PRIORITY_COLOURS.get(sr.priority, "grey"),
        "internal": internal,
        "writer": writer,
        "is_staff_writer": staff,
        "can_edit": writer is not None and not final,
        "can_comment": writer is not None and not final,
        "actions": actions,
        "can_assign_me": staff and sr.is_open and sr.assignee_id != user.pk,
        "action_errors": action_errors,
        "answers": answer_rows(sr),
        "approvals": approvals,
        "pending_approval": pending,
        "can_decide": can_decide,
        "clocks": clocks,
        "clock_summary": most_urgent(clocks),
        # The checklist is the provider's own work: its staff see it, customers do not.
        "tasks": _task_rows(sr, bound) if internal else [],
        "can_work_tasks": staff and sr.is_open,
        "workers": list(workers) if workers is not None else [],
        "timeline": list(selectors.comments_visible_to(user, sr).order_by("created_at", "pk")),
        "forms": page_forms,
        "notice": notice,
    }


def fresh(request: HttpRequest, pk: int) -> ServiceRequest:
    """The request as stored now (after a change, or after a refusal that may have been
    caused by someone else's change)."""
    return scoped_object(selectors.requests_visible_to, request.user, pk=pk)


def render_request(
    request: HttpRequest,
    service_request: ServiceRequest,
    *,
    bound: dict[str, forms.Form] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """The request page, or only its ``#request`` part for htmx."""
    context = request_context(request, service_request, bound=bound, notice=notice)
    htmx = getattr(request, "htmx", False)
    template = "service_requests/_request.html" if htmx else "service_requests/request_detail.html"
    return render(request, template, context, status=status)


def done(request: HttpRequest, pk: int, notice: str) -> HttpResponse:
    """After a change: the updated part for htmx; otherwise back to the page (so a reload
    does not post again) with the notice as a message. A change that took the request out of
    the person's sight (an approver's decision) lands on their approval queue."""
    visible = selectors.requests_visible_to(request.user).filter(pk=pk).first()
    if visible is None:
        messages.success(request, notice)
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = "/approvals/"
            return response
        return redirect("approval-queue")
    if getattr(request, "htmx", False):
        return render_request(request, visible, notice=notice)
    messages.success(request, notice)
    return redirect("request-detail", pk=pk)


def refused(request: HttpRequest, pk: int, name: str, form: forms.Form) -> HttpResponse:
    """A refused action: the page as it is now, with the form and its errors (400)."""
    return render_request(request, fresh(request, pk), bound={name: form}, status=400)
