"""Admin for feedback data, read-only: surveys are offered by the ticket apps and answered by
their respondents; complaints move through their pages and the API, where the status rules,
versions and the audit trail apply."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accord.feedback.models import Complaint, Survey


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse and search, never write: the rules live in the services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = (
        "ticket_reference",
        "round",
        "organisation",
        "service",
        "team",
        "respondent",
        "offered_at",
        "score",
        "answered_at",
    )
    list_filter = ("score",)
    search_fields = ("ticket_reference",)
    list_select_related = ("organisation", "service", "team", "respondent")
    date_hierarchy = "offered_at"
    exclude = ("token_hash",)


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "title",
        "organisation",
        "status",
        "owner",
        "raised_at",
        "acknowledge_due_at",
        "escalated_at",
    )
    list_filter = ("status",)
    search_fields = ("reference", "title")
    list_select_related = ("organisation", "owner")
    date_hierarchy = "raised_at"
