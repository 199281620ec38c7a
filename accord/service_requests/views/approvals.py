"""The approver's queue: every pending approval the person may decide, oldest first, with what
was asked and the answers, and approve / reject-with-reason in place.

Anyone signed in may open it: for people who approve nothing it is simply empty. A decision
goes through ``services.approval_decide`` like one taken on the request page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from accord.core.web import run_service, scoped_object
from accord.service_requests import selectors
from accord.service_requests.forms import DecisionForm
from accord.service_requests.views.actions import decide
from accord.service_requests.views.support import answer_rows

#: Most approvals shown at once; an approver with more works the oldest first.
QUEUE_LIMIT = 200


def queue_context(
    request: HttpRequest, *, bound: dict[int, forms.Form] | None = None, notice: str = ""
) -> dict[str, Any]:
    """The pending approvals of ``request.user``, each with its decision form (the refused one
    bound in place)."""
    bound = bound or {}
    approvals = list(selectors.approvals_pending_for(request.user)[: QUEUE_LIMIT + 1])
    more = len(approvals) > QUEUE_LIMIT
    rows = []
    for approval in approvals[:QUEUE_LIMIT]:
        sr = approval.request
        rows.append(
            {
                "approval": approval,
                "sr": sr,
                "answers": answer_rows(sr),
                "form": bound.get(sr.pk) or DecisionForm(auto_id=f"approval{sr.pk}_%s"),
            }
        )
    return {"rows": rows, "more": more, "limit": QUEUE_LIMIT, "notice": notice}


def render_queue(
    request: HttpRequest,
    *,
    bound: dict[int, forms.Form] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """The queue page, or only its ``#approvals`` part for htmx."""
    htmx = getattr(request, "htmx", False)
    template = "service_requests/_approvals.html" if htmx else "service_requests/approvals.html"
    return render(
        request, template, queue_context(request, bound=bound, notice=notice), status=status
    )


class ApprovalQueueView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render_queue(request)


class QueueDecisionView(LoginRequiredMixin, View):
    """Approve or reject one request from the queue; the answer is the queue again."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service_request = scoped_object(selectors.requests_visible_to, request.user, pk=pk)
        form = DecisionForm(request.POST, auto_id=f"approval{service_request.pk}_%s")
        if form.is_valid():
            notice = run_service(form, decide(request.user, service_request, form))
            if notice is not None:
                if getattr(request, "htmx", False):
                    return render_queue(request, notice=notice)
                messages.success(request, notice)
                return redirect("approval-queue")
        return render_queue(request, bound={service_request.pk: form}, status=400)
