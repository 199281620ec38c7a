"""Pages of the catalogue: customers browse the offerings they may request; managers publish,
edit, retire and re-activate them. Every write goes through the catalogue services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from accord.core import selectors as core_selectors
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.records import StaleVersion
from accord.core.web import (
    CapabilityRequiredMixin,
    RecordFormView,
    paginate,
    scoped_object,
)
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.filters.catalogue import CatalogueBrowseFilterSet, CatalogueManageFilterSet
from accord.portfolio.forms.catalogue import (
    CatalogueItemForm,
    catalogue_item_initial,
    form_choices,
    format_duration,
)
from accord.portfolio.formschema import build_form
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.portfolio.services import catalogue as services

MANAGE = services.CAPABILITY
OBJECT_TYPE = "portfolio.catalogueitem"


class CatalogueListView(CapabilityRequiredMixin, View):
    """The catalogue, grouped by service, with a search box (every signed-in person; each sees
    the items offered to them, managers see every item with more filters)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        manager = has_capability(user, MANAGE)
        qs = (
            catalogue_items_visible_to(user)
            .prefetch_related("organisations")
            .order_by("service__name", "service_id", "name", "pk")
        )
        filterset_class = CatalogueManageFilterSet if manager else CatalogueBrowseFilterSet
        filterset = filterset_class(request.GET, queryset=qs, request=request)
        page = paginate(request, filterset.qs)
        for item in page:
            item.target_display = format_duration(item.target_fulfilment)
        return render(
            request,
            "portfolio/catalogue_list.html",
            {
                "filter": filterset,
                "page": page,
                "can_manage": manager,
                "sees_all": sees_all_organisations(user),
            },
        )


class CatalogueDetailView(CapabilityRequiredMixin, View):
    """One offering: what it is, how fast, whether approved, and its request form, live but
    only validating (no request is created from this page)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = scoped_object(catalogue_items_visible_to, request.user, pk=pk)
        form_class, schema_errors = _request_form(item)
        form = form_class(prefix="answer") if form_class else None
        return self._render(item, form, schema_errors)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = scoped_object(catalogue_items_visible_to, request.user, pk=pk)
        form_class, schema_errors = _request_form(item)
        if form_class is None:
            return self._render(item, None, schema_errors, status=400)
        form = form_class(request.POST, prefix="answer")
        if form.is_valid():
            return self._render(item, form, schema_errors, answers=form.answers)
        return self._render(item, form, schema_errors, status=400)

    def _render(
        self,
        item: Any,
        form: Any,
        schema_errors: list[str],
        answers: dict[str, Any] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        user = self.request.user
        sees_all = sees_all_organisations(user)
        events = (
            core_selectors.audit_events_visible_to(user).filter(
                object_type=OBJECT_TYPE, object_id=str(item.pk)
            )[:20]
            if sees_all
            else []
        )
        labels = {f["name"]: f["label"] for f in item.form_schema} if answers else {}
        return render(
            self.request,
            "portfolio/catalogue_detail.html",
            {
                "object": item,
                "target_display": format_duration(item.target_fulfilment),
                "organisations": item.organisations.order_by("name") if sees_all else [],
                "request_form": form,
                "schema_errors": schema_errors,
                "answers": (
                    [(labels[k], _shown(v)) for k, v in answers.items()]
                    if answers is not None
                    else None
                ),
                "can_manage": has_capability(user, MANAGE),
                "sees_all": sees_all,
                "events": events,
            },
            status=status,
        )


def _shown(value: Any) -> str:
    """A cleaned answer as a person reads it."""
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value) or "—"
    return "—" if value in (None, "") else str(value)


def _request_form(item: Any) -> tuple[Any, list[str]]:
    """The form class of an item's request form, or None with the reasons it cannot be built
    (a definition stored before the rules, or written past the services)."""
    try:
        return build_form(item.form_schema), []
    except ValidationError as exc:
        return None, list(exc.messages)


class CatalogueItemFormView(RecordFormView):
    """Create (``pk`` None) or edit an item; the request form is edited as JSON."""

    capability = MANAGE
    form_class = CatalogueItemForm
    selector = staticmethod(catalogue_items_visible_to)
    noun = "catalogue item"
    detail_url_name = "catalogue-detail"
    list_url_name = "catalogue-list"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        live = Q(status__in=[ServiceStatus.LIVE, ServiceStatus.PIPELINE])
        if obj is not None:
            live |= Q(pk=obj.service_id)
        return form_choices(
            services_visible_to(user).filter(live).order_by("name"),
            core_selectors.teams_visible_to(user).order_by("name"),
            core_selectors.organisations_visible_to(user).order_by("name"),
        )

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"service": self.request.GET.get("service"), "form_schema": []}
        return catalogue_item_initial(obj)

    def create(self, data: dict[str, Any]) -> Any:
        return services.catalogue_item_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.catalogue_item_update(
            actor=self.request.user, item=obj, data=data, expected_version=version
        )


class CatalogueItemStateView(CapabilityRequiredMixin, View):
    """Retire an item or offer it again (POST, with the version the manager saw)."""

    capability = MANAGE
    active: bool = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = scoped_object(catalogue_items_visible_to, request.user, pk=pk)
        raw = request.POST.get("version", "")
        version = int(raw) if raw.isdigit() else None
        call = services.catalogue_item_activate if self.active else services.catalogue_item_retire
        try:
            call(actor=request.user, item=item, expected_version=version)
        except StaleVersion as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            done = "is offered again" if self.active else "was retired"
            messages.success(request, f"Catalogue item {item} {done}.")
        return redirect("catalogue-detail", pk=item.pk)


urlpatterns = [
    path("catalogue/", CatalogueListView.as_view(), name="catalogue-list"),
    path("catalogue/new/", CatalogueItemFormView.as_view(), name="catalogue-create"),
    path("catalogue/<int:pk>/", CatalogueDetailView.as_view(), name="catalogue-detail"),
    path("catalogue/<int:pk>/edit/", CatalogueItemFormView.as_view(), name="catalogue-edit"),
    path(
        "catalogue/<int:pk>/retire/",
        CatalogueItemStateView.as_view(active=False),
        name="catalogue-retire",
    ),
    path(
        "catalogue/<int:pk>/activate/",
        CatalogueItemStateView.as_view(active=True),
        name="catalogue-activate",
    ),
]
