"""Pages of the process register (ISO/IEC 20000-1, 4.4 and 5.3): the list, a process with its
RACI matrix, the create and edit forms, the matrix editor with its activities, and a page per
person listing their roles and responsibilities.

Every page reads through :mod:`accord.governance.selectors.processes` (a process outside a
person's scope answers 404) and writes through :mod:`accord.governance.services.processes`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views import View

from accord.core.models import Person
from accord.core.selectors import provider_staff
from accord.core.web import CapabilityRequiredMixin, RecordFormView, paginate, run_service
from accord.governance.models import Process, ProcessActivity
from accord.governance.processes_forms import (
    ActivityForm,
    ActivityRemoveForm,
    ProcessFilterSet,
    ProcessForm,
    ProcessOwnerForm,
    RaciMatrixForm,
)
from accord.governance.selectors import processes as selectors
from accord.governance.selectors.documents import documents_visible_to
from accord.governance.services import processes as services

FORBIDDEN = "This page is not part of your role."


def _process(request: HttpRequest, pk: int, queryset: QuerySet[Process] | None = None) -> Process:
    qs = queryset if queryset is not None else selectors.processes_visible_to(request.user)
    return get_object_or_404(qs, pk=pk)


class ProcessListView(CapabilityRequiredMixin, View):
    """The register: name, clause, owner, number of KPIs, activities without an Accountable."""

    capability = "governance.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        filterset = ProcessFilterSet(
            request.GET or None, queryset=selectors.process_list(user), request=request
        )
        bad = filterset.is_bound and not filterset.is_valid()
        rows = filterset.queryset if bad or not filterset.is_bound else filterset.qs
        can_manage = services.may_manage_processes(user)
        return render(
            request,
            "governance/processes/list.html",
            {
                "filter": filterset,
                "page": paginate(request, rows),
                "can_manage": can_manage,
                "missing": selectors.missing_standard_codes() if can_manage else [],
            },
            status=400 if bad else 200,
        )


class ProcessSeedView(CapabilityRequiredMixin, View):
    """POST: load the standard processes that are missing."""

    capability = "governance.manage"

    def post(self, request: HttpRequest) -> HttpResponse:
        created = services.processes_seed_standard(actor=request.user, now=timezone.now())
        if created:
            messages.success(request, f"Standard processes loaded: {created} records created.")
        else:
            messages.info(request, "Every standard process is in the register already.")
        return redirect("process-list")


def _matrix_context(request: HttpRequest, process: Process) -> dict[str, Any]:
    return {
        "process": process,
        "matrix": selectors.raci_matrix(process),
        "can_edit": services.may_edit_process(request.user, process),
        "can_manage": services.may_manage_processes(request.user),
    }


class ProcessDetailView(CapabilityRequiredMixin, View):
    """A process: purpose, owner, KPIs, interfaces, definition and its RACI matrix."""

    capability = "governance.view"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        process = _process(
            request,
            pk,
            selectors.processes_visible_to(request.user).prefetch_related("interfaces"),
        )
        context = _matrix_context(request, process)
        return render(request, "governance/processes/detail.html", context)


class ProcessFormView(RecordFormView):
    """``/governance/processes/new/`` and ``/governance/processes/<pk>/edit/``. Governance
    managers edit every field; the owner of a process its purpose and KPIs."""

    capability = "governance.view"
    form_class = ProcessForm
    selector = staticmethod(selectors.processes_visible_to)
    noun = "process"
    detail_url_name = "process-detail"
    list_url_name = "process-list"

    def get_object(self) -> Any:
        process = super().get_object()
        user = self.request.user
        if process is None:
            if not services.may_manage_processes(user):
                raise PermissionDenied(FORBIDDEN)
        elif not services.may_edit_process(user, process):
            raise PermissionDenied(FORBIDDEN)
        return process

    def get_form_class(self, obj: Any) -> type[forms.Form]:
        if obj is not None and not services.may_manage_processes(self.request.user):
            return ProcessOwnerForm
        return ProcessForm

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        if self.get_form_class(obj) is ProcessOwnerForm:
            return {}
        interfaces = selectors.processes_visible_to(self.request.user).order_by("position", "name")
        if obj is not None:
            interfaces = interfaces.exclude(pk=obj.pk)
        return {
            "choices": {
                "owner": provider_staff(),
                "interfaces": interfaces,
                "definition": documents_visible_to(self.request.user).order_by("title"),
            }
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"is_active": True, "position": 0}
        return {
            "version": obj.version,
            "code": obj.code,
            "name": obj.name,
            "clause": obj.clause,
            "purpose": obj.purpose,
            "owner": obj.owner_id,
            "owner_role": obj.owner_role,
            "kpis": obj.kpis,
            "interfaces": [p.pk for p in obj.interfaces.all()],
            "definition": obj.definition_id,
            "position": obj.position,
            "is_active": obj.is_active,
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.process_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.process_update(
            actor=self.request.user, process=obj, data=data, expected_version=version
        )


class ProcessRaciView(CapabilityRequiredMixin, View):
    """Edit the whole matrix as a grid of selects. A save based on an older version of the
    process is refused and the page shows the matrix as it is now."""

    capability = "governance.view"

    def get_process(self, request: HttpRequest, pk: int) -> Process:
        process = _process(request, pk)
        if not services.may_edit_process(request.user, process):
            raise PermissionDenied(FORBIDDEN)
        return process

    def render_page(
        self,
        process: Process,
        form: RaciMatrixForm | None = None,
        extra_roles: list[str] | None = None,
        status: int = 200,
        refused: list[str] | None = None,
    ) -> HttpResponse:
        matrix = selectors.raci_matrix(process, extra_roles or [])
        if form is None:
            form = self.matrix_form(process, matrix)
        return render(
            self.request,
            "governance/processes/raci_edit.html",
            {
                "process": process,
                "matrix": matrix,
                "form": form,
                "activity_form": ActivityForm(initial={"version": process.version}),
                "refused": refused or [],
            },
            status=status,
        )

    @staticmethod
    def matrix_form(process: Process, matrix: Any, data: Any = None) -> RaciMatrixForm:
        activities = [row.activity for row in matrix.rows]
        roles = [column.role for column in matrix.roles]
        if data is not None:
            return RaciMatrixForm(data, activities=activities, roles=roles)
        initial: dict[str, Any] = {"version": process.version}
        for row in matrix.rows:
            for cell in row.cells:
                initial[f"cell_{row.activity.pk}__{cell.role}"] = cell.letter
        return RaciMatrixForm(initial=initial, activities=activities, roles=roles)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        process = self.get_process(request, pk)
        add = request.GET.get("add_role", "")
        extra = [add] if add in dict(RaciMatrixForm.base_fields["add_role"].choices) else []
        return self.render_page(process, extra_roles=extra)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        process = self.get_process(request, pk)
        extra = [r for r in request.POST.getlist("extra_role") if r]
        extra = [r for r in extra if r in dict(RaciMatrixForm.base_fields["add_role"].choices)]
        matrix = selectors.raci_matrix(process, extra)
        form = self.matrix_form(process, matrix, request.POST)
        if form.is_valid():
            add_role = form.cleaned_data.get("add_role")
            if add_role:  # a new column: show it, save what was chosen so far with it
                extra.append(add_role)
            saved = run_service(
                form,
                lambda: services.raci_save_matrix(
                    actor=request.user,
                    process=process,
                    cells=form.cells(),
                    expected_version=form.cleaned_data["version"],
                    now=timezone.now(),
                ),
            )
            if saved is not None:
                if add_role:
                    fresh = _process(request, pk)
                    messages.success(request, "Matrix saved; choose the letters of the new role.")
                    return self.render_page(fresh, extra_roles=extra)
                messages.success(request, f"RACI matrix of {process} saved.")
                return redirect("process-detail", pk=process.pk)
        fresh = _process(request, pk)
        if getattr(form, "stale_version", None) is not None:
            # Show what is stored now; the editor applies their change again.
            current = selectors.raci_matrix(fresh, extra)
            refused = [str(e) for e in form.non_field_errors()]
            return self.render_page(
                fresh, self.matrix_form(fresh, current), extra, status=400, refused=refused
            )
        return self.render_page(fresh, form=form, extra_roles=extra, status=400)


class ActivityView(CapabilityRequiredMixin, View):
    """POST: add an activity (no ``activity_pk``), rename or move one, or remove one."""

    capability = "governance.view"
    remove = False

    def post(self, request: HttpRequest, pk: int, activity_pk: int | None = None) -> HttpResponse:
        process = _process(request, pk)
        if not services.may_edit_process(request.user, process):
            raise PermissionDenied(FORBIDDEN)
        activity = None
        if activity_pk is not None:
            activity = get_object_or_404(
                ProcessActivity.objects.select_related("process"), pk=activity_pk, process=process
            )
        form: forms.Form = (ActivityRemoveForm if self.remove else ActivityForm)(request.POST)
        result: Any = None
        if form.is_valid():
            data = form.cleaned_data
            common = {"actor": request.user, "expected_version": data["version"]}
            if self.remove:
                result = run_service(
                    form, lambda: services.activity_remove(activity=activity, **common) or True
                )
            elif activity is None:
                result = run_service(
                    form,
                    lambda: services.activity_add(
                        process=process, name=data["name"], position=data["position"], **common
                    ),
                )
            else:
                result = run_service(
                    form,
                    lambda: services.activity_update(
                        activity=activity, name=data["name"], position=data["position"], **common
                    ),
                )
        if result is not None:
            messages.success(request, "Activities saved.")
            return redirect("process-raci", pk=process.pk)
        refused = [f"{e}" for errors in form.errors.values() for e in errors]
        view = ProcessRaciView()
        view.request = request
        return view.render_page(_process(request, pk), status=400, refused=refused)


class ResponsibilitiesView(LoginRequiredMixin, View):
    """``/governance/people/<pk>/responsibilities/``: a person's roles and what they answer
    for. Anyone sees their own; staff holding governance.view see everyone's."""

    def get(self, request: HttpRequest, person_pk: int) -> HttpResponse:
        user = request.user
        if user.pk != person_pk and not selectors.sees_processes(user):
            raise PermissionDenied(FORBIDDEN)
        person = get_object_or_404(Person.objects.select_related("organisation"), pk=person_pk)
        if not selectors.may_see_responsibilities(user, person):
            raise PermissionDenied(FORBIDDEN)
        return render(
            request,
            "governance/processes/responsibilities.html",
            {
                "r": selectors.responsibilities_of(person),
                "links": selectors.sees_processes(user),
                "colours": selectors.RACI_COLOURS,
            },
        )


urlpatterns = [
    path("governance/processes/", ProcessListView.as_view(), name="process-list"),
    path("governance/processes/new/", ProcessFormView.as_view(), name="process-create"),
    path("governance/processes/standard/", ProcessSeedView.as_view(), name="process-seed"),
    path("governance/processes/<int:pk>/", ProcessDetailView.as_view(), name="process-detail"),
    path("governance/processes/<int:pk>/edit/", ProcessFormView.as_view(), name="process-edit"),
    path("governance/processes/<int:pk>/raci/", ProcessRaciView.as_view(), name="process-raci"),
    path(
        "governance/processes/<int:pk>/activities/",
        ActivityView.as_view(),
        name="process-activity-add",
    ),
    path(
        "governance/processes/<int:pk>/activities/<int:activity_pk>/",
        ActivityView.as_view(),
        name="process-activity-edit",
    ),
    path(
        "governance/processes/<int:pk>/activities/<int:activity_pk>/remove/",
        ActivityView.as_view(remove=True),
        name="process-activity-remove",
    ),
    path(
        "governance/people/<int:person_pk>/responsibilities/",
        ResponsibilitiesView.as_view(),
        name="person-responsibilities",
    ),
]
