"""The actions of the incident page: quick status moves, assign to me, replies and work notes,
files, and the major incident panel. Each validates its form and calls one service; the
service's refusals (rules, stale versions) come back on the form with status 400, and a role
the service refuses answers 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views import View

from accord.core.web import run_service, scoped_object
from accord.incidents import selectors, services
from accord.incidents.choices import IncidentStatus
from accord.incidents.forms import (
    AssignToMeForm,
    AttachmentForm,
    ChildLinkForm,
    CommentForm,
    MajorDeclareForm,
    ReasonForm,
    ReviewForm,
    TransitionForm,
)
from accord.incidents.models import Incident
from accord.incidents.views.page import (
    FORM_ACTIONS,
    STAFF,
    done,
    incident_managers,
    refused,
    writer_kind,
)

S = IncidentStatus


class IncidentActionView(LoginRequiredMixin, View):
    """POST one action on one incident the person may see (else 404)."""

    #: Which form of the page shows the refusal.
    form_name = "action"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = scoped_object(selectors.incidents_visible_to, request.user, pk=pk)
        form = self.get_form(incident)
        if form.is_valid():
            notice = run_service(form, self.perform(incident, form))
            if notice is not None:
                return done(request, incident.pk, notice)
        return refused(request, incident.pk, self.refusal_form_name(form), form)

    def get_form(self, incident: Incident) -> forms.Form:
        raise NotImplementedError

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        """The service call, returning the notice shown after it succeeded."""
        raise NotImplementedError

    def refusal_form_name(self, form: forms.Form | None = None) -> str:
        return self.form_name


class TransitionView(IncidentActionView):
    """Move the incident to another status (the quick action buttons)."""

    def get_form(self, incident: Incident) -> forms.Form:
        # Shown again in place when refused: the same ids as the empty form it replaces.
        return TransitionForm(self.request.POST, auto_id=f"{self.refusal_form_name()}_%s")

    def refusal_form_name(self, form: forms.Form | None = None) -> str:
        return FORM_ACTIONS.get(self.request.POST.get("to", ""), "action")

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        data = form.cleaned_data
        to = data["to"]
        explains = to in FORM_ACTIONS

        def call() -> str:
            moved = services.incident_transition(
                actor=self.request.user,
                incident=incident,
                to=to,
                expected_version=data["version"],
                resolution_code=(data["resolution_code"] or None) if to == S.RESOLVED else None,
                resolution_notes=(data["resolution_notes"] or "") if explains else None,
            )
            return f"{moved.reference} is now {moved.get_status_display().lower()}."

        return call


class AssignToMeView(IncidentActionView):
    def get_form(self, incident: Incident) -> forms.Form:
        return AssignToMeForm(self.request.POST)

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        def call() -> str:
            saved = services.incident_update(
                actor=self.request.user,
                incident=incident,
                data={"assignee": self.request.user},
                expected_version=form.cleaned_data["version"],
            )
            return f"{saved.reference} is assigned to you."

        return call


class CommentView(IncidentActionView):
    """A reply to the customer or a work note."""

    form_name = "comment"

    def get_form(self, incident: Incident) -> forms.Form:
        staff = writer_kind(self.request.user, incident) == STAFF
        return CommentForm(self.request.POST, staff=staff)

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        def call() -> str:
            comment = services.comment_add(
                actor=self.request.user,
                incident=incident,
                body=form.cleaned_data["body"],
                is_public=form.public,
            )
            return "Reply sent." if comment.is_public else "Work note added."

        return call


class AttachmentUploadView(IncidentActionView):
    form_name = "attachment"

    def get_form(self, incident: Incident) -> forms.Form:
        staff = writer_kind(self.request.user, incident) == STAFF
        return AttachmentForm(self.request.POST, self.request.FILES, staff=staff, auto_id="file_%s")

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        def call() -> str:
            attachment = services.attachment_add(
                actor=self.request.user,
                incident=incident,
                upload=form.cleaned_data["file"],
                is_public=form.public,
            )
            seen = "visible to the customer" if attachment.is_public else "internal"
            return f"{attachment.name} attached ({seen})."

        return call


# --- major incidents ----------------------------------------------------------------------------


class MajorProposeView(IncidentActionView):
    form_name = "propose"

    def get_form(self, incident: Incident) -> forms.Form:
        return ReasonForm(self.request.POST, auto_id="propose_%s")

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        def call() -> str:
            saved = services.major_propose(
                actor=self.request.user, incident=incident, reason=form.cleaned_data["reason"]
            )
            return f"{saved.reference} is proposed as a major incident."

        return call


class MajorDeclareView(IncidentActionView):
    form_name = "declare"

    def get_form(self, incident: Incident) -> forms.Form:
        return MajorDeclareForm(self.request.POST, owners=incident_managers(), auto_id="declare_%s")

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        def call() -> str:
            saved = services.major_declare(
                actor=self.request.user,
                incident=incident,
                owner=form.cleaned_data["major_owner"],
                expected_version=form.cleaned_data["version"],
            )
            return f"{saved.reference} is a major incident, owned by {saved.major_owner}."

        return call


class MajorRejectView(IncidentActionView):
    form_name = "reject"

    def get_form(self, incident: Incident) -> forms.Form:
        return ReasonForm(self.request.POST, auto_id="reject_%s")

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        def call() -> str:
            saved = services.major_reject(
                actor=self.request.user, incident=incident, reason=form.cleaned_data["reason"]
            )
            return f"{saved.reference} stays an ordinary incident."

        return call


class ReviewView(IncidentActionView):
    """Record or revise the post-incident review of a major incident."""

    form_name = "review"

    def get_form(self, incident: Incident) -> forms.Form:
        return ReviewForm(self.request.POST, auto_id="review_%s")

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        data = dict(form.cleaned_data)
        version = data.pop("version")

        def call() -> str:
            services.review_record(
                actor=self.request.user, incident=incident, data=data, expected_version=version
            )
            return f"Post-incident review of {incident.reference} saved."

        return call


class ChildLinkView(IncidentActionView):
    """Link another incident as a child of this one (e.g. the many reports of one outage)."""

    form_name = "child"

    def get_form(self, incident: Incident) -> forms.Form:
        return ChildLinkForm(self.request.POST, auto_id="child_%s")

    def perform(self, incident: Incident, form: Any) -> Callable[[], str]:
        reference = form.cleaned_data["reference"].strip()

        def call() -> str:
            child = (
                selectors.incidents_visible_to(self.request.user)
                .filter(reference__iexact=reference)
                .first()
            )
            if child is None:
                raise ValidationError(
                    {"reference": f"There is no incident {reference} you may see."}
                )
            services.child_link(actor=self.request.user, parent=incident, child=child)
            return f"{child.reference} is now a child of {incident.reference}."

        return call
