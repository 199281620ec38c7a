"""The process register (4.4, 5.3): processes with owners, purpose, KPIs, interfaces and RACI."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accord.core.choices import Role
from accord.core.models import Person, VersionedModel
from accord.governance.choices import Responsibility


class Process(VersionedModel):
    """A service management process (incident management, change management, ...)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    clause = models.CharField(
        max_length=16, blank=True, help_text="The clause of ISO/IEC 20000-1 it answers."
    )
    purpose = models.TextField(blank=True)
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="processes_owned"
    )
    owner_role = models.CharField(
        max_length=32,
        choices=Role.choices,
        blank=True,
        help_text="The role that usually runs it (the process manager).",
    )
    kpis = models.TextField(blank=True, help_text="Key performance indicators, one per line.")
    interfaces = models.ManyToManyField("self", blank=True)
    definition = models.ForeignKey(
        "governance.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="processes",
        help_text="The process definition document.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "processes"

    def __str__(self) -> str:
        return self.name

    @property
    def kpi_list(self) -> list[str]:
        return [line.strip() for line in self.kpis.splitlines() if line.strip()]


class ProcessActivity(models.Model):
    """A row of a process's RACI matrix: an activity of the process."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="activities")
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["process", "position", "pk"]
        verbose_name_plural = "process activities"
        constraints = [
            models.UniqueConstraint(
                fields=["process", "name"], name="governance_activity_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process}: {self.name}"


class RaciAssignment(models.Model):
    """A cell of the RACI matrix: what a role does in an activity. The people behind a role
    are its holders (role assignments), so the matrix follows the organisation as it changes."""

    activity = models.ForeignKey(ProcessActivity, on_delete=models.CASCADE, related_name="raci")
    role = models.CharField(max_length=32, choices=Role.choices)
    responsibility = models.CharField(max_length=1, choices=Responsibility.choices)

    class Meta:
        ordering = ["activity", "role"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "role"], name="governance_raci_unique"),
            models.CheckConstraint(
                condition=Q(responsibility__in=Responsibility.values),
                name="governance_raci_letter_valid",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="governance_raci_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity}: {self.role} {self.responsibility}"
