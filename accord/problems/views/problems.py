"""Pages of problems: the list with its filters, the problem's page (analysis, workaround,
linked incidents, status moves, timestamps), the raise and edit forms, the analysis editor,
and the posts that move a problem and link or unlink incidents.

Every page is scoped by ``problems_visible_to``; writes go through
:mod:`accord.problems.services.problems`. A page outside a person's role answers 403, a
problem they may not see 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views import View

from accord.core.choices import OrganisationKind
from accord.core.models import Organisation, Team
from accord.core.selectors import provider_staff
from accord.core.web import (
    CapabilityRequiredMixin,
    RecordFormView,
    paginate,
    run_service,
    scoped_object,
)
from accord.incidents.selectors import categories_visible_to, incidents_visible_to
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.problems.filters import ProblemFilterSet
from accord.problems.problems_forms import (
    AnalysisForm,
    LinkIncidentsForm,
    ProblemForm,
    ProblemTransitionForm,
    analysis_initial,
    problem_initial,
    problem_managers,
)
from accord.problems.selectors.problems import (
    incident_counts,
    incidents_of,
    problems_visible_to,
)
from accord.problems.services import problems as services

FORBIDDEN = "This page is not part of your role."
CAPABILITY = "problems.view"


class ProblemListView(CapabilityRequiredMixin, View):
    """``/problems/``: every problem, filtered by status, service, CI, category, priority,
    manager, assignee, known error and text."""

    capability = CAPABILITY

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = ProblemFilterSet(
            request.GET or None, queryset=problems_visible_to(request.user), request=request
        )
        invalid = filterset.is_bound and not filterset.is_valid()
        rows = filterset.queryset if invalid or not filterset.is_bound else filterset.qs
        page = paginate(request, rows)
        return render(
            request,
            "problems/list.html",
            {
                "filter": filterset,
                "page": page,
                "problems": page.object_list,
                "now": timezone.now(),
                "may_raise": services.may_raise(request.user),
            },
            status=400 if invalid else 200,
        )


def render_problem(
    request: HttpRequest,
    problem: Any,
    *,
    transition_form: forms.Form | None = None,
    link_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The problem's page, with a refused form's errors when one came back."""
    user = request.user
    allowed = services.allowed_transitions(user, problem)
    return render(
        request,
        "problems/detail.html",
        {
            "problem": problem,
            "links": incidents_of(problem),
            "counts": incident_counts(problem),
            "transition_form": transition_form
            or (
                ProblemTransitionForm(allowed=allowed, initial={"version": problem.version})
                if allowed
                else None
            ),
            "link_form": link_form or (LinkIncidentsForm() if services.may_raise(user) else None),
            "may_raise": services.may_raise(user) and problem.status != "closed",
            "may_edit": services.may_edit(user, problem),
            "is_manager": services.may_manage(user),
            "timestamps": [
                ("Opened", problem.opened_at),
                ("Investigation started", problem.investigation_started_at),
                ("Known error since", problem.known_error_at),
                ("Awaiting change since", problem.awaiting_change_at),
                ("Resolved", problem.resolved_at),
                ("Closed", problem.closed_at),
            ],
        },
        status=status,
    )


class ProblemDetailView(CapabilityRequiredMixin, View):
    capability = CAPABILITY

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_problem(request, scoped_object(problems_visible_to, request.user, pk=pk))


class ProblemTransitionView(CapabilityRequiredMixin, View):
    """Move a problem to another status, with what the move needs."""

    capability = CAPABILITY

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        problem = scoped_object(problems_visible_to, request.user, pk=pk)
        allowed = services.allowed_transitions(request.user, problem)
        if not allowed:
            raise PermissionDenied(FORBIDDEN)
        form = ProblemTransitionForm(request.POST, allowed=allowed)
        if form.is_valid():
            moved = run_service(
                form,
                lambda: services.problem_transition(
                    actor=request.user,
                    problem=problem,
                    to=form.cleaned_data["to"],
                    data=form.data_to_write(),
                    expected_version=form.cleaned_data["version"],
                ),
            )
            if moved is not None:
                messages.success(
                    request, f"{moved.reference} saved: it is now {moved.get_status_display()}."
                )
                return redirect("problem-detail", pk=problem.pk)
        fresh = scoped_object(problems_visible_to, request.user, pk=pk)
        return render_problem(request, fresh, transition_form=form, status=400)


class ProblemLinkView(CapabilityRequiredMixin, View):
    """Link incidents by reference."""

    capability = "problems.raise"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        problem = scoped_object(problems_visible_to, request.user, pk=pk)
        if not services.may_raise(request.user):
            raise PermissionDenied(FORBIDDEN)
        form = LinkIncidentsForm(request.POST, incidents=incidents_visible_to(request.user))
        if form.is_valid():
            linked = run_service(
                form,
                lambda: services.problem_link_incidents(
                    actor=request.user, problem=problem, incidents=form.cleaned_data["references"]
                ),
            )
            if linked is not None:
                messages.success(request, f"{problem.reference} saved: incidents linked.")
                return redirect("problem-detail", pk=problem.pk)
        return render_problem(request, problem, link_form=form, status=400)


class ProblemUnlinkView(CapabilityRequiredMixin, View):
    """Unlink one incident (linked by mistake)."""

    capability = "problems.raise"

    def post(self, request: HttpRequest, pk: int, incident_pk: int) -> HttpResponse:
        problem = scoped_object(problems_visible_to, request.user, pk=pk)
        if not services.may_raise(request.user):
            raise PermissionDenied(FORBIDDEN)
        form = LinkIncidentsForm()
        done = run_service(
            form,
            lambda: (
                services.problem_unlink_incident(
                    actor=request.user, problem=problem, incident=incident_pk
                )
                or True
            ),
        )
        if done:
            messages.success(request, f"{problem.reference} saved: incident unlinked.")
            return redirect("problem-detail", pk=problem.pk)
        messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
        return redirect("problem-detail", pk=problem.pk)


