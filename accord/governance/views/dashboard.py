"""The governance home page and its "Generate draft" action."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views import View

from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.web import CapabilityRequiredMixin
from accord.governance.choices import GENERATED_KINDS
from accord.governance.selectors.dashboard import governance_overview, key_documents, reviews_due
from accord.governance.services.drafting import document_generate_draft


class GovernanceHomeView(CapabilityRequiredMixin, View):
    """``/governance/``: where the SMS owner and top management start."""

    capability = "governance.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sees_all_organisations(request.user):
            raise PermissionDenied("This page is not part of your role.")
        today = timezone.localdate()
        return render(
            request,
            "governance/home.html",
            {
                "key_documents": key_documents(request.user),
                "overview": governance_overview(request.user, today),
                "reviews_due": reviews_due(request.user, today),
                "today": today,
                "can_generate": has_capability(request.user, "documents.manage"),
            },
        )


class GenerateDraftView(CapabilityRequiredMixin, View):
    """POST ``/governance/generate/<kind>/``: write the policy, scope or plan draft from live
    data and open it."""

    capability = "documents.manage"

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in GENERATED_KINDS:
            messages.error(request, "Accord generates the SMS policy, the SMS scope and the plan.")
            return redirect("governance-home")
        try:
            version = document_generate_draft(actor=request.user, kind=kind)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("governance-home")
        messages.success(
            request,
            f"Draft version {version.number} of {version.document.reference} written from live "
            "data. Complete it, then submit it for approval.",
        )
        return redirect(reverse("document-version", args=[version.document_id, version.number]))


urlpatterns: list[URLPattern] = [
    path("governance/", GovernanceHomeView.as_view(), name="governance-home"),
    path(
        "governance/generate/<str:kind>/",
        GenerateDraftView.as_view(),
        name="governance-generate",
    ),
]
