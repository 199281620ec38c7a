"""Admin for incident data: categories are edited through the services; incidents, reviews
and the matrix are shown read-only here (they change through their pages and the API, where the
status rules and the SLA clocks apply)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accord.core.admin import ReadOnlyAdmin, ServiceAdminMixin
from accord.incidents import services
from accord.incidents.models import Category, Incident, PostIncidentReview, PriorityCell


@admin.register(Category)
class CategoryAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "default_team", "is_active", "version")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = services.CATEGORY_FIELDS

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data[f] for f in services.CATEGORY_FIELDS if f in form.cleaned_data}
        if change:
            saved = services.category_update(
                actor=request.user, category=Category.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.category_create(actor=request.user, **data)
        obj.pk, obj.version = saved.pk, saved.version

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # categories are retired (inactive), so past incidents keep theirs


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "title",
        "organisation",
        "status",
        "priority",
        "assignment_group",
        "assignee",
        "opened_at",
        "sla_due_at",
    )
    list_filter = ("status", "priority", "is_major", "sla_breached")
    search_fields = ("reference", "title")
    list_select_related = ("organisation", "assignment_group", "assignee")
    date_hierarchy = "opened_at"


@admin.register(PostIncidentReview)
class PostIncidentReviewAdmin(ReadOnlyAdmin):
    list_display = ("incident", "reviewed_by", "reviewed_at")
    list_select_related = ("incident", "reviewed_by")


@admin.register(PriorityCell)
class PriorityCellAdmin(ReadOnlyAdmin):
    list_display = ("impact", "urgency", "priority")