class ProblemFormView(RecordFormView):
    """``/problems/new/`` (those who raise problems; ``?incident=<id>`` starts from an
    incident) and ``/problems/<pk>/edit/`` (the problem manager; the assignee for the
    description and workaround)."""

    capability = CAPABILITY
    form_class = ProblemForm
    selector = staticmethod(problems_visible_to)
    noun = "problem"
    detail_url_name = "problem-detail"
    list_url_name = "problem-list"

    def get_object(self) -> Any:
        problem = super().get_object()
        user = self.request.user
        allowed = services.may_raise(user) if problem is None else services.may_edit(user, problem)
        if not allowed:
            raise PermissionDenied(FORBIDDEN)
        return problem

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            "creating": obj is None,
            "assignee_only": obj is not None and not services.may_manage(user),
            "querysets": {
                "incident": incidents_visible_to(user),
                "service": services_visible_to(user).order_by("name"),
                "configuration_items": cis_visible_to(user).order_by("name"),
                "organisations": Organisation.objects.exclude(
                    kind=OrganisationKind.SUPPLIER
                ).order_by("name"),
                "category": categories_visible_to(user).filter(is_active=True).order_by("name"),
                "problem_manager": problem_managers(),
                "team": Team.objects.filter(
                    organisation__kind=OrganisationKind.PROVIDER, is_active=True
                ).order_by("name"),
                "assignee": provider_staff(),
            },
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return problem_initial(obj)
        initial: dict[str, Any] = {}
        incident_id = self.request.GET.get("incident", "")
        if incident_id.isdigit() and len(incident_id) < 19:
            incident = incidents_visible_to(self.request.user).filter(pk=incident_id).first()
            if incident is not None:
                initial.update(
                    incident=incident.pk,
                    title=incident.title,
                    description=f"Raised from {incident.reference}.",
                    service=incident.service_id,
                    category=incident.category_id,
                    impact=incident.impact,
                    urgency=incident.urgency,
                )
        return initial

    def create(self, data: dict[str, Any]) -> Any:
        incident = data.pop("incident", None)
        return services.problem_create(
            actor=self.request.user, incidents=[incident] if incident else [], **data
        )

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        stored = problem_initial(obj)

        def plain(value: Any) -> Any:
            if hasattr(value, "all") or isinstance(value, list | tuple):
                return sorted(getattr(v, "pk", v) for v in value)
            return getattr(value, "pk", value)

        changed = {
            name: value
            for name, value in data.items()
            if plain(value) != plain(stored.get(name))
            and not (value in ("", None) and stored.get(name) in ("", None))
        }
        for name in ("cause_category", "resolution"):
            if name in changed and changed[name] is None:
                changed[name] = ""
        return services.problem_update(
            actor=self.request.user, problem=obj, data=changed, expected_version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Raise a problem"

    def success_message(self, result: Any) -> str:
        return f"Problem {result.reference} saved."


class ProblemAnalysisView(CapabilityRequiredMixin, View):
    """``/problems/<pk>/analysis/``: the five whys as rows, or the cause tree as an outline."""

    capability = CAPABILITY

    def allowed(self, request: HttpRequest, pk: int) -> Any:
        problem = scoped_object(problems_visible_to, request.user, pk=pk)
        if "analysis" not in services.editable_fields(request.user, problem):
            raise PermissionDenied(FORBIDDEN)
        return problem

    def render_form(
        self, request: HttpRequest, problem: Any, form: AnalysisForm, status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            "problems/analysis.html",
            {"problem": problem, "form": form, "whys": form.why_rows()},
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        problem = self.allowed(request, pk)
        return self.render_form(request, problem, AnalysisForm(initial=analysis_initial(problem)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        problem = self.allowed(request, pk)
        form = AnalysisForm(request.POST)
        if form.is_valid():
            saved = run_service(
                form,
                lambda: services.problem_update(
                    actor=request.user,
                    problem=problem,
                    data={
                        "analysis": form.cleaned_data["analysis"],
                        "analysis_method": form.cleaned_data["method"] or "",
                    },
                    expected_version=form.cleaned_data["version"],
                ),
            )
            if saved is not None:
                messages.success(request, f"{saved.reference} saved: analysis recorded.")
                return redirect("problem-detail", pk=problem.pk)
        if getattr(form, "stale_version", None) is not None:
            problem = scoped_object(problems_visible_to, request.user, pk=pk)
        return self.render_form(request, problem, form, status=400)


urlpatterns: list[URLPattern] = [
    path("problems/", ProblemListView.as_view(), name="problem-list"),
    path("problems/new/", ProblemFormView.as_view(), name="problem-create"),
    path("problems/<int:pk>/", ProblemDetailView.as_view(), name="problem-detail"),
    path("problems/<int:pk>/edit/", ProblemFormView.as_view(), name="problem-edit"),
    path("problems/<int:pk>/analysis/", ProblemAnalysisView.as_view(), name="problem-analysis"),
    path(
        "problems/<int:pk>/transition/",
        ProblemTransitionView.as_view(),
        name="problem-transition",
    ),
    path("problems/<int:pk>/incidents/", ProblemLinkView.as_view(), name="problem-link"),
    path(
        "problems/<int:pk>/incidents/<int:incident_pk>/unlink/",
        ProblemUnlinkView.as_view(),
        name="problem-unlink",
    ),
]
