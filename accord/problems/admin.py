"""Admin for problems, read-only: problems move through their pages, the API and the detection
job, where the status rules, versions and the audit trail apply."""

from __future__ import annotations

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin
from accord.problems.models import Problem, ProblemIncident, ProblemProposal


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
