"""Serializers of the internal audit API. They parse and present; the audit services decide.

Writes name related records by id (people, programmes, processes, services) and clauses by
number ("8.6"); the services check every one of them (independence included) and answer with
field errors, so the serializers stay plain. Reads carry the references and names beside the
ids, and a finding carries what it opened (its nonconformity or improvement)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.changes.api.changes_serializers import choice_field
from accord.governance.audits_forms import ANSWER_CHOICES
from accord.governance.choices import AuditStatus, ChecklistResult, FindingKind
from accord.governance.models import Audit, AuditProgramme, ChecklistItem, Finding

ID = {"min_value": 1, "max_value": 2**63 - 1}


def _ids(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(**ID), required=False, help_text=help_text
    )


class ProgrammeSerializer(serializers.ModelSerializer[AuditProgramme]):
    """An audit programme: its period, owner and objectives."""

    reference = serializers.CharField(read_only=True, help_text="APG-000001, unique.")
    owner = serializers.IntegerField(
        source="owner_id", help_text="Id of the owner (active provider staff).", **ID
    )
    owner_name = serializers.StringRelatedField(source="owner", read_only=True)

    class Meta:
        model = AuditProgramme
        fields = [
            "id",
            "reference",
            "version",
            "title",
            "starts_on",
            "ends_on",
            "owner",
            "owner_name",
            "objectives",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        extra_kwargs = {"objectives": {"required": False}, "notes": {"required": False}}

    def to_internal_value(self, data: Any) -> Any:
        values = super().to_internal_value(data)
        if "owner_id" in values:
            values["owner"] = values.pop("owner_id")
        return values


class CoverageRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The clause number, or the process code.")
    name = serializers.CharField()
    state = serializers.ChoiceField(choices=["covered", "partial", "gap"])
    audits = serializers.ListField(child=serializers.CharField())


class CoverageSerializer(serializers.Serializer[Any]):
    clauses = CoverageRowSerializer(many=True)
    processes = CoverageRowSerializer(many=True)


class ProgrammeDetailSerializer(ProgrammeSerializer):
    """The programme with its coverage: which clauses and processes its audits reach."""

    coverage = serializers.SerializerMethodField()

    class Meta(ProgrammeSerializer.Meta):
        fields = [*ProgrammeSerializer.Meta.fields, "coverage"]

    @extend_schema_field(CoverageSerializer)
    def get_coverage(self, programme: AuditProgramme) -> dict[str, Any]:
        from accord.governance.selectors.audits import programme_coverage

        found = programme_coverage(programme)
        return {
            "clauses": [
                {
                    "key": r.record.number,
                    "name": r.record.title,
                    "state": r.state,
                    "audits": r.audits,
                }
                for r in found.clauses
            ],
            "processes": [
                {"key": r.record.code, "name": r.record.name, "state": r.state, "audits": r.audits}
                for r in found.processes
            ],
        }


class AuditSerializer(serializers.ModelSerializer[Audit]):
    """An audit as a row of the list: what, when, who, its scope and where it stands."""

    reference = serializers.CharField(read_only=True, help_text="AUD-000001, unique.")
    status = choice_field(
        AuditStatus.choices,
        "planned, in_progress, reported or cancelled (moves by start/, report/, cancel/).",
        name="AuditStatusEnum",
        read_only=True,
    )
    programme = serializers.IntegerField(source="programme_id", read_only=True, allow_null=True)
    programme_reference = serializers.CharField(
        source="programme.reference", read_only=True, default=None
    )
    lead_auditor = serializers.IntegerField(source="lead_auditor_id", read_only=True)
    lead_auditor_name = serializers.StringRelatedField(source="lead_auditor", read_only=True)
    auditors = serializers.SerializerMethodField()
    clauses = serializers.SerializerMethodField()
    processes = serializers.SerializerMethodField()
    services = serializers.SerializerMethodField()
    finding_count = serializers.IntegerField(read_only=True, default=None)
    open_count = serializers.IntegerField(
        read_only=True, default=None, help_text="Questions of the checklist not answered yet."
    )

    class Meta:
        model = Audit
        fields = [
            "id",
            "reference",
            "version",
            "title",
            "programme",
            "programme_reference",
            "objective",
            "criteria",
            "status",
            "planned_start",
            "planned_end",
            "lead_auditor",
            "lead_auditor_name",
            "auditors",
            "clauses",
            "processes",
            "services",
            "started_at",
            "reported_at",
            "reported_by",
            "cancelled_reason",
            "summary",
            "conclusion",
            "finding_count",
            "open_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_auditors(self, audit: Audit) -> list[int]:
        return sorted(p.pk for p in audit.auditors.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_clauses(self, audit: Audit) -> list[str]:
        return [c.number for c in sorted(audit.clauses.all(), key=lambda c: c.position)]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_processes(self, audit: Audit) -> list[int]:
        return sorted(p.pk for p in audit.processes.all())

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_services(self, audit: Audit) -> list[int]:
        return sorted(s.pk for s in audit.services.all())


class AuditDetailSerializer(AuditSerializer):
    """The audit with its frozen report (empty until reported)."""

    class Meta(AuditSerializer.Meta):
        fields = [*AuditSerializer.Meta.fields, "report"]
        read_only_fields = fields


class AuditWriteSerializer(serializers.Serializer[Any]):
    """What planning or changing an audit takes. Send only what changes on PATCH; scope, dates
    and team change only while the audit is planned."""

    title = serializers.CharField(max_length=200, required=False)
    programme = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of the programme, or null.", **ID
    )
    objective = serializers.CharField(required=False, allow_blank=True)
    criteria = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Default: ISO/IEC 20000-1:2018 and the SMS documents in force.",
    )
    planned_start = serializers.DateField(required=False)
    planned_end = serializers.DateField(required=False)
    lead_auditor = serializers.IntegerField(
        required=False, help_text="Id of the lead auditor (provider staff).", **ID
    )
    auditors = _ids("Ids of the auditors; the lead is always on the team.")
    clauses = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        help_text='Clause numbers in scope ("8.6"); their sub-clauses are audited too.',
    )
    processes = _ids("Ids of the processes in scope.")
    services = _ids("Ids of the services in scope.")


class ChecklistItemSerializer(serializers.ModelSerializer[ChecklistItem]):
    """A checklist question, its answer and the evidence seen when it was answered."""

    clause = serializers.CharField(source="clause.number", read_only=True)
    clause_title = serializers.CharField(source="clause.title", read_only=True)
    result = choice_field(
        ChecklistResult.choices,
        "open, conforming, finding or not_applicable.",
        name="ChecklistResultEnum",
        read_only=True,
    )
    checked_by_name = serializers.StringRelatedField(source="checked_by", read_only=True)

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "clause",
            "clause_title",
            "position",
            "question",
            "result",
            "notes",
            "evidence_seen",
            "checked_at",
            "checked_by",
            "checked_by_name",
        ]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer[Any]):
    result = choice_field(
        ANSWER_CHOICES,
        "conforming, finding (a finding on the question first) or not_applicable.",
        name="ChecklistAnswerEnum",
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class FindingSerializer(serializers.ModelSerializer[Finding]):
    """A finding with what it opened: ``nonconformity`` or ``improvement`` as
    ``{id, reference}`` (null when it opened none)."""

    reference = serializers.CharField(read_only=True, help_text="FND-000001, unique.")
    audit_reference = serializers.CharField(source="audit.reference", read_only=True)
    kind = choice_field(FindingKind.choices, "The grade.", name="FindingKindEnum")
    clause = serializers.CharField(
        source="clause.number", read_only=True, default=None, allow_null=True
    )
    raised_by_name = serializers.StringRelatedField(source="raised_by", read_only=True)
    nonconformity = serializers.SerializerMethodField()
    improvement = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "reference",
            "version",
            "audit",
            "audit_reference",
            "checklist_item",
            "clause",
            "process",
            "service",
            "kind",
            "title",
            "statement",
            "evidence",
            "raised_by",
            "raised_by_name",
            "nonconformity",
            "improvement",
            "created_at",
        ]
        read_only_fields = fields

    def _opened(self, finding: Finding, label: str) -> dict[str, Any] | None:
        found = (self.context.get("links") or {}).get(finding.pk, {}).get(label)
        return {"id": found[0], "reference": found[1]} if found else None

    @extend_schema_field({"type": "object", "nullable": True})
    def get_nonconformity(self, finding: Finding) -> dict[str, Any] | None:
        return self._opened(finding, "nonconformity")

    @extend_schema_field({"type": "object", "nullable": True})
    def get_improvement(self, finding: Finding) -> dict[str, Any] | None:
        return self._opened(finding, "improvement")


class FindingCreateSerializer(serializers.Serializer[Any]):
    kind = choice_field(
        FindingKind.choices,
        "minor and major open a nonconformity; opportunity raises an improvement.",
        name="FindingKindEnum",
    )
    title = serializers.CharField(max_length=200)
    statement = serializers.CharField(help_text="What was found, against which requirement.")
    evidence = serializers.CharField(required=False, allow_blank=True)
    checklist_item = serializers.IntegerField(required=False, allow_null=True, **ID)
    clause = serializers.CharField(
        required=False, allow_blank=True, max_length=16, help_text="Default: the question's."
    )
    process = serializers.IntegerField(required=False, allow_null=True, **ID)
    service = serializers.IntegerField(required=False, allow_null=True, **ID)


class ReportSerializer(serializers.Serializer[Any]):
    summary = serializers.CharField()
    conclusion = serializers.CharField()


class AuditCancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()
