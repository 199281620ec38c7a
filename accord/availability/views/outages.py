"""Pages of outages: the filterable list, one outage with everything about it, the record and
edit forms, and the actions (restore, close, cancel, exclusions, investigation), plus raising
the outage of an incident or the maintenance outages of a change in one click.

Every write goes through :mod:`accord.availability.services`; a refusal comes back as a form
error on the page (400) or, for a one-click action from another page, as a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views import View

from accord.agreements.choices import AgreementStatus
from accord.availability import selectors, services
from accord.availability.choices import (
    INVESTIGATION_STATUS_COLOURS,
    OUTAGE_KIND_COLOURS,
    OUTAGE_STATE_COLOURS,
    InvestigationStatus,
    OutageState,
)
from accord.availability.forms import (
    CancelForm,
    CloseForm,
    ExclusionForm,
    InvestigationForm,
    OutageFilterForm,
    OutageForm,
    RestoreForm,
    VersionForm,
    investigation_initial,
    outage_initial,
    unchanged_instant,
)
from accord.availability.models import Investigation, Outage, OutageExclusion
from accord.availability.views.common import AvailabilityReaderMixin, require
from accord.availability.views.figures import outage_length, outage_rows
from accord.changes.selectors.changes import changes_visible_to
from accord.core.choices import OrganisationKind
from accord.core.models import Organisation
from accord.core.records import StaleVersion
from accord.core.selectors import provider_staff
from accord.core.web import RecordFormView, paginate, run_service, scoped_object
from accord.domain.availability import period_bounds
from accord.incidents.selectors import incidents_visible_to
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.problems.selectors.problems import problems_visible_to


def outage_selector(person: Any) -> QuerySet[Outage]:
    return selectors.outages_visible_to(person).select_related("recorded_by", "closed_by")


def _state_filter(state: str, now: dt.datetime) -> Q:
    """The outages in ``state`` now, as a database condition (the state is not stored)."""
    live = Q(cancelled_at__isnull=True, closed_at__isnull=True)
    return {
        OutageState.UPCOMING: live & Q(start__gt=now),
        OutageState.ONGOING: live & Q(start__lte=now) & (Q(end__isnull=True) | Q(end__gt=now)),
        OutageState.RESTORED: live & Q(end__lte=now),
        OutageState.CLOSED: Q(cancelled_at__isnull=True, closed_at__isnull=False),
        OutageState.CANCELLED: Q(cancelled_at__isnull=False),
    }[OutageState(state)]


def listed_services(person: Any) -> QuerySet[Any]:
    return services_visible_to(person).exclude(status=ServiceStatus.PIPELINE).order_by("name")


class OutageListView(AvailabilityReaderMixin, View):
    """``/availability/outages/``: every outage, newest first; ``?service=``, ``?kind=``,
    ``?state=`` and ``?period=`` narrow it."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        user = request.user
        rows = selectors.outages_visible_to(user)
        form = OutageFilterForm(request.GET or None, services=listed_services(user))
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            if data.get("service"):
                rows = rows.filter(service=data["service"])
            if data.get("kind"):
                rows = rows.filter(kind=data["kind"])
            if data.get("state"):
                rows = rows.filter(_state_filter(data["state"], now))
            if data.get("period"):
                try:
                    start, end = period_bounds(data["period"], selectors.default_zone())
                except ValueError as exc:
                    form.add_error("period", str(exc))
                    rows = rows.none()
                else:
                    rows = rows.filter(start__lt=end).filter(Q(end__isnull=True) | Q(end__gt=start))
        elif form.is_bound:
            rows = rows.none()
        page = paginate(request, rows.order_by("-start", "-pk"))
        return render(
            request,
            "availability/outage_list.html",
            {
                "page": page,
                "rows": outage_rows(list(page.object_list), set(), now),
                "form": form,
                "may_record": services.may_record(user),
            },
            status=400 if form.errors else 200,
        )


# --- one outage ---------------------------------------------------------------------------------


def _investigation(outage: Outage) -> Investigation | None:
    try:
        return Investigation.objects.select_related("owner", "problem", "completed_by").get(
            outage=outage
        )
    except ObjectDoesNotExist:
        return None


def exclusion_agreements(outage: Outage, person: Any) -> QuerySet[Any]:
    """Active agreements covering the outage's service that still count it."""
    return (
        selectors.availability_agreements_visible_to(person)
        .filter(services=outage.service_id, status=AgreementStatus.ACTIVE)
        .exclude(outage_exclusions__outage=outage)
        .order_by("code")
    )


