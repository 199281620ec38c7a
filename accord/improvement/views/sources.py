"""Pages that feed and tune the improvement register: "Raise an improvement" from a problem, a
complaint or a survey answer, and the evaluation criteria the register's managers keep."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views import View

from accord.core.web import run_service
from accord.improvement import selectors, services
from accord.improvement.models import Criterion
from accord.improvement.services import criteria, sources

FORBIDDEN = "This page is not part of your role."


class RaiseFromView(LoginRequiredMixin, View):
    """POST: raise (or find) the improvement of a record the person may see, then open it."""

    def post(self, request: HttpRequest, record_type: str, pk: int) -> HttpResponse:
        record = sources.visible_record(request.user, record_type, pk)
        if record is None:
            raise Http404("No such record.")
        if not services.may_raise(request.user):
            raise PermissionDenied(FORBIDDEN)
        improvement, created = sources.improvement_from_record(
            actor=request.user, record=record, now=timezone.now()
        )
        if created:
            messages.success(
                request,
                f"{improvement.reference} raised from {improvement.source_reference}: plan it "
                "with a baseline, a target and the actions.",
            )
        else:
            messages.info(request, f"{improvement.reference} is already open for this record.")
        return redirect("improvement-detail", pk=improvement.pk)


class CriterionForm(forms.Form):
    """One criterion: its code only when it is added (ratings are kept by code)."""

    code = forms.CharField(max_length=32, required=False)
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    weight = forms.IntegerField(
        min_value=-10, max_value=10, help_text="From -10 to 10; negative for effort and risk."
    )
    position = forms.IntegerField(min_value=0, max_value=32767, initial=0)
    is_active = forms.BooleanField(required=False, initial=True, label="Counts in the priority")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def data_for_service(self, creating: bool) -> dict[str, Any]:
        fields = ("name", "description", "weight", "position", "is_active")
        data = {name: self.cleaned_data[name] for name in fields}
        if creating:
            data["code"] = self.cleaned_data["code"]
        return data


def _page(
    request: HttpRequest,
    *,
    bound: dict[int | None, CriterionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = list(selectors.criteria_visible_to(request.user).order_by("position", "code"))
    may_manage = services.may_manage(request.user)
    bound = bound or {}
    forms_by_row = []
    for criterion in rows:
        form = bound.get(criterion.pk) or CriterionForm(
            initial={
                "code": criterion.code,
                "name": criterion.name,
                "description": criterion.description,
                "weight": criterion.weight,
                "position": criterion.position,
                "is_active": criterion.is_active,
                "version": criterion.version,
            },
            prefix=f"c{criterion.pk}",
        )
        forms_by_row.append({"criterion": criterion, "form": form})
    new_form = bound.get(None) or CriterionForm(prefix="new")
    return render(
        request,
        "improvement/criteria.html",
        {
            "rows": forms_by_row,
            "new_form": new_form,
            "may_manage": may_manage,
        },
        status=status,
    )


class CriteriaView(LoginRequiredMixin, View):
    """The criteria: read by everyone who reads the register, kept by its managers."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not selectors.may_view(request.user):
            raise Http404("No such page.")
        return _page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        if not selectors.may_view(request.user):
            raise Http404("No such page.")
        if not services.may_manage(request.user):
            raise PermissionDenied(FORBIDDEN)
        target = request.POST.get("criterion", "")
        if target == "new":
            form = CriterionForm(request.POST, prefix="new")
            if form.is_valid():
                made = run_service(
                    form,
                    lambda: criteria.criterion_create(
                        actor=request.user, data=form.data_for_service(True)
                    ),
                )
                if made is not None:
                    messages.success(request, f"Criterion {made.code} added; priorities updated.")
                    return redirect("improvement-criteria")
            return _page(request, bound={None: form}, status=400)
        try:
            pk = int(target)
        except ValueError:
            raise Http404("No such criterion.") from None
        criterion = get_object_or_404(Criterion, pk=pk)
        form = CriterionForm(request.POST, prefix=f"c{pk}")
        if form.is_valid():
            saved = run_service(
                form,
                lambda: criteria.criterion_update(
                    actor=request.user,
                    criterion=criterion,
                    data=form.data_for_service(False),
                    expected_version=form.cleaned_data["version"],
                ),
            )
            if saved is not None:
                messages.success(request, f"Criterion {saved.code} saved; priorities updated.")
                return redirect("improvement-criteria")
        return _page(request, bound={pk: form}, status=400)


urlpatterns: list[URLPattern] = [
    path(
        "improvements/raise-from/<str:record_type>/<int:pk>/",
        RaiseFromView.as_view(),
        name="improvement-raise-from",
    ),
    path("improvements/criteria/", CriteriaView.as_view(), name="improvement-criteria"),
]
