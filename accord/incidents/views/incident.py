"""The incident page, the new incident and edit forms, and attachment downloads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View

from accord.core.choices import OrganisationKind
from accord.core.permissions import sees_all_organisations
from accord.core.selectors import organisations_visible_to, people_visible_to
from accord.core.web import RecordFormView, scoped_object
from accord.incidents import selectors, services
from accord.incidents.filters import incident_workers, provider_teams
from accord.incidents.forms import (
    CustomerIncidentEditForm,
    CustomerIncidentForm,
    StaffIncidentEditForm,
    StaffIncidentForm,
    incident_initial,
    supplier_choices,
    with_current,
)
from accord.incidents.models import Incident
from accord.incidents.views.page import STAFF, render_incident, writer_kind
from accord.incidents.views.workspace import may_raise
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.problems.selectors.known_errors import is_staff_reader


class IncidentDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = scoped_object(selectors.incidents_visible_to, request.user, pk=pk)
        return render_incident(request, incident)


def _staff_choices(user: Any, incident: Incident | None) -> dict[str, QuerySet[Any]]:
    """The choices of the staff's form: what the person may see, plus what the incident
    already holds (a caller who left stays shown rather than failing the form)."""

    def held(name: str) -> Any:
        return getattr(incident, f"{name}_id") if incident is not None else None

    people = (
        people_visible_to(user)
        .filter(is_active=True)
        .exclude(organisation__kind=OrganisationKind.SUPPLIER)
        .order_by("first_name", "last_name", "username")
    )
    live = services_visible_to(user).filter(status=ServiceStatus.LIVE).order_by("name")
    return {
        "caller": with_current(people, held("caller")).order_by(
            "first_name", "last_name", "username"
        ),
        "organisation": organisations_visible_to(user)
        .filter(is_active=True)
        .exclude(kind=OrganisationKind.SUPPLIER)
        .order_by("name"),
        "service": with_current(live, held("service")).order_by("name"),
        "configuration_item": with_current(cis_visible_to(user), held("configuration_item"))
        .select_related("organisation")
        .order_by("name"),
        "category": with_current(
            selectors.categories_visible_to(user).filter(is_active=True), held("category")
        ).order_by("name"),
        "assignment_group": with_current(provider_teams(), held("assignment_group")).order_by(
            "name"
        ),
        "assignee": with_current(incident_workers(), held("assignee")).order_by(
            "first_name", "last_name", "username"
        ),
        "supplier": with_current(supplier_choices(), held("supplier")).order_by("name"),
    }


def _changed(incident: Incident, data: dict[str, Any]) -> dict[str, Any]:
    """Only what the editor changed against the stored incident: an untouched field is not
    sent to the service, so it neither re-checks nor records it."""
    changes = {}
    for name, value in data.items():
        field = Incident._meta.get_field(name)
        stored = getattr(incident, field.attname)
        if getattr(value, "pk", value) != stored:
            changes[name] = value
    return changes


class IncidentFormView(RecordFormView):
    """``/incidents/new/`` and ``/incidents/<pk>/edit/``: the staff's form records and routes;
    a customer's form reports (and later corrects) what is wrong. The role decides which."""

    template_name = "incidents/incident_form.html"
    form_class = StaffIncidentForm
    selector = staticmethod(selectors.incidents_visible_to)
    noun = "incident"
    detail_url_name = "incident-detail"
    list_url_name = "incident-list"

    def get_object(self) -> Any:
        user = self.request.user
        incident = super().get_object()
        if incident is None:
            if not may_raise(user):
                raise PermissionDenied("This page is not part of your role.")
            self.staff = sees_all_organisations(user)
        else:
            writer = writer_kind(user, incident)
            if writer is None:
                raise PermissionDenied("This page is not part of your role.")
            self.staff = writer == STAFF
        return incident

    def get_form_class(self, obj: Any) -> type[forms.Form]:
        if self.staff:
            return StaffIncidentForm if obj is None else StaffIncidentEditForm
        return CustomerIncidentForm if obj is None else CustomerIncidentEditForm

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        if self.staff:
            return {"choices": _staff_choices(user, obj)}
        live = services_visible_to(user).filter(status=ServiceStatus.LIVE).order_by("name")
        return {"choices": {"service": live}}

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return incident_initial(obj)
        return {} if not self.staff else {"caller": self.request.GET.get("caller")}

    def extra_context(self, obj: Any) -> dict[str, Any]:
        # While staff write a new incident, the known errors of its service or CI show up.
        return {
            "suggest_known_errors": obj is None
            and self.staff
            and is_staff_reader(self.request.user)
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.incident_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.incident_update(
            actor=self.request.user,
            incident=obj,
            data=_changed(obj, data),
            expected_version=version,
        )

    def title(self, obj: Any) -> str:
        if obj is not None:
            return f"Edit {obj.reference}"
        return "New incident" if self.staff else "Report an incident"

    def success_message(self, result: Any) -> str:
        return f"Incident {result.reference} saved."

    def stored_values(self, form: forms.Form, obj: Any) -> list[tuple[str, str]] | None:
        return stored_values(form, obj)


def stored_values(form: forms.Form, incident: Incident | None) -> list[tuple[str, str]] | None:
    """The incident's stored values beside a form refused as stale, in the words the form
    uses ("3 Low", not 3); None when the form was not refused as stale."""
    if incident is None or getattr(form, "stale_version", None) is None:
        return None
    rows = []
    for field in form.visible_fields():
        display = getattr(incident, f"get_{field.name}_display", None)
        value = display() if display is not None else getattr(incident, field.name, None)
        rows.append((str(field.label), "—" if value in (None, "") else str(value)))
    return rows


class AttachmentDownloadView(LoginRequiredMixin, View):
    """A file of an incident, to those who may see both (404 otherwise), always as a download
    with its declared type and no sniffing, so a file can never run as a page of Accord."""

    def get(self, request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
        incident = scoped_object(selectors.incidents_visible_to, request.user, pk=pk)
        attachment = get_object_or_404(
            selectors.attachments_visible_to(request.user, incident), pk=attachment_pk
        )
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The file is no longer stored.") from exc
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.media_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
