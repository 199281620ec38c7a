"""The actions of the request page: quick status moves, assign to me, the fulfilment checklist,
replies and work notes, and an approver's decision. Each validates its form and calls one
service; the service's refusals (rules, stale versions) come back on the form with status 400,
and a role the service refuses answers 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View

from accord.core.web import run_service, scoped_object
from accord.service_requests import selectors, services
from accord.service_requests.choices import TaskStatus
from accord.service_requests.forms import (
    CommentForm,
    DecisionForm,
    TaskAddForm,
    TaskAssignForm,
    TaskStatusForm,
    TransitionForm,
    VersionOnlyForm,
)
from accord.service_requests.models import ServiceRequest
from accord.service_requests.views.page import FORM_ACTIONS, STAFF, done, refused, writer_kind
from accord.service_requests.views.support import request_workers


class RequestActionView(LoginRequiredMixin, View):
    """POST one action on one request the person may see (else 404)."""

    #: Which form of the page shows the refusal.
    form_name = "action"

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        service_request = scoped_object(selectors.requests_visible_to, request.user, pk=pk)
        form = self.get_form(service_request)
        if form.is_valid():
            notice = run_service(form, self.perform(service_request, form))
            if notice is not None:
                return done(request, service_request.pk, notice)
        return refused(request, service_request.pk, self.refusal_form_name(), form)

    def get_form(self, service_request: ServiceRequest) -> forms.Form:
        raise NotImplementedError

    def perform(self, service_request: ServiceRequest, form: Any) -> Callable[[], str]:
        """The service call, returning the notice shown after it succeeded."""
        raise NotImplementedError

    def refusal_form_name(self) -> str:
        return self.form_name


class TransitionView(RequestActionView):
    """Move the request to another status (the quick action buttons)."""

    def get_form(self, service_request: ServiceRequest) -> forms.Form:
        # Shown again in place when refused: the same ids as the empty form it replaces.
        return TransitionForm(self.request.POST, auto_id=f"{self.refusal_form_name()}_%s")

    def refusal_form_name(self) -> str:
        return FORM_ACTIONS.get(self.request.POST.get("to", ""), "action")

    def perform(self, service_request: ServiceRequest, form: Any) -> Callable[[], str]:
        data = form.cleaned_data
        to = data["to"]

        def call() -> str:
            moved = services.request_transition(
                actor=self.request.user,
                request=service_request,
                to=to,
                expected_version=data["version"],
                fulfilment_notes=data["fulfilment_notes"] if to in FORM_ACTIONS else None,
            )
            return f"{moved.reference} is now {moved.get_status_display().lower()}."

        return call


class AssignToMeView(RequestActionView):
    def get_form(self, service_request: ServiceRequest) -> forms.Form:
        return VersionOnlyForm(self.request.POST)

    def perform(self, service_request: ServiceRequest, form: Any) -> Callable[[], str]:
        def call() -> str:
            saved = services.request_update(
                actor=self.request.user,
                request=service_request,
                data={"assignee": self.request.user},
                expected_version=form.cleaned_data["version"],
            )
            return f"{saved.reference} is assigned to you."

        return call


class CommentView(RequestActionView):
    """A reply to the requester or a work note."""

    form_name = "comment"

    def get_form(self, service_request: ServiceRequest) -> forms.Form:
        staff = writer_kind(self.request.user, service_request) == STAFF
        return CommentForm(self.request.POST, staff=staff)

    def perform(self, service_request: ServiceRequest, form: Any) -> Callable[[], str]:
        def call() -> str:
            comment = services.comment_add(
                actor=self.request.user,
                request=service_request,
                body=form.cleaned_data["body"],
                is_public=form.public,
            )
            return "Reply sent." if comment.is_public else "Work note added."

        return call


class DecisionView(RequestActionView):
    """An approver approves, or rejects with a reason, from the request page."""

    form_name = "decision"

    def get_form(self, service_request: ServiceRequest) -> forms.Form:
        return DecisionForm(self.request.POST, auto_id="decision_%s")

    def perform(self, service_request: ServiceRequest, form: Any) -> Callable[[], str]:
        return decide(self.request.user, service_request, form)


def decide(user: Any, service_request: ServiceRequest, form: DecisionForm) -> Callable[[], str]:
    """The approval service call shared by the request page and the approval queue."""

    def call() -> str:
        decided = services.approval_decide(
            actor=user,
            request=service_request,
            approve=form.approve,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
        verdict = "approved" if form.approve else "rejected"
        return f"{decided.reference} is {verdict}."

    return call


# --- the fulfilment checklist -------------------------------------------------------------------


class TaskAddView(RequestActionView):
    form_name = "task"

    def get_form(self, service_request: ServiceRequest) -> forms.Form:
        return TaskAddForm(self.request.POST, workers=request_workers(), auto_id="task_%s")

    def perform(self, service_request: ServiceRequest, form: Any) -> Callable[[], str]:
        def call() -> str:
            task = services.task_add(
                actor=self.request.user,
                request=service_request,
                title=form.cleaned_data["title"],
                assignee=form.cleaned_data["assignee"],
            )
            return f"Task added: {task.title}."

        return call


class TaskActionView(RequestActionView):
    """A change to one task of the request's checklist (404 for a task of another request)."""

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        service_request = scoped_object(selectors.requests_visible_to, request.user, pk=pk)
        self.task = get_object_or_404(selectors.tasks_of(service_request), pk=kwargs["task_pk"])
        self.task.request = service_request
        return super().post(request, pk, **kwargs)

    def refusal_form_name(self) -> str:
        return f"task-{self.task.pk}"

    def update(self, form: Any, data: dict[str, Any], notice: str) -> Callable[[], str]:
        def call() -> str:
            services.task_update(
                actor=self.request.user,
                task=self.task,
                data=data,
                expected_version=form.cleaned_data["version"],
            )
            return notice

        return call


class TaskStatusView(TaskActionView):
    def get_form(self, service_request: ServiceRequest) -> forms.Form:
        return TaskStatusForm(self.request.POST)

    def perform(self, service_request: ServiceRequest, form: Any) -> Callable[[], str]:
        status = form.cleaned_data["status"]
        said = {
            TaskStatus.DONE: "done",
            TaskStatus.SKIPPED: "not needed",
            TaskStatus.OPEN: "open again",
        }[status]
        return self.update(form, {"status": status}, f"{self.task.title}: {said}.")


class TaskAssignView(TaskActionView):
    def get_form(self, service_request: ServiceRequest) -> forms.Form:
        return TaskAssignForm(self.request.POST, workers=request_workers())

    def perform(self, service_request: ServiceRequest, form: Any) -> Callable[[], str]:
        assignee = form.cleaned_data["assignee"]
        who = str(assignee) if assignee is not None else "nobody"
        return self.update(form, {"assignee": assignee}, f"{self.task.title}: assigned to {who}.")
