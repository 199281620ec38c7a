"""Internal audits (ISO/IEC 20000-1, 9.2): the audit programme, each audit with its scope and
auditors, the checklist generated from the clause register, and the findings.

An audit reads the live evidence of each clause in its scope beside the checklist question; when
a question is answered the evidence shown is kept on the item, so the report says what the
auditor saw, not what the register says today. Once reported, an audit and its findings no
longer change: the report is evidence for the certification body.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accord.core.models import Person, VersionedModel
from accord.governance.choices import (
    AUDIT_STATUS_COLOURS,
    FINDING_COLOURS,
    AuditStatus,
    ChecklistResult,
    FindingKind,
)


class AuditProgramme(VersionedModel):
    """The audits planned over a period (usually a year or a certification cycle). Its coverage
    (which clauses and processes its audits reach) is computed, so gaps show before the period
    ends."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    objectives = models.TextField(blank=True, help_text="What the programme sets out to show.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="governance_programme_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Audit(VersionedModel):
    """One internal audit: what it covers, who audits, and what it found."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    programme = models.ForeignKey(
        AuditProgramme, on_delete=models.PROTECT, null=True, blank=True, related_name="audits"
    )
    title = models.CharField(max_length=200)
    objective = models.TextField(blank=True)
    criteria = models.TextField(
        blank=True, help_text="What is audited against (the standard, the SMS documents)."
    )
    status = models.CharField(
        max_length=16, choices=AuditStatus.choices, default=AuditStatus.PLANNED
    )
    planned_start = models.DateField()
    planned_end = models.DateField()
    lead_auditor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    auditors = models.ManyToManyField(
        Person, related_name="audits", blank=True, help_text="The audit team, lead included."
    )
    clauses = models.ManyToManyField("governance.Clause", related_name="audits", blank=True)
    processes = models.ManyToManyField("governance.Process", related_name="audits", blank=True)
    services = models.ManyToManyField("portfolio.Service", related_name="audits", blank=True)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    reported_at = models.DateTimeField(null=True, blank=True, editable=False)
    reported_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    cancelled_reason = models.TextField(blank=True)
    summary = models.TextField(blank=True, help_text="The report's summary.")
    conclusion = models.TextField(blank=True, help_text="The audit team's conclusion.")
    report = models.TextField(
        blank=True, editable=False, help_text="The report as issued (Markdown), frozen."
    )

    class Meta:
        ordering = ["-planned_start", "reference"]
        indexes = [models.Index(fields=["status", "planned_start"], name="governance_audit_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AuditStatus.values), name="governance_audit_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")),
                name="governance_audit_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def colour(self) -> str:
        return AUDIT_STATUS_COLOURS.get(self.status, "grey")


class ChecklistItem(models.Model):
    """A question of the audit's checklist, one or more per clause in scope."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="checklist")
    clause = models.ForeignKey("governance.Clause", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)
    question = models.TextField()
    result = models.CharField(
        max_length=16, choices=ChecklistResult.choices, default=ChecklistResult.OPEN
    )
    notes = models.TextField(blank=True, help_text="What the auditor saw and sampled.")
    evidence_seen = models.JSONField(
        default=list,
        blank=True,
        help_text="The live evidence as it stood when the question was answered.",
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["audit", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result__in=ChecklistResult.values),
                name="governance_checklist_result_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit.reference} {self.clause.number}"


class Finding(VersionedModel):
    """What an audit found. A minor or major nonconformity opens a nonconformity record in the
    improvement register's corrective action log; an opportunity opens an improvement."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    checklist_item = models.ForeignKey(
        ChecklistItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="findings"
    )
    clause = models.ForeignKey(
        "governance.Clause", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    process = models.ForeignKey(
        "governance.Process", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        "portfolio.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=FindingKind.choices)
    title = models.CharField(max_length=200)
    statement = models.TextField(help_text="What was found, against which requirement.")
    evidence = models.TextField(blank=True, help_text="The objective evidence behind it.")
    raised_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["audit", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=FindingKind.values), name="governance_finding_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def colour(self) -> str:
        return FINDING_COLOURS.get(self.kind, "grey")
