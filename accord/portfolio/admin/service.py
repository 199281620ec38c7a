"""Admin for services: raw data for administrators, every save through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accord.core.admin import ServiceAdminMixin
from accord.core.records import StaleVersion
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.portfolio.services import service as service_services


def _transition_action(to_status: str, label: str) -> Any:
    def run(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
        moved, refused = 0, []
        for service in queryset.order_by("code"):
            try:
                service_services.service_transition(
                    actor=request.user, service=service, to_status=to_status
                )
                moved += 1
            except (ValidationError, StaleVersion) as exc:
                reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc
                refused.append(f"{service.code}: {reason}")
        if moved:
            modeladmin.message_user(request, f"{moved} service(s) moved to {to_status}.")
        for line in refused:
            modeladmin.message_user(request, line, level=messages.ERROR)

    run.__name__ = f"make_{to_status}"
    run.short_description = label  # type: ignore[attr-defined]
    return run


@admin.register(Service)
class ServiceAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "status", "criticality", "owner", "owning_team", "version")
    list_filter = ("status", "criticality")
    search_fields = ("code", "name", "summary")
    list_select_related = ("owner", "owning_team")
    filter_horizontal = ("depends_on", "configuration_items")
    fields = service_services.SERVICE_FIELDS
    readonly_fields = ()
    actions = [
        _transition_action(ServiceStatus.LIVE, "Move the selected services to live"),
        _transition_action(ServiceStatus.RETIRED, "Retire the selected services"),
    ]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {
            f: form.cleaned_data[f]
            for f in service_services.SERVICE_FIELDS
            if f in form.cleaned_data
        }
        if change:
            saved = service_services.service_update(
                actor=request.user, service=Service.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = service_services.service_create(actor=request.user, **data)
        obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Dependencies and CIs were set by the service with the rest of the record."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Services are retired, never deleted: their history and agreements refer to them."""
        return False
