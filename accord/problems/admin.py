"""Admin for problems, read-only: problems move through their pages, the API and the detection
job, where the status rules, versions and the audit trail apply."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accord.problems.models import Problem, ProblemIncident, ProblemProposal


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse and search, never write: the rules live in the services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "service", "status", "priority", "problem_manager")
    list_filter = ("status", "priority", "cause_category")
    search_fields = ("reference", "title")
    list_select_related = ("service", "problem_manager")
    date_hierarchy = "opened_at"


@admin.register(ProblemIncident)
class ProblemIncidentAdmin(ReadOnlyAdmin):
    list_display = ("problem", "incident", "source", "linked_by", "linked_at")
    list_filter = ("source",)
    list_select_related = ("problem", "incident", "linked_by")


@admin.register(ProblemProposal)
class ProblemProposalAdmin(ReadOnlyAdmin):
    list_display = ("label", "rule", "status", "proposed_at", "problem")
    list_filter = ("rule", "status")
    list_select_related = ("problem",)
