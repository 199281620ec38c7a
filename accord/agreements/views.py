"""Pages of calendars and agreements (with their targets and text versions)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.decorators.http import require_POST

from accord.agreements import calendars, selectors, services
from accord.agreements.choices import AGREEMENT_STATUS_COLOURS, AgreementStatus, Metric
from accord.agreements.filters import AgreementFilterSet, CalendarFilterSet
from accord.agreements.forms import (
    DAY_NAMES,
    AgreementForm,
    AgreementTextForm,
    CalendarForm,
    TargetForm,
    TransitionForm,
    agreement_initial,
    calendar_initial,
    target_initial,
)
from accord.core.choices import Priority
from accord.core.models import Person, Team
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.records import StaleVersion
from accord.core.selectors import audit_events_visible_to, organisations_visible_to
from accord.core.web import (
    CapabilityRequiredMixin,
    current_values,
    paginate,
    run_service,
    scoped_object,
)


def _services_visible_to(person: Any) -> Any:
    from accord.portfolio.selectors.service import services_visible_to

    return services_visible_to(person)


def _form_page(request: HttpRequest, form: Any, title: str, cancel: str, obj: Any, status: int):
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": title,
            "cancel_url": cancel,
            "object": obj,
            "current_values": current_values(form, obj),
        },
        status=status,
    )


# --- Calendars --------------------------------------------------------------------------------


class CalendarListView(CapabilityRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.calendars_visible_to(request.user).order_by("name", "pk")
        filterset = CalendarFilterSet(request.GET, queryset=qs)
        return render(
            request,
            "agreements/calendar_list.html",
            {
                "filter": filterset,
                "page": paginate(request, filterset.qs),
                "can_manage": has_capability(request.user, "calendars.manage"),
            },
        )


class CalendarDetailView(CapabilityRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        calendar = scoped_object(selectors.calendars_visible_to, request.user, pk=pk)
        cal = calendars.business_calendar(calendar)
        now = timezone.now()
        hours = cal.weekly_hours
        week = [
            (DAY_NAMES[day], ", ".join(f"{s}-{e}" for s, e in hours.get(day, ())) or "closed")
            for day in range(7)
        ]
        return render(
            request,
            "agreements/calendar_detail.html",
            {
                "object": calendar,
                "week": week,
                "weekly_total": selectors.business_duration(cal.weekly_total),
                "periods": calendars.open_periods(cal, now, 10),
                "holidays": calendars.upcoming_holidays(cal, now.astimezone(cal.zone).date(), 10),
                "agreements": selectors.agreements_visible_to(request.user).filter(
                    calendar=calendar
                )[:50],
                "can_manage": has_capability(request.user, "calendars.manage"),
                "events": audit_events_visible_to(request.user).filter(
                    object_type="agreements.calendar", object_id=str(calendar.pk)
                )[:20],
            },
        )


class CalendarFormView(CapabilityRequiredMixin, View):
    capability = "calendars.manage"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Calendars serve every customer: only the provider's staff define them.
        if request.user.is_authenticated and not sees_all_organisations(request.user):
            raise PermissionDenied("This page is not part of your role.")
        return super().dispatch(request, *args, **kwargs)

    def _calendar(self, pk: int | None) -> Any:
        if pk is None:
            return None
        return scoped_object(selectors.calendars_visible_to, self.request.user, pk=pk)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        calendar = self._calendar(pk)
        initial = calendar_initial(calendar) if calendar else {"weekly_hours": _DEFAULT_HOURS}
        return self._render(CalendarForm(initial=initial), calendar)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        calendar = self._calendar(pk)
        form = CalendarForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            if calendar is None:
                result = run_service(
                    form, lambda: services.calendar_create(actor=request.user, **data)
                )
            else:
                result = run_service(
                    form,
                    lambda: services.calendar_update(
                        actor=request.user, calendar=calendar, data=data, expected_version=version
                    ),
                )
            if result is not None:
                messages.success(request, f"Calendar {result} saved.")
                return redirect("calendar-detail", pk=result.pk)
        return self._render(form, calendar, status=400)

    def _render(self, form: Any, calendar: Any, status: int = 200) -> HttpResponse:
        cancel = (
            reverse("calendar-detail", args=[calendar.pk]) if calendar else reverse("calendar-list")
        )
        title = f"Edit {calendar}" if calendar else "New calendar"
        return _form_page(self.request, form, title, cancel, calendar, status)


_DEFAULT_HOURS = "\n".join(f"{day} 09:00-17:00" for day in DAY_NAMES[:5])


# --- Agreements -------------------------------------------------------------------------------


class AgreementListView(CapabilityRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        qs = (
            selectors.agreements_visible_to(request.user)
            .annotate(service_count=Count("services", distinct=True))
            .order_by("code", "pk")
        )
        filterset = AgreementFilterSet(request.GET, queryset=qs)
        return render(
            request,
            "agreements/agreement_list.html",
            {
                "filter": filterset,
                "page": paginate(request, filterset.qs),
                "status_colours": AGREEMENT_STATUS_COLOURS,
                "can_manage": has_capability(request.user, "agreements.manage")
                and sees_all_organisations(request.user),
            },
        )


def _target_matrix(targets: list[Any]) -> list[dict[str, Any]]:
    """Rows per metric, one cell per priority ('all' first), for the targets table."""
    columns = ["", *Priority.values]
    rows = []
    for metric in Metric:
        cells = {t.priority: t for t in targets if t.metric == metric}
        if not cells:
            continue
        rows.append(
            {
                "metric": metric.label,
                "cells": [
                    {"priority": p, "target": cells.get(p), "measure": _measure(cells.get(p))}
                    for p in columns
                ],
            }
        )
    return rows


def _measure(target: Any) -> str:
    return selectors.target_measure(target) if target is not None else ""


class AgreementDetailView(CapabilityRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = scoped_object(selectors.agreements_visible_to, request.user, pk=pk)
        user = request.user
        targets = list(agreement.targets.order_by("metric", "priority"))
        staff = sees_all_organisations(user)
        manage = staff and has_capability(user, "agreements.manage", agreement.organisation_id)
        approve = staff and has_capability(user, "agreements.approve", agreement.organisation_id)
        status = agreement.status
        is_draft = status == AgreementStatus.DRAFT
        closed = status in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)
        events = audit_events_visible_to(user).filter(
            Q(object_type="agreements.agreement", object_id=str(agreement.pk))
            | Q(object_type="agreements.target", object_id__in=[str(t.pk) for t in targets])
        )[:30]
        return render(
            request,
            "agreements/agreement_detail.html",
            {
                "object": agreement,
                "status_colour": AGREEMENT_STATUS_COLOURS[status],
                "services": agreement.services.order_by("code"),
                "targets": targets,
                "matrix": _target_matrix(targets),
                "priority_columns": ["All", *Priority.values],
                "flags": selectors.loose_targets(agreement) if staff else [],
                "overlaps": selectors.overlapping_slas(agreement) if staff and is_draft else [],
                "texts": agreement.texts.select_related("author").order_by("-number"),
                "events": events,
                "can_edit": manage and not closed,
                "can_edit_targets": manage and is_draft,
                "can_add_text": manage and not closed,
                "can_activate": approve and is_draft,
                "can_expire": approve and status == AgreementStatus.ACTIVE,
                "can_terminate": approve and not closed,
            },
        )


class AgreementFormView(CapabilityRequiredMixin, View):
    capability = "agreements.manage"

    def _agreement(self, pk: int | None) -> Any:
        if pk is None:
            return None
        return scoped_object(selectors.agreements_visible_to, self.request.user, pk=pk)

    def _form(self, agreement: Any, *args: Any, **kwargs: Any) -> AgreementForm:
        user = self.request.user
        return AgreementForm(
            *args,
            organisations=organisations_visible_to(user).filter(is_active=True),
            teams=Team.objects.filter(organisation__kind="provider", is_active=True),
            services=_services_visible_to(user),
            calendars=selectors.calendars_visible_to(user),
            owners=Person.objects.filter(organisation__kind="provider", is_active=True),
            agreement=agreement,
            **kwargs,
        )

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        agreement = self._agreement(pk)
        initial = (
            agreement_initial(agreement)
            if agreement
            else {"owner": request.user.pk, "organisation": request.GET.get("organisation")}
        )
        return self._render(self._form(agreement, initial=initial), agreement)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        agreement = self._agreement(pk)
        form = self._form(
            agreement,
            request.POST,
            initial=agreement_initial(agreement) if agreement else None,
        )
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            if agreement is None:
                result = run_service(
                    form, lambda: services.agreement_create(actor=request.user, **data)
                )
            else:
                result = run_service(
                    form,
                    lambda: services.agreement_update(
                        actor=request.user,
                        agreement=agreement,
                        data=data,
                        expected_version=version,
                    ),
                )
            if result is not None:
                messages.success(request, f"Agreement {result.code} saved.")
                return redirect("agreement-detail", pk=result.pk)
        return self._render(form, agreement, status=400)

    def _render(self, form: Any, agreement: Any, status: int = 200) -> HttpResponse:
        cancel = (
            reverse("agreement-detail", args=[agreement.pk])
            if agreement
            else reverse("agreement-list")
        )
        title = f"Edit {agreement.code}" if agreement else "New agreement"
        return _form_page(self.request, form, title, cancel, agreement, status)


class AgreementTextView(CapabilityRequiredMixin, View):
    capability = "agreements.manage"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = scoped_object(selectors.agreements_visible_to, request.user, pk=pk)
        latest = agreement.texts.order_by("-number").first()
        form = AgreementTextForm(initial={"body": latest.body if latest else ""})
        return self._render(form, agreement)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = scoped_object(selectors.agreements_visible_to, request.user, pk=pk)
        form = AgreementTextForm(request.POST)
        if form.is_valid():
            text = run_service(
                form,
                lambda: services.agreement_text_add(
                    actor=request.user, agreement=agreement, body=form.cleaned_data["body"]
                ),
            )
            if text is not None:
                messages.success(request, f"Text version {text.number} saved.")
                return redirect("agreement-detail", pk=agreement.pk)
        return self._render(form, agreement, status=400)

    def _render(self, form: Any, agreement: Any, status: int = 200) -> HttpResponse:
        cancel = reverse("agreement-detail", args=[agreement.pk])
        return _form_page(
            self.request, form, f"New text version of {agreement.code}", cancel, None, status
        )


_TRANSITIONS = {
    "activate": (services.agreement_activate, "is now active"),
    "expire": (services.agreement_expire, "has expired"),
    "terminate": (services.agreement_terminate, "is terminated"),
}


@require_POST
@login_required
def agreement_transition(request: HttpRequest, pk: int, transition: str) -> HttpResponse:
    agreement = scoped_object(selectors.agreements_visible_to, request.user, pk=pk)
    if not has_capability(request.user, "agreements.approve", agreement.organisation_id):
        raise PermissionDenied("This page is not part of your role.")
    service, done = _TRANSITIONS[transition]
    form = TransitionForm(request.POST)
    version = form.cleaned_data.get("version") if form.is_valid() else None
    try:
        service(actor=request.user, agreement=agreement, expected_version=version)
    except StaleVersion as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Agreement {agreement.code} {done}.")
    return redirect("agreement-detail", pk=agreement.pk)


# --- Targets ----------------------------------------------------------------------------------


class TargetFormView(CapabilityRequiredMixin, View):
    capability = "agreements.manage"

    def _objects(self, pk: int | None, target_pk: int | None) -> tuple[Any, Any]:
        user = self.request.user
        if target_pk is not None:
            target = scoped_object(selectors.targets_visible_to, user, pk=target_pk)
            return target.agreement, target
        return scoped_object(selectors.agreements_visible_to, user, pk=pk), None

    def get(
        self, request: HttpRequest, pk: int | None = None, target_pk: int | None = None
    ) -> HttpResponse:
        agreement, target = self._objects(pk, target_pk)
        initial = target_initial(target) if target else {"metric": request.GET.get("metric")}
        return self._render(TargetForm(initial=initial), agreement, target)

    def post(
        self, request: HttpRequest, pk: int | None = None, target_pk: int | None = None
    ) -> HttpResponse:
        agreement, target = self._objects(pk, target_pk)
        form = TargetForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            if target is None:
                result = run_service(
                    form,
                    lambda: services.target_create(actor=request.user, agreement=agreement, **data),
                )
            else:
                result = run_service(
                    form,
                    lambda: services.target_update(
                        actor=request.user, target=target, data=data, expected_version=version
                    ),
                )
            if result is not None:
                messages.success(request, f"Target {result} saved.")
                return redirect("agreement-detail", pk=agreement.pk)
        return self._render(form, agreement, target, status=400)

    def _render(self, form: Any, agreement: Any, target: Any, status: int = 200) -> HttpResponse:
        cancel = reverse("agreement-detail", args=[agreement.pk])
        title = f"Edit target of {agreement.code}" if target else f"New target of {agreement.code}"
        return _form_page(self.request, form, title, cancel, target, status)


@require_POST
@login_required
def target_delete(request: HttpRequest, target_pk: int) -> HttpResponse:
    target = scoped_object(selectors.targets_visible_to, request.user, pk=target_pk)
    agreement = target.agreement
    if not has_capability(request.user, "agreements.manage", agreement.organisation_id):
        raise PermissionDenied("This page is not part of your role.")
    try:
        services.target_delete(actor=request.user, target=target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Target {target} deleted.")
    return redirect("agreement-detail", pk=agreement.pk)
