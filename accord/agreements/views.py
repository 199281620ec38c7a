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
    RecordFormView,
    current_values,
    paginate,
    run_service,
    scoped_object,
)
from accord.domain.schedule import describe_windows


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


_DEFAULT_HOURS = "\n".join(f"{day} 09:00-17:00" for day in DAY_NAMES[:5])


class CalendarFormView(RecordFormView):
    capability = "calendars.manage"
    form_class = CalendarForm
    selector = staticmethod(selectors.calendars_visible_to)
    noun = "calendar"
    detail_url_name = "calendar-detail"
    list_url_name = "calendar-list"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Calendars serve every customer: only the provider's staff define them.
        if request.user.is_authenticated and not sees_all_organisations(request.user):
            raise PermissionDenied("This page is not part of your role.")
        return super().dispatch(request, *args, **kwargs)

    def initial(self, obj: Any) -> dict[str, Any]:
        return calendar_initial(obj) if obj is not None else {"weekly_hours": _DEFAULT_HOURS}

    def create(self, data: dict[str, Any]) -> Any:
        return services.calendar_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.calendar_update(
            actor=self.request.user, calendar=obj, data=data, expected_version=version
        )


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
                "maintenance_windows": describe_windows(agreement.maintenance_windows or {}),
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


class AgreementFormView(RecordFormView):
    capability = "agreements.manage"
    form_class = AgreementForm
    selector = staticmethod(selectors.agreements_visible_to)
    noun = "agreement"
    detail_url_name = "agreement-detail"
    list_url_name = "agreement-list"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            "organisations": organisations_visible_to(user).filter(is_active=True),
            "teams": Team.objects.filter(organisation__kind="provider", is_active=True),
            "services": _services_visible_to(user),
            "calendars": selectors.calendars_visible_to(user),
            "owners": Person.objects.filter(organisation__kind="provider", is_active=True),
            "agreement": obj,
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {
                "owner": self.request.user.pk,
                "organisation": self.request.GET.get("organisation"),
            }
        return agreement_initial(obj)

    def bound_initial(self, obj: Any) -> dict[str, Any] | None:
        # An agreement in force has its terms disabled on the form.
        return agreement_initial(obj) if obj is not None else None

    def create(self, data: dict[str, Any]) -> Any:
        return services.agreement_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.agreement_update(
            actor=self.request.user, agreement=obj, data=data, expected_version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.code}" if obj is not None else "New agreement"

    def success_message(self, result: Any) -> str:
        return f"Agreement {result.code} saved."


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


class TargetFormView(RecordFormView):
    """A target is edited from its agreement's page and belongs to it: the agreement comes
    from the URL (new target) or from the target, and both pages lead back to it."""

    capability = "agreements.manage"
    form_class = TargetForm
    selector = staticmethod(selectors.targets_visible_to)
    noun = "target"
    agreement: Any = None

    def get_object(self) -> Any:
        user = self.request.user
        target_pk = self.kwargs.get("target_pk")
        if target_pk is not None:
            target = scoped_object(self.selector, user, pk=target_pk)
            self.agreement = target.agreement
            return target
        self.agreement = scoped_object(
            selectors.agreements_visible_to, user, pk=self.kwargs.get("pk")
        )
        return None

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"metric": self.request.GET.get("metric")}
        return target_initial(obj)

    def create(self, data: dict[str, Any]) -> Any:
        return services.target_create(actor=self.request.user, agreement=self.agreement, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.target_update(
            actor=self.request.user, target=obj, data=data, expected_version=version
        )

    def title(self, obj: Any) -> str:
        code = self.agreement.code
        return f"Edit target of {code}" if obj is not None else f"New target of {code}"

    def success_url(self, result: Any) -> str:
        return reverse("agreement-detail", args=[self.agreement.pk])

    def cancel_url(self, obj: Any) -> str:
        return reverse("agreement-detail", args=[self.agreement.pk])


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
