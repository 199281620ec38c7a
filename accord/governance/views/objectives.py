"""Pages of service management objectives (ISO/IEC 20000-1, 6.2): the list with each
objective's progress, the objective's page (its figure, the measure's definition, the recorded
values with their evidence, the status moves), and the create and edit forms.

Every page is scoped by ``objectives_visible_to``; writes go through
:mod:`accord.governance.services.objectives`. A page outside a person's role answers 403, an
objective they may not see 404.
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

from accord.core.web import (
    CapabilityRequiredMixin,
    RecordFormView,
    paginate,
    run_service,
    scoped_object,
)
from accord.governance import measures
from accord.governance.choices import ObjectiveStatus
from accord.governance.models import Objective
from accord.governance.objectives_forms import (
    MeasurementForm,
    ObjectiveFilterSet,
    ObjectiveForm,
    ObjectiveTransitionForm,
    objective_initial,
)
from accord.governance.selectors.objectives import (
    measurements_of,
    objective_progress,
    objectives_visible_to,
    objectives_with_progress,
    possible_owners,
    possible_processes,
    with_latest_measurement,
)
from accord.governance.services import objectives as services
from accord.portfolio.selectors.service import services_visible_to

FORBIDDEN = "This page is not part of your role."
TRANSITION_VERBS = {
    ObjectiveStatus.ACTIVE: "Return to active",
    ObjectiveStatus.ACHIEVED: "Mark achieved",
    ObjectiveStatus.MISSED: "Mark missed",
    ObjectiveStatus.WITHDRAWN: "Withdraw",
}


class ObjectiveListView(CapabilityRequiredMixin, View):
    """``/governance/objectives/``: every objective with its target, current value and verdict,
    filtered by status, owner, measure, process, service and period."""

    capability = "governance.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        filterset = ObjectiveFilterSet(
            request.GET or None,
            queryset=with_latest_measurement(objectives_visible_to(user)),
            request=request,
        )
        invalid = filterset.is_bound and not filterset.is_valid()
        rows = filterset.queryset if invalid or not filterset.is_bound else filterset.qs
        page = paginate(request, rows)
        objectives = objectives_with_progress(page.object_list, timezone.now())
        for objective in objectives:
            objective.status_colour = services.OBJECTIVE_STATUS_COLOURS.get(  # type: ignore[attr-defined]
                objective.status, "grey"
            )
        return render(
            request,
            "governance/objectives/list.html",
            {
                "filter": filterset,
                "page": page,
                "objectives": objectives,
                "may_manage": services.may_manage(user),
            },
            status=400 if invalid else 200,
        )


def render_objective(
    request: HttpRequest,
    objective: Objective,
    *,
    measurement_form: forms.Form | None = None,
    transition_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    live = measures.is_live(objective.measure)
    may_record = (
        not live
        and services.may_record(user, objective)
        and objective.status != ObjectiveStatus.WITHDRAWN
    )
    transitions = [
        {"to": to, "label": TRANSITION_VERBS.get(to, to)}
        for to in services.allowed_transitions(user, objective)
    ]
    return render(
        request,
        "governance/objectives/detail.html",
        {
            "objective": objective,
            "progress": objective_progress(objective, timezone.now()),
            "status_colour": services.OBJECTIVE_STATUS_COLOURS.get(objective.status, "grey"),
            "measurements": measurements_of(objective),
            "live": live,
            "measurement_form": measurement_form
            or (
                MeasurementForm(initial={"measured_on": timezone.localdate()})
                if may_record
                else None
            ),
            "transition_form": transition_form,
            "transitions": transitions,
            "may_edit": services.may_edit(user, objective),
        },
        status=status,
    )


class ObjectiveDetailView(CapabilityRequiredMixin, View):
    capability = "governance.view"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        objective = scoped_object(objectives_visible_to, request.user, pk=pk)
        return render_objective(request, objective)


class ObjectiveTransitionView(CapabilityRequiredMixin, View):
    """Mark an objective achieved or missed, withdraw it, or return it to active."""

    capability = "governance.view"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        objective = scoped_object(objectives_visible_to, request.user, pk=pk)
        if not services.may_manage(request.user):
            raise PermissionDenied(FORBIDDEN)
        form = ObjectiveTransitionForm(request.POST)
        if form.is_valid():
            moved = run_service(
                form,
                lambda: services.objective_transition(
                    actor=request.user,
                    objective=objective,
                    to=form.cleaned_data["to"],
                    expected_version=form.cleaned_data["version"],
                ),
            )
            if moved is not None:
                messages.success(
                    request, f"{moved.reference} saved: it is now {moved.get_status_display()}."
                )
                return redirect("objective-detail", pk=objective.pk)
        fresh = scoped_object(objectives_visible_to, request.user, pk=pk)
        return render_objective(request, fresh, transition_form=form, status=400)


class MeasurementRecordView(CapabilityRequiredMixin, View):
    """Record a value of a manually measured objective (its owner or a manager)."""

    capability = "governance.view"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        objective = scoped_object(objectives_visible_to, request.user, pk=pk)
        if not services.may_record(request.user, objective):
            raise PermissionDenied(FORBIDDEN)
        form = MeasurementForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            saved = run_service(
                form,
                lambda: services.measurement_record(
                    actor=request.user,
                    objective=objective,
                    value=data["value"],
                    measured_on=data["measured_on"],
                    evidence=data["evidence"],
                ),
            )
            if saved is not None:
                messages.success(
                    request, f"{objective.reference}: {saved.value} on {saved.measured_on} saved."
                )
                return redirect("objective-detail", pk=objective.pk)
        return render_objective(request, objective, measurement_form=form, status=400)


class ObjectiveFormView(RecordFormView):
    """``/governance/objectives/new/`` (managers) and ``/governance/objectives/<pk>/edit/``
    (managers, and the owner for the plan, resources and description)."""

    capability = "governance.view"
    form_class = ObjectiveForm
    selector = staticmethod(objectives_visible_to)
    noun = "objective"
    detail_url_name = "objective-detail"
    list_url_name = "objective-list"

    def get_object(self) -> Any:
        objective = super().get_object()
        user = self.request.user
        allowed = (
            services.may_manage(user) if objective is None else services.may_edit(user, objective)
        )
        if not allowed:
            raise PermissionDenied(FORBIDDEN)
        return objective

    def owner_only(self, obj: Any) -> bool:
        return obj is not None and not services.may_manage(self.request.user)

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {
            "owners": possible_owners(),
            "processes": possible_processes(),
            "services": services_visible_to(self.request.user).order_by("name"),
            "owner_only": self.owner_only(obj),
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"owner": self.request.user.pk}
        return objective_initial(obj)

    def bound_initial(self, obj: Any) -> dict[str, Any] | None:
        return objective_initial(obj) if obj is not None else None

    def create(self, data: dict[str, Any]) -> Any:
        return services.objective_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        stored = objective_initial(obj)
        changed = {
            name: value
            for name, value in data.items()
            if getattr(value, "pk", value) != stored.get(name)
            and (not self.owner_only(obj) or name in services.OWNER_EDITABLE)
        }
        return services.objective_update(
            actor=self.request.user, objective=obj, data=changed, expected_version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "New objective"

    def success_message(self, result: Any) -> str:
        return f"Objective {result.reference} saved."


urlpatterns: list[URLPattern] = [
    path("governance/objectives/", ObjectiveListView.as_view(), name="objective-list"),
    path("governance/objectives/new/", ObjectiveFormView.as_view(), name="objective-create"),
    path(
        "governance/objectives/<int:pk>/",
        ObjectiveDetailView.as_view(),
        name="objective-detail",
    ),
    path(
        "governance/objectives/<int:pk>/edit/",
        ObjectiveFormView.as_view(),
        name="objective-edit",
    ),
    path(
        "governance/objectives/<int:pk>/transition/",
        ObjectiveTransitionView.as_view(),
        name="objective-transition",
    ),
    path(
        "governance/objectives/<int:pk>/measurements/",
        MeasurementRecordView.as_view(),
        name="objective-measurement",
    ),
]
