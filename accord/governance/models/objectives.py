"""Service management objectives (6.2): measurable, owned, dated, judged by a measure."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from accord.core.models import Person, VersionedModel
from accord.governance.choices import Direction, ObjectiveMeasure, ObjectiveStatus


class Objective(VersionedModel):
    """A measurable objective. Where ``measure`` is one Accord computes, the current value is
    computed live over ``period_start``..``period_end``; otherwise the owner records it."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="objectives_owned")
    process = models.ForeignKey(
        "governance.Process",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objectives",
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objectives",
        help_text="Limit a live measure to one service (empty: every service).",
    )
    measure = models.CharField(
        max_length=24, choices=ObjectiveMeasure.choices, default=ObjectiveMeasure.MANUAL
    )
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.AT_LEAST
    )
    target = models.DecimalField(max_digits=12, decimal_places=2)
    unit = models.CharField(max_length=24, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    plan = models.TextField(blank=True, help_text="What will be done to reach it.")
    resources = models.TextField(blank=True, help_text="The resources it needs.")
    status = models.CharField(
        max_length=16, choices=ObjectiveStatus.choices, default=ObjectiveStatus.ACTIVE
    )

    class Meta:
        ordering = ["-period_end", "title", "pk"]
        indexes = [
            models.Index(fields=["status", "-period_end"], name="governance_objective_st_idx"),
            models.Index(fields=["owner"], name="governance_objective_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="governance_objective_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(measure__in=ObjectiveMeasure.values),
                name="governance_objective_measure_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ObjectiveStatus.values),
                name="governance_objective_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class ObjectiveMeasurement(models.Model):
    """A value recorded by the owner of a manually measured objective, with its evidence."""

    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="measurements")
    value = models.DecimalField(max_digits=12, decimal_places=2)
    measured_on = models.DateField()
    evidence = models.TextField()
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["objective", "-measured_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.objective.reference} = {self.value} on {self.measured_on}"
