"""Admin for change management, read-only: changes, templates, the policy and releases move
through their pages, the API and the follow-up job, where the status rules, approvals,
versions and the audit trail apply. The admin is for browsing and searching the raw rows."""

from __future__ import annotations

from django.contrib import admin

from accord.changes.models import (
    ApprovalRule,
    CalendarFeed,
    Change,
    ChangeApproval,
    ChangeApprovalStep,
    ChangeIncident,
    ChangeProblem,
    ChangeTemplate,
    FreezeWindow,
    Release,
    RiskAnswer,
    RiskQuestion,
)
from accord.core.admin import ReadOnlyAdmin


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "title",
        "change_type",
        "status",
        "risk_class",
        "planned_start",
        "owner",
    )
    list_filter = ("change_type", "status", "risk_class", "outcome")
    search_fields = ("reference", "title")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"


@admin.register(ChangeApprovalStep)
class ChangeApprovalStepAdmin(ReadOnlyAdmin):
    list_display = ("change", "round", "label", "authority", "mode", "status", "decided_at")
    list_filter = ("status", "authority", "mode")
    search_fields = ("change__reference",)
    list_select_related = ("change",)


@admin.register(ChangeApproval)
class ChangeApprovalAdmin(ReadOnlyAdmin):
    list_display = ("change", "step", "approver", "decision", "decided_at")
    list_filter = ("decision",)
    search_fields = ("change__reference",)
    list_select_related = ("change", "step", "approver")


@admin.register(ChangeIncident)
class ChangeIncidentAdmin(ReadOnlyAdmin):
    list_display = ("change", "incident", "relation", "source", "linked_by", "linked_at")
    list_filter = ("relation", "source")
    search_fields = ("change__reference", "incident__reference")
    list_select_related = ("change", "incident", "linked_by")


@admin.register(ChangeProblem)
class ChangeProblemAdmin(ReadOnlyAdmin):
    list_display = ("change", "problem", "relation", "linked_by", "linked_at")
    list_filter = ("relation",)
    search_fields = ("change__reference", "problem__reference")
    list_select_related = ("change", "problem", "linked_by")


@admin.register(ChangeTemplate)
class ChangeTemplateAdmin(ReadOnlyAdmin):
    list_display = ("name", "status", "risk_class", "expected_minutes", "owner", "published_at")
    list_filter = ("status", "risk_class")
    search_fields = ("name", "title")
    list_select_related = ("owner",)


class RiskAnswerInline(admin.TabularInline):
    model = RiskAnswer
    fields = ("order", "text", "weight")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(RiskQuestion)
class RiskQuestionAdmin(ReadOnlyAdmin):
    list_display = ("text", "order", "active")
    list_filter = ("active",)
    search_fields = ("text",)
    inlines = (RiskAnswerInline,)


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "change_type",
        "risk_class",
        "authority",
        "role",
        "team",
        "mode",
        "quorum",
        "active",
    )
    list_filter = ("change_type", "risk_class", "authority", "mode", "active")
    search_fields = ("name",)
    list_select_related = ("team",)


@admin.register(FreezeWindow)
class FreezeWindowAdmin(ReadOnlyAdmin):
    list_display = ("name", "starts_at", "ends_at", "allow_emergency")
    list_filter = ("allow_emergency",)
    search_fields = ("name",)
    date_hierarchy = "starts_at"


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = ("reference", "name", "release_type", "status", "planned_date", "owner")
    list_filter = ("release_type", "status", "outcome")
    search_fields = ("reference", "name")
    list_select_related = ("owner",)
    date_hierarchy = "planned_date"


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """The secret token is never shown: whoever reads it could read the person's calendar."""

    list_display = ("person", "service", "created_at", "last_read_at")
    list_select_related = ("person", "service")
    exclude = ("token",)
