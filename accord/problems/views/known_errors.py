"""Pages of known errors: the known-error database for the provider's staff, one known error,
applying a workaround from the incident page, and the published workarounds in the portal.

Pages read through ``accord.problems.selectors.known_errors`` and write only through
``known_error_apply``; a refusal comes back as a clear message on the incident page and
changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views import View

from accord.core.web import CapabilityRequiredMixin, paginate, scoped_object
from accord.incidents.selectors import incidents_visible_to
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.problems.selectors.known_errors import (
    KnownErrorFilterSet,
    is_staff_reader,
    known_errors_visible_to,
    suggestions_for,
    with_incident_count,
)
from accord.problems.services.known_errors import known_error_apply


def _filtered(request: HttpRequest) -> tuple[KnownErrorFilterSet, Any, int]:
    """The filter form, the rows it selects (all when it is not valid) and the status."""
    qs = known_errors_visible_to(request.user).order_by("-known_error_at", "-pk")
    filterset = KnownErrorFilterSet(request.GET or None, queryset=qs, request=request)
    bad = filterset.is_bound and not filterset.is_valid()
    rows = filterset.qs if filterset.is_bound and not bad else qs
    return filterset, rows, 400 if bad else 200


class KnownErrorListView(CapabilityRequiredMixin, View):
    """``/problems/known-errors/``: the known-error database, searchable by service, CI,
    category and text, with the number of incidents linked to each."""

    capability = "problems.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, rows, status = _filtered(request)
        rows = with_incident_count(rows, request.user)
        context = {"filter": filterset, "page": paginate(request, rows)}
        return render(request, "problems/known_errors/list.html", context, status=status)


class KnownErrorDetailView(CapabilityRequiredMixin, View):
    """``/problems/known-errors/<pk>/``: one known error as the staff read it."""

    capability = "problems.view"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        qs = with_incident_count(known_errors_visible_to(request.user), request.user)
        problem = scoped_object(lambda user: qs, request.user, pk=pk)
        context = {
            "object": problem,
            "problem": problem,
            "configuration_items": list(problem.configuration_items.order_by("name")),
        }
        return render(request, "problems/known_errors/detail.html", context)


class ApplyForm(forms.Form):
    incident = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    visibility = forms.ChoiceField(
        choices=[("public", "Reply to the caller"), ("internal", "Work note")],
        initial="public",
    )


class KnownErrorApplyView(CapabilityRequiredMixin, View):
    """POST ``/problems/known-errors/<pk>/apply/`` from the incident page: link the incident
    and apply the workaround, then back to the incident with what happened."""

    capability = "incidents.work"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        problem = scoped_object(known_errors_visible_to, request.user, pk=pk)
        form = ApplyForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an incident and how to apply the workaround.")
            return redirect("known-error-detail", pk=problem.pk)
        incident = scoped_object(
            incidents_visible_to, request.user, pk=form.cleaned_data["incident"]
        )
        public = form.cleaned_data["visibility"] == "public"
        try:
            known_error_apply(actor=request.user, problem=problem, incident=incident, public=public)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("incident-detail", pk=incident.pk)
        how = "as a reply to the caller" if public else "as a work note"
        messages.success(
            request, f"Workaround of {problem.reference} applied to {incident.reference} {how}."
        )
        return redirect("incident-detail", pk=incident.pk)


class PublishedWorkaroundListView(CapabilityRequiredMixin, View):
    """``/portal/known-errors/``: the published workarounds for the customer's services."""

    capability = "known_errors.read_published"

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, rows, status = _filtered(request)
        for name in ("ci", "category"):
            filterset.form.fields.pop(name, None)
        context = {"filter": filterset, "page": paginate(request, rows)}
        return render(request, "problems/known_errors/published.html", context, status=status)


class KnownErrorSuggestView(CapabilityRequiredMixin, View):
    """GET ``/problems/known-errors/suggest/``: the known errors that may apply to the incident
    being written on the incident form (its service, CI, category, title and description as
    query parameters), as a fragment the form swaps in while the agent types."""

    capability = "problems.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not is_staff_reader(request.user):
            raise PermissionDenied("This page is not part of your role.")

        def pick(queryset: Any, name: str) -> Any:
            value = request.GET.get(name, "")
            return queryset.filter(pk=value).first() if value.isdigit() else None

        suggestions = suggestions_for(
            service=pick(services_visible_to(request.user), "service"),
            configuration_item=pick(cis_visible_to(request.user), "configuration_item"),
            category_id=int(c) if (c := request.GET.get("category", "")).isdigit() else None,
            text=f"{request.GET.get('title', '')} {request.GET.get('description', '')}"[:5000],
        )
        return render(request, "problems/known_errors/_suggest.html", {"suggestions": suggestions})


urlpatterns: list[URLPattern] = [
    path("problems/known-errors/", KnownErrorListView.as_view(), name="known-error-list"),
    path(
        "problems/known-errors/suggest/",
        KnownErrorSuggestView.as_view(),
        name="known-error-suggest",
    ),
    path(
        "problems/known-errors/<int:pk>/",
        KnownErrorDetailView.as_view(),
        name="known-error-detail",
    ),
    path(
        "problems/known-errors/<int:pk>/apply/",
        KnownErrorApplyView.as_view(),
        name="known-error-apply",
    ),
    path(
        "portal/known-errors/",
        PublishedWorkaroundListView.as_view(),
        name="published-workaround-list",
    ),
]
