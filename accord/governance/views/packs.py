"""Pages of audit packs: the list of packs generated (with a Generate button for the SMS owner
and top management) and the download of one pack.

Provider staff and the auditor (``governance.view``) list and download packs; customers get
404 on every page, so they do not learn the packs exist. Generating is a POST for holders of
``audits.manage`` (403 for the other readers) and runs :func:`generate_pack` in the request:
it takes a few seconds.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views import View

from accord.governance.selectors.packs import (
    may_generate_packs,
    may_read_packs,
    pack_content,
    packs_visible_to,
)
from accord.governance.services.packs import KEEP, generate_pack


class PackReaderMixin(LoginRequiredMixin):
    """Signed-in provider staff and auditors; 404 for everyone else (customers)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_read_packs(request.user):
            raise Http404("No such page.")
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response


class PackListView(PackReaderMixin, View):
    """``/governance/audit-packs/``: the packs kept, newest first."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "governance/packs/list.html",
            {
                "packs": packs_visible_to(request.user),
                "can_generate": may_generate_packs(request.user),
                "keep": KEEP,
            },
        )


class PackGenerateView(PackReaderMixin, View):
    """POST: generate a pack now and go back to the list."""

    def post(self, request: HttpRequest) -> HttpResponse:
        if not may_generate_packs(request.user):
            raise PermissionDenied("Only the SMS owner and top management generate audit packs.")
        pack = generate_pack(actor=request.user, now=timezone.now())
        messages.success(
            request, f"Audit pack {pack.reference} generated: {pack.filename} ({pack.size} bytes)."
        )
        return redirect("audit-pack-list")


class PackDownloadView(PackReaderMixin, View):
    """The ZIP of one pack, as an attachment."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        pack = get_object_or_404(packs_visible_to(request.user), pk=pk)
        return zip_response(pack.filename, pack_content(pack))


def zip_response(filename: str, content: bytes) -> HttpResponse:
    """A ZIP download (shared by the page and the API)."""
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns: list[URLPattern] = [
    path("governance/audit-packs/", PackListView.as_view(), name="audit-pack-list"),
    path(
        "governance/audit-packs/generate/",
        PackGenerateView.as_view(),
        name="audit-pack-generate",
    ),
    path(
        "governance/audit-packs/<int:pk>/download/",
        PackDownloadView.as_view(),
        name="audit-pack-download",
    ),
]
