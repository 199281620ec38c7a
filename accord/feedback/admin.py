"""Admin for feedback data, read-only: surveys are offered by the ticket apps and answered by
their respondents; complaints move through their pages and the API, where the status rules,
versions and the audit trail apply."""

from __future__ import annotations

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin
from accord.feedback.models import Complaint, Survey


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
