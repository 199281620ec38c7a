"""Admin for catalogue items: every save, retirement and re-activation goes through the
catalogue services, so the admin door keeps the same rules and audit trail as the others."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from accord.core.admin import ServiceAdminMixin
from accord.portfolio.models import CatalogueItem
from accord.portfolio.services import catalogue as services


@admin.register(CatalogueItem)
class CatalogueItemAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "service",
        "audience",
        "approval_required",
        "approver_role",
        "fulfilment_team",
        "is_active",
        "version",
    )
    list_filter = ("is_active", "audience", "approval_required", "service")
    search_fields = ("name", "description", "service__name", "service__code")
    list_select_related = ("service", "fulfilment_team")
    filter_horizontal = ("organisations",)
    fields = services.CATALOGUE_ITEM_FIELDS
    actions = ["retire", "activate"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data[f] for f in self.fields if f in form.cleaned_data}
        if change:
            saved = services.catalogue_item_update(
                actor=request.user, item=CatalogueItem.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.catalogue_item_create(actor=request.user, **data)
        obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The organisations were set by the service with the rest of the item."""

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Any], active: bool) -> None:
        call = services.catalogue_item_activate if active else services.catalogue_item_retire
        done = 0
        for item in queryset.select_related("service"):
            try:
                call(actor=request.user, item=item)
            except ValidationError as exc:
                self.message_user(request, f"{item}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                done += 1
        if done:
            verb = "offered again" if active else "retired"
            self.message_user(request, f"{done} catalogue item(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Retire the selected catalogue items")
    def retire(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description="Offer the selected catalogue items again")
    def activate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_active(request, queryset, True)
