"""The request page and its edit form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views import View

from accord.core.web import RecordFormView, scoped_object
from accord.incidents.forms import with_current
from accord.service_requests import selectors, services
from accord.service_requests.forms import (
    REQUESTER_FIELDS,
    STAFF_FIELDS,
    RequesterEditForm,
    StaffRequestEditForm,
    request_initial,
)
from accord.service_requests.models import ServiceRequest
from accord.service_requests.views.page import STAFF, render_request, writer_kind
from accord.service_requests.views.support import provider_teams, request_workers


class RequestDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        service_request = scoped_object(selectors.requests_visible_to, request.user, pk=pk)
        return render_request(request, service_request)


def _changed(service_request: ServiceRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Only what the editor changed against the stored request: an untouched field is not
    sent to the service, so it neither re-checks nor records it."""
    changes = {}
    for name, value in data.items():
        stored = getattr(service_request, ServiceRequest._meta.get_field(name).attname)
        if getattr(value, "pk", value) != stored:
            changes[name] = value
    return changes


class RequestFormView(RecordFormView):
    """``/requests/<pk>/edit/``: the fulfilling team routes the request (title, description,
    priority, team, assignee); the requester's side may add to the description."""

    template_name = "service_requests/request_form.html"
    form_class = StaffRequestEditForm
    selector = staticmethod(selectors.requests_visible_to)
    noun = "request"
    detail_url_name = "request-detail"
    list_url_name = "request-list"

    def get_object(self) -> Any:
        service_request = super().get_object()
        writer = writer_kind(self.request.user, service_request)
        if writer is None:
            raise PermissionDenied("This page is not part of your role.")
        self.staff = writer == STAFF
        return service_request

    def get_form_class(self, obj: Any) -> type[forms.Form]:
        return StaffRequestEditForm if self.staff else RequesterEditForm

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        if not self.staff:
            return {}
        return {
            "teams": with_current(provider_teams(), obj.fulfilment_team_id).order_by("name"),
            "workers": with_current(request_workers(), obj.assignee_id).order_by(
                "first_name", "last_name", "username"
            ),
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        return request_initial(obj, STAFF_FIELDS if self.staff else REQUESTER_FIELDS)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.request_update(
            actor=self.request.user,
            request=obj,
            data=_changed(obj, data),
            expected_version=version,
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}"

    def success_message(self, result: Any) -> str:
        return f"Request {result.reference} saved."

    def stored_values(self, form: forms.Form, obj: Any) -> list[tuple[str, str]] | None:
        """The stored values beside a form refused as stale, in the words the form uses
        ("P3 Moderate", not P3)."""
        if obj is None or getattr(form, "stale_version", None) is None:
            return None
        rows = []
        for field in form.visible_fields():
            display = getattr(obj, f"get_{field.name}_display", None)
            value = display() if display is not None else getattr(obj, field.name, None)
            rows.append((str(field.label), "—" if value in (None, "") else str(value)))
        return rows
