"""Pages of configuration items: list, detail (relationships, services, impact, history), the
edit form, the impact page and CSV import / export.

Everyone signed in reads within their scope (customers: their organisation's CIs); writes need
``cmdb.manage`` (403 otherwise); a CI out of scope answers 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from accord.core.permissions import has_capability
from accord.core.selectors import (
    audit_events_visible_to,
    organisations_visible_to,
    people_visible_to,
)
from accord.core.web import (
    CapabilityRequiredMixin,
    RecordFormView,
    paginate,
    run_service,
    scoped_object,
)
from accord.portfolio.choices import CI_STATUS_COLOURS
from accord.portfolio.filters.ci import CIFilterSet
from accord.portfolio.forms.ci import CIForm, CIImportForm, CIRelateForm, ci_initial
from accord.portfolio.impact import visible_impact
from accord.portfolio.selectors.ci import ci_relationships_visible_to, cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.portfolio.services import ci as services

CAPABILITY = services.CAPABILITY


def _can_manage(request: HttpRequest, ci: Any = None) -> bool:
    return has_capability(request.user, CAPABILITY, getattr(ci, "organisation_id", None))


class CIListView(CapabilityRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        qs = (
            cis_visible_to(request.user)
            .annotate(relationship_count=Count("outgoing", distinct=True))
            .order_by("name", "pk")
        )
        filterset = CIFilterSet(request.GET, queryset=qs, request=request)
        page = paginate(request, filterset.qs)
        for ci in page:
            ci.status_colour = CI_STATUS_COLOURS.get(ci.status, "grey")
        return render(
            request,
            "portfolio/ci_list.html",
            {
                "filter": filterset,
                "page": page,
                "can_manage": _can_manage(request),
                "query": request.GET.urlencode(),
            },
        )


class CIDetailView(CapabilityRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        ci = scoped_object(cis_visible_to, request.user, pk=pk)
        return self.render_page(ci)

    def render_page(self, ci: Any, relate_form: Any = None, status: int = 200) -> HttpResponse:
        user = self.request.user
        relationships = ci_relationships_visible_to(user)
        can_manage = _can_manage(self.request, ci)
        if can_manage and relate_form is None:
            relate_form = CIRelateForm(others=cis_visible_to(user).exclude(pk=ci.pk))
        return render(
            self.request,
            "portfolio/ci_detail.html",
            {
                "object": ci,
                "status_colour": CI_STATUS_COLOURS.get(ci.status, "grey"),
                "attributes": sorted(ci.attributes.items()),
                "outgoing": relationships.filter(source=ci).order_by("kind", "target__name"),
                "incoming": relationships.filter(target=ci).order_by("kind", "source__name"),
                "services": services_visible_to(user).filter(configuration_items=ci),
                "impact": visible_impact(user, ci),
                "can_manage": can_manage,
                "relate_form": relate_form,
                "events": audit_events_visible_to(user).filter(
                    object_type="portfolio.configurationitem", object_id=str(ci.pk)
                )[:20],
            },
            status=status,
        )


class CIRelateView(CIDetailView):
    """Add a relationship from the CI page (the page's CI at either end)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("ci-detail", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ci = scoped_object(cis_visible_to, request.user, pk=pk)
        if not _can_manage(request):
            raise PermissionDenied("This page is not part of your role.")
        form = CIRelateForm(request.POST, others=cis_visible_to(request.user).exclude(pk=ci.pk))
        if form.is_valid():
            other = form.cleaned_data["other"]
            source, target = (ci, other) if form.cleaned_data["direction"] == "out" else (other, ci)

            def relate() -> Any:
                try:
                    return services.ci_relate(
                        actor=request.user,
                        source=source,
                        kind=form.cleaned_data["kind"],
                        target=target,
                    )
                except ValidationError as exc:  # either end is "the other CI" on this form
                    if not hasattr(exc, "error_dict"):
                        raise
                    raise ValidationError(
                        {
                            ("other" if name in ("source", "target") else name): errors
                            for name, errors in exc.message_dict.items()
                        }
                    ) from exc

            rel = run_service(form, relate)
            if rel is not None:
                messages.success(request, f"Saved: {rel}.")
                return redirect("ci-detail", pk=ci.pk)
        return self.render_page(ci, relate_form=form, status=400)


class CIUnrelateView(CapabilityRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int, rel_pk: int) -> HttpResponse:
        ci = scoped_object(cis_visible_to, request.user, pk=pk)
        rel = scoped_object(ci_relationships_visible_to, request.user, pk=rel_pk)
        if ci.pk not in (rel.source_id, rel.target_id):
            return redirect("ci-detail", pk=ci.pk)
        if not has_capability(request.user, CAPABILITY, rel.organisation_id):
            raise PermissionDenied("This page is not part of your role.")
        services.ci_unrelate(actor=request.user, relationship=rel)
        messages.success(request, f"Removed: {rel}.")
        return redirect("ci-detail", pk=ci.pk)


class CIFormView(RecordFormView):
    capability = CAPABILITY
    form_class = CIForm
    selector = staticmethod(cis_visible_to)
    noun = "configuration item"
    detail_url_name = "ci-detail"
    list_url_name = "ci-list"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            "organisations": organisations_visible_to(user),
            "people": people_visible_to(user).filter(is_active=True),
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"organisation": self.request.GET.get("organisation")}
        return ci_initial(obj)

    def create(self, data: dict[str, Any]) -> Any:
        return services.ci_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.ci_update(
            actor=self.request.user, ci=obj, data=data, expected_version=version
        )


