"""Admin for calendars, agreements and targets: raw data for administrators, every save
through the services (and so through the rules and the audit trail)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accord.agreements import services
from accord.agreements.models import (
    Agreement,
    AgreementText,
    Calendar,
    RetargetRun,
    Target,
    TicketClock,
)
from accord.core.admin import ServiceAdminMixin
from accord.core.records import StaleVersion


def _data(form: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: form.cleaned_data[f] for f in fields if f in form.cleaned_data}


@admin.register(Calendar)
class CalendarAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "time_zone", "holiday_country", "holiday_subdivision", "version")
    search_fields = ("name",)
    fields = services.CALENDAR_FIELDS

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = _data(form, services.CALENDAR_FIELDS)
        if change:
            saved = services.calendar_update(
                actor=request.user, calendar=Calendar.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.calendar_create(actor=request.user, **data)
        obj.pk, obj.version = saved.pk, saved.version


def _transition_action(service: Any, label: str, name: str) -> Any:
    def run(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
        done, refused = 0, []
        for agreement in queryset.order_by("code"):
            try:
                service(actor=request.user, agreement=agreement)
                done += 1
            except (ValidationError, StaleVersion) as exc:
                reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc
                refused.append(f"{agreement.code}: {reason}")
        if done:
            modeladmin.message_user(request, f"{done} agreement(s) changed.")
        for line in refused:
            modeladmin.message_user(request, line, level=messages.ERROR)

    run.__name__ = name
    run.short_description = label  # type: ignore[attr-defined]
    return run


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ("metric", "priority", "duration", "percentage", "warning_threshold")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "organisation", "status", "starts_on", "ends_on")
    list_filter = ("kind", "status")
    search_fields = ("code", "name")
    list_select_related = ("organisation",)
    filter_horizontal = ("services",)
    fields = services.AGREEMENT_FIELDS
    inlines = [TargetInline]
    actions = [
        _transition_action(services.agreement_activate, "Approve and activate", "activate"),
        _transition_action(services.agreement_expire, "Mark expired", "expire"),
        _transition_action(services.agreement_terminate, "Terminate", "terminate"),
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # agreements are evidence: terminate them instead

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = _data(form, services.AGREEMENT_FIELDS)
        if change:
            saved = services.agreement_update(
                actor=request.user, agreement=Agreement.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.agreement_create(actor=request.user, **data)
        obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Services were set by the service with the rest of the agreement."""


@admin.register(Target)
class TargetAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("agreement", "metric", "priority", "duration", "percentage", "version")
    list_filter = ("metric", "priority")
    list_select_related = ("agreement",)
    fields = ("agreement", *services.TARGET_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("agreement",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = _data(form, services.TARGET_FIELDS)
        if change:
            saved = services.target_update(
                actor=request.user, target=Target.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.target_create(
                actor=request.user, agreement=form.cleaned_data["agreement"], **data
            )
        obj.pk, obj.version = saved.pk, saved.version

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.target_delete(actor=request.user, target=obj)


@admin.register(AgreementText)
class AgreementTextAdmin(admin.ModelAdmin):
    """Text versions are appended through the pages or the API and never change."""

    list_display = ("agreement", "number", "author", "created_at")
    readonly_fields = ("agreement", "number", "body", "author", "organisation", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TicketClock)
class TicketClockAdmin(admin.ModelAdmin):
    """SLA clocks are facts recorded by the ticket services: browse them, never edit them."""

    list_display = (
        "id",
        "content_type",
        "object_id",
        "agreement",
        "metric",
        "priority",
        "state",
        "due_at",
        "breached",
    )
    list_filter = ("agreement_kind", "metric", "state", "breached")
    list_select_related = ("agreement", "content_type")
    search_fields = ("agreement__code",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RetargetRun)
class RetargetRunAdmin(TicketClockAdmin):
    """Background re-targeting runs: how far each got, and why one failed."""

    list_display = (
        "id",
        "reason",
        "calendar",
        "agreement",
        "status",
        "processed",
        "requested_at",
        "finished_at",
    )
    list_filter = ("reason", "status")
    list_select_related = ("calendar", "agreement")
    search_fields = ("error",)