def render_outage(
    request: HttpRequest,
    outage: Outage,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The outage's page, with a refused form's errors when one came back."""
    user = request.user
    bound = bound or {}
    now = timezone.now()
    state = services.state_of(outage, now)
    final = state in (OutageState.CLOSED, OutageState.CANCELLED)
    may_record = services.may_record(user)
    may_manage = services.may_manage(user)
    investigation = _investigation(outage)
    blockers = [] if final else services.closing_blockers(outage, now)
    initial = {"version": outage.version}
    context: dict[str, Any] = {
        "outage": outage,
        "state": state,
        "state_label": OutageState(state).label,
        "state_colour": OUTAGE_STATE_COLOURS[state],
        "kind_colour": OUTAGE_KIND_COLOURS.get(outage.kind, "grey"),
        "length": outage_length(outage, now),
        "customers": list(outage.customers.order_by("name")),
        "exclusions": list(outage.exclusions.select_related("agreement", "recorded_by")),
        "investigation": investigation,
        "investigation_required": services.investigation_required(outage),
        "blockers": blockers,
        "may_record": may_record,
        "may_edit": may_record and not final,
        "may_manage": may_manage and not final,
        "restore_form": None,
        "close_form": None,
        "cancel_form": None,
        "exclusion_form": None,
        "investigation_form": None,
        "complete_form": None,
        **{
            f"{name}_url": reverse(f"outage-{url}", args=[outage.pk])
            for name, url in (
                ("restore", "restore"),
                ("close", "close"),
                ("cancel", "cancel"),
                ("exclusion", "exclusion-add"),
                ("investigation", "investigation"),
                ("complete", "investigation-complete"),
            )
        },
    }
    if investigation is not None:
        context["investigation_colour"] = INVESTIGATION_STATUS_COLOURS[investigation.status]
    if may_record and state == OutageState.ONGOING:
        context["restore_form"] = bound.get("restore") or RestoreForm(initial=initial)
    if may_manage and not final:
        context["close_form"] = bound.get("close") or CloseForm(initial=initial)
        context["cancel_form"] = bound.get("cancel") or CancelForm(initial=initial)
        context["exclusion_form"] = bound.get("exclusion") or ExclusionForm(
            agreements=exclusion_agreements(outage, user)
        )
    if (
        may_manage
        and investigation is not None
        and (investigation.status == InvestigationStatus.OPEN)
    ):
        inv_initial = {"version": investigation.version}
        context["investigation_form"] = bound.get("investigation") or InvestigationForm(
            initial=investigation_initial(investigation),
            querysets={"owner": provider_staff()},
            problems=problems_visible_to(user),
        )
        context["complete_form"] = bound.get("complete") or VersionForm(initial=inv_initial)
    return render(request, "availability/outage_detail.html", context, status=status)


class OutageDetailView(AvailabilityReaderMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_outage(request, scoped_object(outage_selector, request.user, pk=pk))


class OutageFormView(AvailabilityReaderMixin, RecordFormView):
    """``/availability/outages/new/`` and ``/availability/outages/<pk>/edit/``."""

    capability = "outages.record"
    template_name = "availability/outage_form.html"
    form_class = OutageForm
    selector = staticmethod(outage_selector)
    noun = "outage"
    detail_url_name = "outage-detail"
    list_url_name = "outage-list"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and selectors.is_availability_staff(request.user):
            require(services.may_record(request.user))
        return super().dispatch(request, *args, **kwargs)

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            "querysets": {
                "service": listed_services(user),
                "configuration_item": cis_visible_to(user).order_by("name"),
                "customers": Organisation.objects.filter(kind=OrganisationKind.CUSTOMER).order_by(
                    "name"
                ),
            },
            "references": {
                "incident": incidents_visible_to(user),
                "change": changes_visible_to(user),
            },
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return outage_initial(obj)
        params = self.request.GET
        return {
            "service": params.get("service"),
            "kind": params.get("kind") or "unplanned",
            "start": timezone.localtime().replace(microsecond=0),
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.outage_create(actor=self.request.user, data=self._write(data, None))

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.outage_update(
            actor=self.request.user, outage=obj, data=self._write(data, obj), version=version
        )

    def _write(self, data: dict[str, Any], obj: Outage | None) -> dict[str, Any]:
        """The cleaned form as the services take it. Instants shown unchanged keep their
        stored value (the form shows seconds, not microseconds)."""
        data = {k: v for k, v in data.items() if k != "version"}
        data["customers"] = list(data.get("customers") or [])
        if data.get("severity") != "degraded" or data.get("weight") is None:
            data.pop("weight", None)
        if obj is not None:
            for name in ("start", "detected_at", "end"):
                if unchanged_instant(data.get(name), getattr(obj, name)):
                    data.pop(name, None)
        return data

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Record an outage"

    def success_message(self, result: Any) -> str:
        return f"Outage {result.reference} saved."


# --- actions on one outage ----------------------------------------------------------------------


class OutageActionView(AvailabilityReaderMixin, View):
    """A POST-only action on one outage. A refusal re-renders the page with the form (400)."""

    #: The detail page's name for this action's form.
    name: str
    form_class: type[forms.Form] = forms.Form

    def allowed(self, user: Any) -> bool:
        return services.may_manage(user)

    def form(self, request: HttpRequest, outage: Outage) -> forms.Form:
        return self.form_class(request.POST)

    def call(self, request: HttpRequest, outage: Outage, form: forms.Form) -> str:
        """Run the service; return the success message."""
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        outage = scoped_object(outage_selector, request.user, pk=pk)
        require(self.allowed(request.user))
        self.kwargs = {"pk": pk, **kwargs}
        form = self.form(request, outage)
        if form.is_valid():
            message = run_service(form, lambda: self.call(request, outage, form))
            if message is not None:
                messages.success(request, message)
                return redirect("outage-detail", pk=outage.pk)
        fresh = scoped_object(outage_selector, request.user, pk=pk)
        return render_outage(request, fresh, bound={self.name: form}, status=400)


class RestoreView(OutageActionView):
    name = "restore"
    form_class = RestoreForm

    def allowed(self, user: Any) -> bool:
        return services.may_record(user)

    def call(self, request: HttpRequest, outage: Outage, form: forms.Form) -> str:
        saved = services.outage_restore(
            actor=request.user,
            outage=outage,
            end=form.cleaned_data["end"],
            version=form.cleaned_data["version"],
        )
        return f"{saved.reference} restored."


class CloseView(OutageActionView):
    name = "close"
    form_class = CloseForm

    def call(self, request: HttpRequest, outage: Outage, form: forms.Form) -> str:
        saved = services.outage_close(
            actor=request.user,
            outage=outage,
            notes=form.cleaned_data["notes"],
            version=form.cleaned_data["version"],
        )
        return f"{saved.reference} closed."


class CancelView(OutageActionView):
    name = "cancel"
    form_class = CancelForm

    def call(self, request: HttpRequest, outage: Outage, form: forms.Form) -> str:
        saved = services.outage_cancel(
            actor=request.user,
            outage=outage,
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data["version"],
        )
        return f"{saved.reference} cancelled."


class ExclusionAddView(OutageActionView):
    name = "exclusion"

    def form(self, request: HttpRequest, outage: Outage) -> forms.Form:
        return ExclusionForm(request.POST, agreements=exclusion_agreements(outage, request.user))

    def call(self, request: HttpRequest, outage: Outage, form: forms.Form) -> str:
        agreement = form.cleaned_data["agreement"]
        services.exclusion_add(
            actor=request.user,
            outage=outage,
            agreement=agreement,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
        return f"{outage.reference} no longer counts against {agreement.code}."


class ExclusionRemoveView(OutageActionView):
    name = "exclusion_remove"

    def call(self, request: HttpRequest, outage: Outage, form: forms.Form) -> str:
        exclusion = get_object_or_404(
            OutageExclusion.objects.select_related("agreement", "outage"),
            pk=self.kwargs["exclusion_pk"],
            outage=outage,
        )
        services.exclusion_remove(actor=request.user, exclusion=exclusion)
        return f"{outage.reference} counts against {exclusion.agreement.code} again."

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        outage = scoped_object(outage_selector, request.user, pk=pk)
        require(self.allowed(request.user))
        self.kwargs = {"pk": pk, **kwargs}
        return _flash_call(request, lambda: self.call(request, outage, forms.Form()), outage.pk)


def _flash_call(request: HttpRequest, call: Callable[[], str], pk: int) -> HttpResponse:
    """Run a one-click action; its refusal becomes an error message on the outage's page."""
    try:
        messages.success(request, call())
    except (ValidationError, StaleVersion) as exc:
        messages.error(request, " ".join(_messages_of(exc)))
    return redirect("outage-detail", pk=pk)


def _messages_of(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(m) for m in exc.messages]
    return [str(exc)]


class InvestigationSaveView(OutageActionView):
    name = "investigation"

    def form(self, request: HttpRequest, outage: Outage) -> forms.Form:
        return InvestigationForm(
            request.POST,
            querysets={"owner": provider_staff()},
            problems=problems_visible_to(request.user),
        )

    def call(self, request: HttpRequest, outage: Outage, form: forms.Form) -> str:
        investigation = get_object_or_404(Investigation, outage=outage)
        services.investigation_update(
            actor=request.user,
            investigation=investigation,
            data=form.data_to_write(),  # type: ignore[attr-defined]
            version=form.cleaned_data["version"],
        )
        return f"Investigation of {outage.reference} saved."


class InvestigationCompleteView(OutageActionView):
    name = "complete"
    form_class = VersionForm

    def call(self, request: HttpRequest, outage: Outage, form: forms.Form) -> str:
        investigation = get_object_or_404(Investigation, outage=outage)
        services.investigation_complete(
            actor=request.user, investigation=investigation, version=form.cleaned_data["version"]
        )
        return f"Investigation of {outage.reference} completed."


# --- raised from incidents and changes ----------------------------------------------------------


class FromIncidentView(AvailabilityReaderMixin, View):
    """POST from an incident's page: its outage, in one action."""

    def post(self, request: HttpRequest, incident_pk: int) -> HttpResponse:
        incident = scoped_object(incidents_visible_to, request.user, pk=incident_pk)
        require(services.may_record(request.user))
        try:
            outage = services.outage_from_incident(actor=request.user, incident=incident)
        except ValidationError as exc:
            messages.error(request, " ".join(_messages_of(exc)))
            return redirect("incident-detail", pk=incident.pk)
        messages.success(request, f"Outage {outage.reference} raised from {incident.reference}.")
        return redirect("outage-detail", pk=outage.pk)


class FromChangeView(AvailabilityReaderMixin, View):
    """POST from a change's page: the planned maintenance outages of its services."""

    def post(self, request: HttpRequest, change_pk: int) -> HttpResponse:
        change = scoped_object(changes_visible_to, request.user, pk=change_pk)
        require(services.may_record(request.user))
        try:
            made = services.outages_from_change(actor=request.user, change=change)
        except ValidationError as exc:
            messages.error(request, " ".join(_messages_of(exc)))
            return redirect("change-detail", change.reference)
        references = ", ".join(o.reference for o in made)
        messages.success(
            request, f"Maintenance outages recorded for {change.reference}: {references}."
        )
        if len(made) == 1:
            return redirect("outage-detail", pk=made[0].pk)
        return redirect(f"{reverse('outage-list')}?kind=planned")


urlpatterns: list[URLPattern] = [
    path("availability/outages/", OutageListView.as_view(), name="outage-list"),
    path("availability/outages/new/", OutageFormView.as_view(), name="outage-create"),
    path("availability/outages/<int:pk>/", OutageDetailView.as_view(), name="outage-detail"),
    path("availability/outages/<int:pk>/edit/", OutageFormView.as_view(), name="outage-edit"),
    path("availability/outages/<int:pk>/restore/", RestoreView.as_view(), name="outage-restore"),
    path("availability/outages/<int:pk>/close/", CloseView.as_view(), name="outage-close"),
    path("availability/outages/<int:pk>/cancel/", CancelView.as_view(), name="outage-cancel"),
    path(
        "availability/outages/<int:pk>/exclusions/",
        ExclusionAddView.as_view(),
        name="outage-exclusion-add",
    ),
    path(
        "availability/outages/<int:pk>/exclusions/<int:exclusion_pk>/remove/",
        ExclusionRemoveView.as_view(),
        name="outage-exclusion-remove",
    ),
    path(
        "availability/outages/<int:pk>/investigation/",
        InvestigationSaveView.as_view(),
        name="outage-investigation",
    ),
    path(
        "availability/outages/<int:pk>/investigation/complete/",
        InvestigationCompleteView.as_view(),
        name="outage-investigation-complete",
    ),
    path(
        "availability/outages/from-incident/<int:incident_pk>/",
        FromIncidentView.as_view(),
        name="outage-from-incident",
    ),
    path(
        "availability/outages/from-change/<int:change_pk>/",
        FromChangeView.as_view(),
        name="outage-from-change",
    ),
]