class CIImpactView(CapabilityRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        ci = scoped_object(cis_visible_to, request.user, pk=pk)
        return render(
            request,
            "portfolio/ci_impact.html",
            {"object": ci, "impact": visible_impact(request.user, ci)},
        )


class CIImportView(CapabilityRequiredMixin, View):
    capability = CAPABILITY

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "portfolio/ci_import.html", {"form": CIImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CIImportForm(request.POST, request.FILES)
        result = None
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > services.MAX_IMPORT_BYTES:
                form.add_error(
                    "file", f"The file is larger than {services.MAX_IMPORT_BYTES} bytes."
                )
            else:
                result = run_service(
                    form,
                    lambda: services.ci_import_csv(
                        actor=request.user,
                        content=upload.read(),
                        dry_run=form.cleaned_data["dry_run"],
                    ),
                )
        if result is not None and not result.dry_run:
            messages.success(request, result.summary)
            return redirect("ci-list")
        status = 200 if result is not None else 400
        return render(
            request, "portfolio/ci_import.html", {"form": form, "result": result}, status=status
        )


class CIExportView(CapabilityRequiredMixin, View):
    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        filterset = CIFilterSet(request.GET, queryset=cis_visible_to(request.user), request=request)
        response = StreamingHttpResponse(
            services.ci_csv_lines(filterset.qs), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="configuration-items.csv"'
        return response


urlpatterns = [
    path("configuration-items/", CIListView.as_view(), name="ci-list"),
    path("configuration-items/new/", CIFormView.as_view(), name="ci-create"),
    path("configuration-items/import/", CIImportView.as_view(), name="ci-import"),
    path("configuration-items/export/", CIExportView.as_view(), name="ci-export"),
    path("configuration-items/<int:pk>/", CIDetailView.as_view(), name="ci-detail"),
    path("configuration-items/<int:pk>/edit/", CIFormView.as_view(), name="ci-edit"),
    path("configuration-items/<int:pk>/impact/", CIImpactView.as_view(), name="ci-impact"),
    path(
        "configuration-items/<int:pk>/relationships/",
        CIRelateView.as_view(),
        name="ci-relate",
    ),
    path(
        "configuration-items/<int:pk>/relationships/<int:rel_pk>/delete/",
        CIUnrelateView.as_view(),
        name="ci-unrelate",
    ),
]
