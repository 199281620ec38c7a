"""Capacity metrics of services and configuration items, their samples and the hourly and daily
aggregates rolled up from them, and where each metric stands against its thresholds.

Samples arrive in bulk (API batches, CSV files, scrapes of Prometheus endpoints) and are kept
for ``ACCORD_CAPACITY_RAW_DAYS``; the rollups keep a year of data for thousands of metrics cheap
to read. Thresholds are read on the metric's chosen aggregation (peak, 95th percentile, mean)
of each hour.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from accord.capacity.choices import Aggregation, CapacityKind, Granularity, Level
from accord.core.models import Person, VersionedModel, code_validator


class Metric(VersionedModel):
    """One measured resource of a service or configuration item: what it is, in which unit, how
    much of it can be used, and at which values it warns and becomes critical."""

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[code_validator],
        help_text="How samples name the metric, e.g. MAIL-STORAGE.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=16, choices=CapacityKind.choices, default=CapacityKind.TECHNICAL
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="capacity_metrics",
    )
    configuration_item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="capacity_metrics",
    )
    unit = models.CharField(max_length=24, help_text="TB, %, users, hours, EUR ...")
    usable_capacity = models.FloatField(help_text="How much can be used, in the unit.")
    aggregation = models.CharField(
        max_length=8, choices=Aggregation.choices, default=Aggregation.PEAK
    )
    warning_threshold = models.FloatField(help_text="At or above this value: a warning.")
    critical_threshold = models.FloatField(help_text="At or above this value: an incident.")
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="capacity_metrics_owned"
    )
    is_active = models.BooleanField(default=True)
    prometheus_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="The metric name in a scraped Prometheus text, e.g. node_filesystem_avail_bytes.",
    )
    prometheus_labels = models.JSONField(
        default=dict,
        blank=True,
        help_text='Labels a scraped sample must carry, e.g. {"instance": "mail-01"}.',
    )
    prometheus_scale = models.FloatField(
        default=1.0, help_text="Multiply scraped values by this (bytes to TB: 1e-12)."
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=False) | Q(configuration_item__isnull=False),
                name="capacity_metric_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CapacityKind.values), name="capacity_metric_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(aggregation__in=Aggregation.values),
                name="capacity_metric_aggregation_valid",
            ),
            models.CheckConstraint(
                condition=Q(usable_capacity__gt=0), name="capacity_metric_usable_positive"
            ),
            models.CheckConstraint(
                condition=Q(warning_threshold__lt=F("critical_threshold")),
                name="capacity_metric_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Sample(models.Model):
    """One measured value at one instant; a second value for the same instant replaces the
    first (ingestion is idempotent on metric and timestamp)."""

    id = models.BigAutoField(primary_key=True)
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        ordering = ["metric", "at"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "at"], name="capacity_sample_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.at.isoformat()} {self.value}"


class Rollup(models.Model):
    """The aggregate of a metric's samples over one hour or one day (UTC buckets)."""

    id = models.BigAutoField(primary_key=True)
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="rollups")
    granularity = models.CharField(max_length=4, choices=Granularity.choices)
    bucket = models.DateTimeField(help_text="Start of the hour or day (UTC).")
    count = models.PositiveIntegerField()
    minimum = models.FloatField()
    maximum = models.FloatField()
    total = models.FloatField(help_text="Sum of the values: the mean is total / count.")
    p95 = models.FloatField()

    class Meta:
        ordering = ["metric", "granularity", "bucket"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "granularity", "bucket"], name="capacity_rollup_unique"
            ),
            models.CheckConstraint(
                condition=Q(granularity__in=Granularity.values),
                name="capacity_rollup_granularity_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.granularity} {self.bucket.isoformat()}"

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


class PendingRollup(models.Model):
    """A day of a metric whose samples changed since its rollups were computed. Ingestion adds
    these (a repeat is ignored); the rollup job recomputes those days from the raw samples and
    removes them, so late and corrected samples are rolled up like the rest."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["metric", "day"], name="capacity_pending_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.day}"


class ThresholdState(models.Model):
    """Where a metric stands against its thresholds, and since when. A crossing upward raises
    its warning or incident once; only going back below re-arms it."""

    metric = models.OneToOneField(Metric, on_delete=models.CASCADE, related_name="state")
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.NORMAL)
    since = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True, help_text="The value read last.")
    evaluated_through = models.DateTimeField(
        null=True, blank=True, help_text="Hours up to this instant have been read."
    )
    crossings = models.PositiveIntegerField(default=0)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The incident raised at the last critical crossing.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=Level.values), name="capacity_state_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id}: {self.level}"


class ScrapeTarget(VersionedModel):
    """An endpoint on the provider's network serving the Prometheus text format, read on a
    schedule; its samples go to the metrics whose ``prometheus_name`` and labels match."""

    name = models.CharField(max_length=120, unique=True)
    # Not a URLField: hosts on the provider's network are often bare names (http://mail-01:9100).
    url = models.CharField(max_length=500, help_text="http:// or https:// address of the text.")
    interval_seconds = models.PositiveIntegerField(default=300)
    is_active = models.BooleanField(default=True)
    last_scraped_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_stored = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_seconds__gte=30), name="capacity_scrape_interval_min"
            ),
        ]

    def __str__(self) -> str:
        return self.name


__all__ = [
    "Granularity",
    "Metric",
    "PendingRollup",
    "Rollup",
    "Sample",
    "ScrapeTarget",
    "ThresholdState",
]
