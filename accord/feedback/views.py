"""Pages of feedback: the satisfaction results, the survey answer pages (from the mail link
without signing in, or signed in), and the complaint list, page, forms and actions.

Pages validate and call one service; a service's refusal comes back on the form with status
400, a page outside a person's role answers 403 and a record outside their scope 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from accord.core.choices import OrganisationKind
from accord.core.models import Person
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.roles import ROLE_CAPABILITIES
from accord.core.selectors import organisations_visible_to
from accord.core.web import RecordFormView, paginate, run_service, scoped_object
from accord.feedback import selectors, services
from accord.feedback.choices import ACTIONS, COMPLAINT_STATUS_COLOURS, ComplaintStatus, GroupBy
from accord.feedback.filters import ComplaintFilterSet
from accord.feedback.forms import (
    AssignForm,
    ComplaintForm,
    ResultsForm,
    SurveyAnswerForm,
    TransitionForm,
)
from accord.feedback.models import Complaint, Survey
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.selectors.service import services_visible_to

FORBIDDEN = "This page is not part of your role."
DEFAULT_PERIOD_DAYS = 30
#: Roles whose holders own complaints (the possible owners).
MANAGER_ROLES = sorted(
    str(role) for role, caps in ROLE_CAPABILITIES.items() if "complaints.manage" in caps
)


# --- satisfaction results -----------------------------------------------------------------------


def period(form: forms.Form) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime]:
    """The chosen dates (default: the last 30 days up to today, in the viewer's time zone) and
    the instants [start, end) they cover."""
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    end_day = data.get("end") or today
    start_day = data.get("start") or end_day - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(start_day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start_day, end_day, start, end


class ResultsView(LoginRequiredMixin, View):
    """``/feedback/``: satisfaction over a period, by service, by team and by customer."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not selectors.may_see_results(user):
            raise PermissionDenied(FORBIDDEN)
        form = ResultsForm(request.GET or None)
        if request.GET and not form.is_valid():
            return render(request, "feedback/results.html", {"form": form}, status=400)
        start_day, end_day, start, end = period(form)
        groups = [
            (label, selectors.survey_results(user, value, start, end))
            for value, label in (
                (GroupBy.SERVICE, "By service"),
                (GroupBy.TEAM, "By team"),
                (GroupBy.ORGANISATION, "By customer"),
            )
        ]
        return render(
            request,
            "feedback/results.html",
            {
                "form": form,
                "start_day": start_day,
                "end_day": end_day,
                "totals": selectors.survey_totals(user, start, end),
                "groups": groups,
            },
        )


# --- answering surveys --------------------------------------------------------------------------


def _answer_page(
    request: HttpRequest, survey: Survey, form: forms.Form | None, *, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    response = render(
        request,
        "feedback/survey_answer.html",
        {
            "survey": survey,
            "form": form if form is not None else SurveyAnswerForm(),
            "answered": survey.answered_at is not None,
            "expired": survey.answered_at is None and now >= survey.expires_at,
        },
        status=status,
    )
    # The token is in the address: no other site may learn it, no cache may keep the page.
    # (Not "no-referrer": browsers would then send the answer with "Origin: null", which the
    # CSRF protection rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def _answer(
    request: HttpRequest, survey: Survey, token: str | None
) -> tuple[Survey | None, forms.Form]:
    form = SurveyAnswerForm(request.POST)
    if not form.is_valid():
        return None, form
    actor = request.user if request.user.is_authenticated else None
    saved = run_service(
        form,
        lambda: services.survey_answer(
            actor=actor,
            survey=survey,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
            now=timezone.now(),
            token=token,
        ),
    )
    return saved, form


class SurveyTokenView(View):
    """``/feedback/surveys/<token>/``: the page the invitation mail links to. No sign-in: the
    token is the proof; an unknown token answers 404."""

    def get_survey(self, token: str) -> Survey:
        survey = services.survey_for_token(token)
        if survey is None:
            raise Http404("No such survey.")
        return survey

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        return _answer_page(request, self.get_survey(token), None)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        survey = self.get_survey(token)
        saved, form = _answer(request, survey, token)
        if saved is None:
            return _answer_page(request, survey, form, status=400)
        return _answer_page(request, saved, None)


class SurveyAnswerView(LoginRequiredMixin, View):
    """``/feedback/surveys/<pk>/answer/``: the same page for the signed-in respondent (the
    in-app notice links here, without a token)."""

    def get_survey(self, request: HttpRequest, pk: int) -> Survey:
        survey = scoped_object(selectors.surveys_visible_to, request.user, pk=pk)
        if survey.respondent_id != request.user.pk:
            raise PermissionDenied("Only the person who was asked may answer this survey.")
        return survey

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return _answer_page(request, self.get_survey(request, pk), None)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        survey = self.get_survey(request, pk)
        saved, form = _answer(request, survey, None)
        if saved is None:
            return _answer_page(request, survey, form, status=400)
        return _answer_page(request, saved, None)


# --- complaints ---------------------------------------------------------------------------------


def may_open_complaints(user: Any) -> bool:
    """Who has complaint pages at all: staff who see or own complaints, and customers."""
    if sees_all_organisations(user):
        return has_capability(user, "feedback.view") or has_capability(user, "complaints.manage")
    return user.organisation_id is not None and has_capability(
        user, "complaints.raise", user.organisation_id
    )


def complaint_owners() -> QuerySet[Person]:
    """Active provider people who own complaints: the possible owners."""
    return (
        Person.objects.filter(
            is_active=True,
            organisation__kind=OrganisationKind.PROVIDER,
            pk__in=Person.objects.filter(role_assignments__role__in=MANAGER_ROLES).values("pk"),
        )
        .select_related("organisation")
        .order_by("first_name", "last_name", "username")
    )


class ComplaintListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not may_open_complaints(user):
            raise PermissionDenied(FORBIDDEN)
        filterset = ComplaintFilterSet(
            request.GET or None, queryset=selectors.complaints_visible_to(user), request=request
        )
        if not sees_all_organisations(user):
            del filterset.form.fields["organisation"]
        rows = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        return render(
            request,
            "feedback/complaint_list.html",
            {
                "filter": filterset,
                "page": paginate(request, rows),
                "colours": COMPLAINT_STATUS_COLOURS,
                "may_raise": services.may_raise_complaints(user),
                "may_see_results": selectors.may_see_results(user),
            },
            status=400 if filterset.is_bound and not filterset.is_valid() else 200,
        )


def render_complaint(
    request: HttpRequest,
    complaint: Complaint,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    manager = services.is_complaint_manager(user)
    allowed = services.allowed_transitions(user, complaint)
    actions = [
        {"name": name, "to": to, "label": name.capitalize(), "needs_outcome": to == "resolved"}
        for name, to in ACTIONS.items()
        if to in allowed
    ]
    bound = bound or {}
    return render(
        request,
        "feedback/complaint_detail.html",
        {
            "complaint": complaint,
            "actions": actions,
            "transition_form": bound.get("transition"),
            "assign_form": bound.get("assign")
            or (
                AssignForm(
                    initial={"version": complaint.version, "owner": complaint.owner_id},
                    owners=complaint_owners(),
                )
                if manager and complaint.status not in ("closed", "withdrawn")
                else None
            ),
            "may_edit": (manager and complaint.status not in ("closed", "withdrawn"))
            or (services.is_raiser(user, complaint) and complaint.status == ComplaintStatus.NEW),
            "colours": COMPLAINT_STATUS_COLOURS,
        },
        status=status,
    )


class ComplaintDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        complaint = scoped_object(selectors.complaints_visible_to, request.user, pk=pk)
        return render_complaint(request, complaint)


class ComplaintTransitionView(LoginRequiredMixin, View):
    """Acknowledge, investigate, resolve (with outcome), close or withdraw."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        complaint = scoped_object(selectors.complaints_visible_to, request.user, pk=pk)
        form = TransitionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            to = data["to"]
            moved = run_service(
                form,
                lambda: services.complaint_transition(
                    actor=request.user,
                    complaint=complaint,
                    to=to,
                    outcome=data["outcome"] if to == ComplaintStatus.RESOLVED else None,
                    expected_version=data["version"],
                ),
            )
            if moved is not None:
                messages.success(
                    request, f"{moved.reference} is now {moved.get_status_display().lower()}."
                )
                return redirect("complaint-detail", pk=complaint.pk)
        fresh = scoped_object(selectors.complaints_visible_to, request.user, pk=pk)
        return render_complaint(request, fresh, bound={"transition": form}, status=400)


class ComplaintAssignView(LoginRequiredMixin, View):
    """Name the complaint's owner (complaint managers only)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        complaint = scoped_object(selectors.complaints_visible_to, request.user, pk=pk)
        if not services.is_complaint_manager(request.user):
            raise PermissionDenied("Only complaint managers assign complaints.")
        form = AssignForm(request.POST, owners=complaint_owners())
        if form.is_valid():
            saved = run_service(
                form,
                lambda: services.complaint_update(
                    actor=request.user,
                    complaint=complaint,
                    data={"owner": form.cleaned_data["owner"]},
                    expected_version=form.cleaned_data["version"],
                ),
            )
            if saved is not None:
                messages.success(request, f"{saved.reference} is owned by {saved.owner}.")
                return redirect("complaint-detail", pk=complaint.pk)
        fresh = scoped_object(selectors.complaints_visible_to, request.user, pk=pk)
        return render_complaint(request, fresh, bound={"assign": form}, status=400)


class ComplaintFormView(RecordFormView):
    """``/feedback/complaints/new/`` and ``/feedback/complaints/<pk>/edit/``."""

    form_class = ComplaintForm
    selector = staticmethod(selectors.complaints_visible_to)
    noun = "complaint"
    detail_url_name = "complaint-detail"
    list_url_name = "complaint-list"

    def get_object(self) -> Any:
        user = self.request.user
        complaint = super().get_object()
        self.manager = services.is_complaint_manager(user)
        if complaint is None:
            if not services.may_raise_complaints(user):
                raise PermissionDenied(FORBIDDEN)
        elif not self.manager and not services.is_raiser(user, complaint):
            raise PermissionDenied(FORBIDDEN)
        return complaint

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        choices: dict[str, QuerySet[Any]] = {
            "service": services_visible_to(user).filter(status=ServiceStatus.LIVE).order_by("name")
        }
        if self.manager and obj is None:
            choices["organisation"] = (
                organisations_visible_to(user)
                .filter(kind=OrganisationKind.CUSTOMER, is_active=True)
                .order_by("name")
            )
        return {"choices": choices}

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {}
        return {
            "version": obj.version,
            "title": obj.title,
            "description": obj.description,
            "service": obj.service_id,
            "ticket_reference": obj.ticket_reference,
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.complaint_raise(
            actor=self.request.user,
            organisation=data.pop("organisation", None),
            **data,
        )

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        data.pop("organisation", None)
        changed = {
            k: v
            for k, v in data.items()
            if getattr(v, "pk", v) != getattr(obj, Complaint._meta.get_field(k).attname)
        }
        return services.complaint_update(
            actor=self.request.user, complaint=obj, data=changed, expected_version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Raise a complaint"

    def success_message(self, result: Any) -> str:
        return f"Complaint {result.reference} saved."
