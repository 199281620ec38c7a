"""Admin for governance records, read-only: documents, processes, objectives and clause
assessments change through their pages, the API and the command line, where the approval rules,
versions and the audit trail apply. An approved version is never edited, not even here."""

from __future__ import annotations

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin
from accord.governance.models import (
    Acknowledgement,
    Clause,
    Document,
    DocumentVersion,
    Objective,
    ObjectiveMeasurement,
    Process,
    ProcessActivity,
    RaciAssignment,
)


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "kind", "owner", "approver_role", "next_review_on")
    list_filter = ("kind", "customer_access")
    search_fields = ("reference", "title")
    list_select_related = ("owner",)


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ReadOnlyAdmin):
    list_display = ("document", "number", "status", "author", "approved_by", "approved_at")
    list_filter = ("status",)
    search_fields = ("document__reference", "document__title")
    list_select_related = ("document", "author", "approved_by")


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ("version", "person", "acknowledged_at")
    list_select_related = ("version__document", "person")


@admin.register(Process)
class ProcessAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "clause", "owner", "is_active")
    search_fields = ("name", "code")
    list_select_related = ("owner",)


@admin.register(ProcessActivity)
class ProcessActivityAdmin(ReadOnlyAdmin):
    list_display = ("process", "name", "position")
    search_fields = ("name", "process__name")
    list_select_related = ("process",)


@admin.register(RaciAssignment)
class RaciAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("activity", "role", "responsibility")
    list_filter = ("role", "responsibility")
    list_select_related = ("activity__process",)


@admin.register(Objective)
class ObjectiveAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "owner", "measure", "target", "period_end", "status")
    list_filter = ("status", "measure")
    search_fields = ("reference", "title")
    list_select_related = ("owner",)


@admin.register(ObjectiveMeasurement)
class ObjectiveMeasurementAdmin(ReadOnlyAdmin):
    list_display = ("objective", "value", "measured_on", "recorded_by")
    list_select_related = ("objective", "recorded_by")


@admin.register(Clause)
class ClauseAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "status", "assessed_by", "assessed_on")
    list_filter = ("status",)
    search_fields = ("number", "title")
    list_select_related = ("assessed_by",)
