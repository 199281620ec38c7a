"""Outages of services, the agreements they do not count against, and their investigations.

An outage is the record availability is measured from (clause 8.7.1): when a service (or part
of it) stopped, when it was detected and restored, how badly it was affected, and why. The
figures themselves are never stored: they are computed from these rows by
``accord.domain.availability`` whenever someone asks, so an edited outage corrects every report.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from accord.availability.choices import (
    ExclusionReason,
    InvestigationStatus,
    OutageKind,
    OutageSeverity,
)
from accord.core.models import Organisation, Person, VersionedModel


class Outage(VersionedModel):
    """A period during which a service was down or degraded (or will be, for planned work).

    ``end`` is the restoration instant; empty while the outage goes on. ``weight`` is the share
    of the service lost: 1 for a full outage, between 0 and 1 for a degraded one (half the users
    cut off: 0.5). ``customers`` narrows an outage that hit only some customers of the service;
    empty means all of them.
    """

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    service = models.ForeignKey(
        "portfolio.Service", on_delete=models.PROTECT, related_name="outages"
    )
    configuration_item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outages",
        help_text="The component that failed, when known.",
    )
    customers = models.ManyToManyField(
        Organisation,
        related_name="outages",
        blank=True,
        help_text="Only these customers were affected. Empty: every customer of the service.",
    )
    kind = models.CharField(max_length=16, choices=OutageKind.choices)
    severity = models.CharField(
        max_length=16, choices=OutageSeverity.choices, default=OutageSeverity.FULL
    )
    weight = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("1"))],
        help_text="Share of the service lost: 1 for a full outage, less for a degraded one.",
    )
    cause = models.TextField(blank=True)
    start = models.DateTimeField(help_text="When the service stopped (or the work begins).")
    detected_at = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(
        null=True, blank=True, help_text="When the service was restored; empty while ongoing."
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outages",
    )
    follows_incident = models.BooleanField(
        default=False,
        help_text="The end follows the restoration (resolution) instant of the linked incident.",
    )
    change = models.ForeignKey(
        "changes.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outages",
    )
    recorded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    closure_notes = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancellation_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-start", "-pk"]
        indexes = [
            models.Index(fields=["service", "start"], name="availability_service_start_idx"),
            models.Index(fields=["start"], name="availability_outage_start_idx"),
            models.Index(
                fields=["service"],
                name="availability_outage_open_idx",
                condition=Q(end__isnull=True, cancelled_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OutageKind.values), name="availability_outage_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=OutageSeverity.values),
                name="availability_outage_severity_valid",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="availability_outage_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=1),
                name="availability_outage_weight_valid",
            ),
            models.CheckConstraint(
                condition=(Q(severity=OutageSeverity.FULL) & Q(weight=1))
                | (Q(severity=OutageSeverity.DEGRADED) & Q(weight__lt=1)),
                name="availability_outage_weight_matches_severity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class OutageExclusion(models.Model):
    """An outage that does not count against one agreement: an agreed exception, or caused by
    the customer. The outage still counts everywhere else (the service's own figures)."""

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="exclusions")
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, related_name="outage_exclusions"
    )
    reason = models.CharField(max_length=24, choices=ExclusionReason.choices)
    note = models.TextField()
    recorded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["outage", "agreement"]
        constraints = [
            models.UniqueConstraint(
                fields=["outage", "agreement"], name="availability_exclusion_unique"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=ExclusionReason.values),
                name="availability_exclusion_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outage.reference} not counted against {self.agreement.code}"


class Investigation(VersionedModel):
    """Why an unplanned outage happened and what is done about it. Required for every unplanned
    outage longer than ``ACCORD_AVAILABILITY_INVESTIGATION_MINUTES`` before it may close."""

    outage = models.OneToOneField(Outage, on_delete=models.CASCADE, related_name="investigation")
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=InvestigationStatus.choices, default=InvestigationStatus.OPEN
    )
    findings = models.TextField(blank=True, help_text="What happened, in order.")
    root_cause = models.TextField(blank=True)
    actions = models.TextField(blank=True, help_text="What will stop it happening again.")
    problem = models.ForeignKey(
        "problems.Problem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outage_investigations",
    )
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-outage__start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvestigationStatus.values),
                name="availability_investigation_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Investigation of {self.outage.reference}"
