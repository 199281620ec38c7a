"""Admin of service transitions: browse and search only. Every write, and every stage move, goes
through the services and their gates (pages, API or `accord transition`), which the admin's own
save would bypass."""

from __future__ import annotations

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin
from accord.transitions.models import (
    AcceptanceCriterion,
    DataDisposition,
    ServiceTransition,
    TransitionActivity,
)


@admin.register(ServiceTransition)
class ServiceTransitionAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "service", "kind", "stage", "owner", "completed_at")
    list_filter = ("kind", "stage")
    search_fields = ("reference", "title", "service__code", "service__name")
    list_select_related = ("service", "owner")


@admin.register(AcceptanceCriterion)
class AcceptanceCriterionAdmin(ReadOnlyAdmin):
    list_display = ("transition", "number", "description", "verified_at", "verified_by")
    search_fields = ("transition__reference", "description")
    list_select_related = ("transition", "verified_by")


@admin.register(TransitionActivity)
class TransitionActivityAdmin(ReadOnlyAdmin):
    list_display = ("transition", "kind", "title", "owner", "due_on", "done_at")
    list_select_related = ("transition", "owner")


@admin.register(DataDisposition)
class DataDispositionAdmin(ReadOnlyAdmin):
    list_display = ("transition", "item", "action", "recipient", "done_at")
    list_select_related = ("transition",)
