"""Pages of the portfolio's services: list, service page, create / edit, lifecycle moves, CSV
import and export. Every page is scoped by ``services_visible_to``; writes need
``portfolio.manage`` and go through :mod:`accord.portfolio.services.service`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View

from accord.agreements.choices import AGREEMENT_STATUS_COLOURS
from accord.agreements.selectors import agreements_visible_to, calendars_visible_to
from accord.core.permissions import has_capability
from accord.core.selectors import audit_events_visible_to, people_visible_to, teams_visible_to
from accord.core.web import (
    CapabilityRequiredMixin,
    RecordFormView,
    paginate,
    run_service,
    scoped_object,
)
from accord.portfolio.choices import CRITICALITY_COLOURS, SERVICE_STATUS_COLOURS, ServiceStatus
from accord.portfolio.filters.service import ServiceFilterSet
from accord.portfolio.forms.service import (
    ServiceForm,
    ServiceImportForm,
    ServiceTransitionForm,
    service_initial,
)
from accord.portfolio.graph import GraphNode, dependency_svg
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import (
    service_customers,
    service_dependency_graph,
    services_csv,
    services_visible_to,
    visible_dependencies,
)
from accord.portfolio.services import service as service_services
from accord.transitions import selectors as transition_selectors

TRANSITION_VERBS = {ServiceStatus.LIVE: "Go live", ServiceStatus.RETIRED: "Retire"}


def _with_colours(service: Any) -> Any:
    service.status_colour = SERVICE_STATUS_COLOURS.get(service.status, "grey")
    service.criticality_colour = CRITICALITY_COLOURS.get(service.criticality, "grey")
    return service


def _filtered(request: HttpRequest) -> ServiceFilterSet:
    qs = (
        services_visible_to(request.user)
        .prefetch_related(visible_dependencies(request.user))
        .order_by("name", "pk")
    )
    return ServiceFilterSet(request.GET, queryset=qs, request=request)


class ServiceListView(CapabilityRequiredMixin, View):
    """The portfolio: every service the person may see, filtered and paged."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = _filtered(request)
        page = paginate(request, filterset.qs)
        for service in page:
            _with_colours(service)
        return render(
            request,
            "portfolio/service_list.html",
            {
                "filter": filterset,
                "page": page,
                "can_manage": has_capability(request.user, "portfolio.manage"),
                "export_query": request.GET.urlencode(),
            },
        )


class ServiceExportView(CapabilityRequiredMixin, View):
    """The services of the list (same filters) as CSV."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = _filtered(request)
        if not filterset.is_valid():
            return HttpResponse(
                "Bad filter: "
                + "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        body = services_csv(request.user, filterset.qs)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="services-{stamp}.csv"'
        return response


def dependency_graph_svg(service: Any, viewer: Any) -> str:
    """The service's dependencies both ways, as SVG, through services ``viewer`` may see."""
    graph = service_dependency_graph(service, viewer)
    if len(graph.services) == 1:
        return ""
    nodes = []
    for pk, svc in graph.services.items():
        level = graph.upstream.get(pk)
        if level is None:
            level = -graph.downstream[pk]
        nodes.append(
            GraphNode(
                key=pk,
                label=f"{svc.code} {svc.name}",
                level=level,
                subtitle=svc.get_status_display(),
                colour=SERVICE_STATUS_COLOURS.get(svc.status, "grey"),
                href=reverse("service-detail", args=[pk]),
            )
        )
    return dependency_svg(nodes, graph.edges, title=f"Dependencies of {service}")


