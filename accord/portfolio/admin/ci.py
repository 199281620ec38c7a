"""Admin for configuration items, their types and relationships: every save and delete goes
through ``accord.portfolio.services.ci`` and so through its permission checks and the audit
trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accord.core.admin import ServiceAdminMixin
from accord.portfolio.models import CIRelationship, CIType, ConfigurationItem
from accord.portfolio.services import ci as services


def _cleaned(form: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: form.cleaned_data[f] for f in fields if f in form.cleaned_data}


@admin.register(CIType)
class CITypeAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    fields = services.CI_TYPE_FIELDS

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = _cleaned(form, services.CI_TYPE_FIELDS)
        if change:
            saved = services.ci_type_update(
                actor=request.user, ci_type=CIType.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.ci_type_create(actor=request.user, **data)
        obj.pk = saved.pk


class OutgoingInline(admin.TabularInline):
    """Relationships are shown here; they are added and removed on the CI page, the API or the
    relationship admin, which go through the services."""

    model = CIRelationship
    fk_name = "source"
    fields = ("kind", "target")
    readonly_fields = ("kind", "target")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "ci_type", "status", "organisation", "owner", "version")
    list_filter = ("ci_type", "status", "organisation")
    search_fields = ("name", "description")
    list_select_related = ("ci_type", "organisation", "owner")
    raw_id_fields = ("owner",)
    fields = services.CI_FIELDS
    inlines = [OutgoingInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = _cleaned(form, services.CI_FIELDS)
        if change:
            saved = services.ci_update(
                actor=request.user, ci=ConfigurationItem.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.ci_create(actor=request.user, **data)
        obj.pk, obj.version = saved.pk, saved.version

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The relationship inline is read-only."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.ci_delete(actor=request.user, ci=obj)


@admin.register(CIRelationship)
class CIRelationshipAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("source", "kind", "target", "organisation")
    list_filter = ("kind",)
    search_fields = ("source__name", "target__name")
    list_select_related = ("source", "target", "organisation")
    raw_id_fields = ("source", "target")
    fields = ("source", "kind", "target")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = services.ci_relate(
            actor=request.user,
            source=form.cleaned_data["source"],
            kind=form.cleaned_data["kind"],
            target=form.cleaned_data["target"],
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.ci_unrelate(actor=request.user, relationship=obj)
