"""The continual improvement register (ISO/IEC 20000-1, 10.2): opportunities for improvement
driven through Plan-Do-Check-Act, with the actions they need and the criteria that rank them.

An improvement says where it came from (a problem, a complaint, an audit finding, an SLA breach
trend, a management review, anyone's idea), who owns it, what it should bring, and how its
effect is measured: by hand, or live from Accord's own records (the SLA attainment of a service
before and after). The stage moves only as the services allow: no Do without a plan and a
target, no Check without a measured result, no closing without an Act decision.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accord.core.models import Person, VersionedModel, code_validator
from accord.improvement.choices import (
    NONCONFORMITY_STATUS_COLOURS,
    Decision,
    MeasureKind,
    NonconformitySource,
    NonconformityStatus,
    Severity,
    Source,
    Stage,
)


class Criterion(models.Model):
    """One criterion improvements are rated on (1 to 5), with its weight in the priority.
    A positive weight rewards a high rating (value); a negative one penalises it (effort, risk).
    """

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    weight = models.SmallIntegerField(
        validators=[MinValueValidator(-10), MaxValueValidator(10)],
        help_text="Priority = sum of weight x rating over the criteria.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=-10) & Q(weight__lte=10),
                name="improvement_criterion_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight:+d})"


class Improvement(VersionedModel):
    """An opportunity for improvement and its way through Plan-Do-Check-Act."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=24, choices=Source.choices, default=Source.IDEA)
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_record = GenericForeignKey("source_type", "source_id")
    source_reference = models.CharField(
        max_length=64, blank=True, help_text="The record it came from, e.g. PRB-000012."
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="improvements",
    )
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="improvements_owned")
    raised_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    benefit = models.TextField(blank=True, help_text="The benefit expected.")
    ratings = models.JSONField(
        default=dict, blank=True, help_text="Criterion code -> rating 1 (low) to 5 (high)."
    )
    priority = models.IntegerField(default=0, help_text="Computed from the ratings.")
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.PLAN)
    cycle = models.PositiveSmallIntegerField(
        default=1, help_text="Rises each time Act decides to adjust and repeat."
    )
    # Plan
    plan = models.TextField(blank=True)
    measure_kind = models.CharField(
        max_length=16, choices=MeasureKind.choices, default=MeasureKind.MANUAL
    )
    measure_name = models.CharField(
        max_length=120, blank=True, help_text="What is measured, e.g. first-time fix rate."
    )
    measure_unit = models.CharField(max_length=24, blank=True)
    higher_is_better = models.BooleanField(default=True)
    baseline_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    baseline_from = models.DateField(null=True, blank=True)
    baseline_to = models.DateField(null=True, blank=True)
    target_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # Check
    result_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    result_from = models.DateField(null=True, blank=True)
    result_to = models.DateField(null=True, blank=True)
    check_notes = models.TextField(blank=True)
    # Act
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    decision_notes = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-priority", "reference"]
        indexes = [
            models.Index(fields=["stage", "-priority"], name="improvement_stage_idx"),
            models.Index(fields=["source_type", "source_id"], name="improvement_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="improvement_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="improvement_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(measure_kind__in=MeasureKind.values),
                name="improvement_measure_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(decision__in=Decision.values),
                name="improvement_decision_valid",
            ),
            models.CheckConstraint(
                condition=~Q(stage=Stage.CLOSED) | ~Q(decision=""),
                name="improvement_closed_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Action(VersionedModel):
    """One thing to do in the Do stage, with its owner and due date."""

    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    cycle = models.PositiveSmallIntegerField(default=1)
    done_at = models.DateTimeField(null=True, blank=True)
    done_notes = models.TextField(blank=True)
    reminded_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When its overdue reminder went out."
    )

    class Meta:
        ordering = ["improvement", "due_on", "pk"]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="improvement_action_open_idx",
                condition=Q(done_at__isnull=True, reminded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Nonconformity(VersionedModel):
    """A nonconformity (ISO/IEC 20000-1, 10.1): what did not conform to which requirement, the
    correction made at once, the cause, the corrective actions that remove the cause, and the
    check, after a set time, that they worked. It closes only on an effective check.

    ``recurrence_of`` points at an earlier nonconformity on the same clause (and service, when
    one is named) closed within the recurrence window: the corrective action then did not hold,
    which the register flags.
    """

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField()
    source = models.CharField(
        max_length=16, choices=NonconformitySource.choices, default=NonconformitySource.OTHER
    )
    finding = models.OneToOneField(
        "governance.Finding",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformity",
    )
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_record = GenericForeignKey("source_type", "source_id")
    source_reference = models.CharField(max_length=64, blank=True)
    clause = models.ForeignKey(
        "governance.Clause", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
    )
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MINOR)
    status = models.CharField(
        max_length=16, choices=NonconformityStatus.choices, default=NonconformityStatus.OPEN
    )
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    correction = models.TextField(blank=True, help_text="What was done at once to contain it.")
    cause_analysis = models.TextField(blank=True, help_text="Why it happened (the root cause).")
    effectiveness_due_on = models.DateField(
        null=True, blank=True, help_text="When the effectiveness of the actions is checked."
    )
    effectiveness_notes = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    checks_failed = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="Effectiveness checks that found the actions failed."
    )
    recurrence_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="recurrences"
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    check_reminded_for = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "effectiveness_due_on"], name="improvement_nc_idx"),
            models.Index(fields=["clause", "closed_at"], name="improvement_nc_clause_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NonconformityStatus.values),
                name="improvement_nc_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=NonconformitySource.values),
                name="improvement_nc_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="improvement_nc_severity_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=NonconformityStatus.CLOSED) | Q(verified_at__isnull=False),
                name="improvement_nc_closed_verified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def colour(self) -> str:
        return NONCONFORMITY_STATUS_COLOURS.get(self.status, "grey")


class CorrectiveAction(VersionedModel):
    """An action that removes the cause of a nonconformity, with its owner and due date."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.CASCADE, related_name="actions"
    )
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_notes = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["nonconformity", "due_on", "pk"]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="improvement_ca_open_idx",
                condition=Q(done_at__isnull=True, reminded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title