class ServiceDetailView(CapabilityRequiredMixin, View):
    """One service: facts, dependency graph, agreements, catalogue, customers, CIs, history."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = scoped_object(services_visible_to, request.user, pk=pk)
        return self.render_page(service)

    def render_page(self, service: Any, errors: Any = None, status: int = 200) -> HttpResponse:
        user = self.request.user
        _with_colours(service)
        agreements = list(agreements_visible_to(user).filter(services=service).order_by("code"))
        for agreement in agreements:
            agreement.status_colour = AGREEMENT_STATUS_COLOURS.get(agreement.status, "grey")
        can_manage = has_capability(user, "portfolio.manage")
        transitions = [
            {"to": s, "label": TRANSITION_VERBS.get(s, ServiceStatus(s).label)}
            for s in service_services.allowed_transitions(service)
        ]
        deps = services_visible_to(user).filter(dependants=service).order_by("code")
        dependants = services_visible_to(user).filter(depends_on=service).order_by("code")
        return render(
            self.request,
            "portfolio/service_detail.html",
            {
                "object": service,
                "graph": mark_safe(dependency_graph_svg(service, user)),  # noqa: S308 - escaped by graph.py
                "depends_on": deps,
                "dependants": dependants,
                "agreements": agreements,
                "catalogue_items": catalogue_items_visible_to(user)
                .filter(service=service)
                .order_by("name"),
                "customers": service_customers(service, viewer=user),
                "cis": cis_visible_to(user).filter(services=service).order_by("name"),
                "events": audit_events_visible_to(user).filter(
                    object_type="portfolio.service", object_id=str(service.pk)
                )[:30],
                "can_manage": can_manage,
                "transitions": transitions if can_manage else [],
                # The service's transitions through the portfolio, for those who read them.
                "may_read_transitions": transition_selectors.may_read(user),
                "service_transitions": transition_selectors.transitions_of_service(user, service),
                "transition_errors": errors or [],
            },
            status=status,
        )


class ServiceTransitionView(CapabilityRequiredMixin, View):
    """Move a service along its lifecycle (a button on the service page)."""

    capability = "portfolio.manage"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = scoped_object(services_visible_to, request.user, pk=pk)
        form = ServiceTransitionForm(request.POST)
        if form.is_valid():
            moved = run_service(
                form,
                lambda: service_services.service_transition(
                    actor=request.user,
                    service=service,
                    to_status=form.cleaned_data["to"],
                    expected_version=form.cleaned_data["version"],
                ),
            )
            if moved is not None:
                messages.success(
                    request, f"Service {moved} saved: it is now {moved.get_status_display()}."
                )
                return redirect("service-detail", pk=moved.pk)
        service = scoped_object(services_visible_to, request.user, pk=pk)
        errors = [str(e) for errs in form.errors.values() for e in errs]
        detail = ServiceDetailView()
        detail.setup(request, pk=pk)
        return detail.render_page(service, errors=errors, status=400)


class ServiceFormView(RecordFormView):
    """Create a service, or edit one with the version the editor saw."""

    capability = "portfolio.manage"
    form_class = ServiceForm
    selector = staticmethod(services_visible_to)
    noun = "service"
    detail_url_name = "service-detail"
    list_url_name = "service-list"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        services = services_visible_to(user)
        if obj is not None:
            services = services.exclude(pk=obj.pk)
        return {
            "people": people_visible_to(user),
            "teams": teams_visible_to(user),
            "calendars": calendars_visible_to(user),
            "services": services,
            "cis": cis_visible_to(user),
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        return service_initial(obj) if obj is not None else {}

    def create(self, data: dict[str, Any]) -> Any:
        return service_services.service_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return service_services.service_update(
            actor=self.request.user, service=obj, data=data, expected_version=version
        )


class ServiceImportView(CapabilityRequiredMixin, View):
    """Upload a CSV of services: all rows are imported, or none."""

    capability = "portfolio.manage"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(ServiceImportForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ServiceImportForm(request.POST, request.FILES)
        if form.is_valid():
            result = run_service(
                form,
                lambda: service_services.services_import_csv(
                    actor=request.user,
                    text=form.cleaned_data["file"],
                    dry_run=form.cleaned_data["dry_run"],
                ),
            )
            if result is not None:
                summary = (
                    f"{len(result.created)} created, {len(result.updated)} updated, "
                    f"{len(result.unchanged)} unchanged"
                )
                if result.dry_run:
                    messages.success(request, f"Checked, nothing saved: {summary}.")
                    return self._render(ServiceImportForm())
                messages.success(request, f"Services imported and saved: {summary}.")
                return redirect("service-list")
        return self._render(form, status=400)

    def _render(self, form: Any, status: int = 200) -> HttpResponse:
        return render(self.request, "portfolio/service_import.html", {"form": form}, status=status)


urlpatterns = [
    path("services/", ServiceListView.as_view(), name="service-list"),
    path("services/new/", ServiceFormView.as_view(), name="service-create"),
    path("services/import/", ServiceImportView.as_view(), name="service-import"),
    path("services/export/", ServiceExportView.as_view(), name="service-export"),
    path("services/<int:pk>/", ServiceDetailView.as_view(), name="service-detail"),
    path("services/<int:pk>/edit/", ServiceFormView.as_view(), name="service-edit"),
    path(
        "services/<int:pk>/transition/",
        ServiceTransitionView.as_view(),
        name="service-transition",
    ),
]
