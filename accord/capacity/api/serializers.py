"""Serializers of the capacity API. They parse and present; the services write and hold the
rules (thresholds ordered, a subject named, an owner on the provider's staff), so the API, the
pages and the command line refuse the same things with the same words.

Samples have no serializer on purpose: a batch of 50,000 points checked field by field through
DRF would cost seconds; :func:`accord.capacity.ingest.ingest` checks plain values instead.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.capacity.choices import Aggregation, CapacityKind, Level
from accord.capacity.models import Metric, ScrapeTarget, ThresholdState
from accord.changes.api.changes_serializers import choice_field
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.selectors import people_visible_to
from accord.domain import forecast as fc
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to


class StateSerializer(serializers.Serializer[Any]):
    """Where a metric stands against its thresholds."""

    level = choice_field(
        Level.choices, "normal, warning or critical.", name="CapacityLevelEnum", read_only=True
    )
    since = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Start of the hour it reached this level."
    )
    value = serializers.FloatField(
        read_only=True, allow_null=True, help_text="The value of the last hour read."
    )


def state_of(metric: Metric) -> dict[str, Any]:
    """The metric's threshold state; a metric never read yet is normal since nobody knows."""
    try:
        state: ThresholdState = metric.state
    except ThresholdState.DoesNotExist:
        return {"level": Level.NORMAL.value, "since": None, "value": None}
    return {"level": state.level, "since": state.since, "value": state.value}


class MetricSerializer(serializers.ModelSerializer[Metric]):
    """A capacity metric with its thresholds, where it stands and how much room is left."""

    kind = choice_field(
        CapacityKind.choices,
        "technical, human, information or financial.",
        name="CapacityKindEnum",
        required=False,
    )
    aggregation = choice_field(
        Aggregation.choices,
        "Which figure of an hour or day the thresholds and forecasts read: peak, p95 or mean.",
        name="CapacityAggregationEnum",
        required=False,
    )
    service = ScopedPrimaryKeyRelatedField(
        services_visible_to,
        required=False,
        allow_null=True,
        help_text="Id of the service measured (a service or a configuration item is required).",
    )
    configuration_item = ScopedPrimaryKeyRelatedField(
        cis_visible_to,
        required=False,
        allow_null=True,
        help_text="Id of the configuration item measured.",
    )
    owner = ScopedPrimaryKeyRelatedField(
        people_visible_to, help_text="Id of the provider person who watches this metric."
    )
    usable_capacity = serializers.FloatField(help_text="How much can be used, in the unit (> 0).")
    warning_threshold = serializers.FloatField(
        help_text="At or above this value (in the unit) a warning; below the critical one."
    )
    critical_threshold = serializers.FloatField(
        help_text="At or above this value (in the unit) an incident is raised."
    )
    prometheus_labels = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text='Labels a scraped sample must carry, e.g. {"instance": "mail-01"}.',
    )
    prometheus_scale = serializers.FloatField(
        required=False, help_text="Scraped values are multiplied by this (bytes to TB: 1e-12)."
    )
    state = serializers.SerializerMethodField()
    latest_day = serializers.SerializerMethodField()
    latest_value = serializers.SerializerMethodField()
    utilisation = serializers.SerializerMethodField()
    headroom = serializers.SerializerMethodField()

    class Meta:
        model = Metric
        fields = [
            "id",
            "version",
            "code",
            "name",
            "description",
            "kind",
            "service",
            "configuration_item",
            "unit",
            "usable_capacity",
            "aggregation",
            "warning_threshold",
            "critical_threshold",
            "owner",
            "is_active",
            "prometheus_name",
            "prometheus_labels",
            "prometheus_scale",
            "state",
            "latest_day",
            "latest_value",
            "utilisation",
            "headroom",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        # The service checks the code (format, unique) with the other rules, in one answer.
        extra_kwargs = {"code": {"validators": []}}

    @extend_schema_field(StateSerializer)
    def get_state(self, metric: Metric) -> dict[str, Any]:
        return dict(StateSerializer(state_of(metric)).data)

    @extend_schema_field(OpenApiTypes.DATE)
    def get_latest_day(self, metric: Metric) -> Any:
        """The day of the latest daily aggregate (null before the first rollup)."""
        day = getattr(metric, "latest_day", None)
        return day.date().isoformat() if day is not None else None

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_latest_value(self, metric: Metric) -> float | None:
        """The latest daily aggregate on the metric's aggregation (peak, p95 or mean)."""
        return getattr(metric, "latest_value", None)

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_utilisation(self, metric: Metric) -> float | None:
        """latest_value / usable_capacity."""
        value = getattr(metric, "latest_value", None)
        return value / metric.usable_capacity if value is not None else None

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_headroom(self, metric: Metric) -> float | None:
        """(usable - latest_value) / usable: the share still free, negative when over."""
        value = getattr(metric, "latest_value", None)
        return fc.headroom(metric.usable_capacity, value) if value is not None else None


class BucketSerializer(serializers.Serializer[Any]):
    """One hour or day of a metric."""

    bucket = serializers.DateTimeField(help_text="Start of the hour or day (UTC).")
    count = serializers.IntegerField(help_text="Samples in it.")
    min = serializers.FloatField()
    max = serializers.FloatField()
    mean = serializers.FloatField()
    p95 = serializers.FloatField(help_text="Nearest-rank 95th percentile.")


class SampleBatchSerializer(serializers.Serializer[Any]):
    """For the schema only: the body of a batch (parsed without a serializer)."""

    samples = serializers.ListField(
        child=serializers.DictField(),
        help_text='Points {"metric": code, "at": ISO 8601 with offset or Unix seconds, '
        '"value": number}.',
    )


class RejectedSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(
        help_text="Position in the batch (0-based); for a CSV file the data row (1-based)."
    )
    errors = serializers.DictField(child=serializers.CharField())


class IngestAnswerSerializer(serializers.Serializer[Any]):
    stored = serializers.IntegerField(help_text="Samples stored (a repeat counts once).")
    rejected = RejectedSerializer(many=True)


class CrossingSerializer(serializers.Serializer[Any]):
    threshold = serializers.FloatField()
    expected = serializers.DateField(allow_null=True, help_text="Day the trend reaches it.")
    earliest = serializers.DateField(allow_null=True, help_text="Soonest, at the band's top.")
    latest = serializers.DateField(allow_null=True, help_text="Latest, at the band's bottom.")
    already = serializers.BooleanField(help_text="The last value is at or over it already.")


class TrendSerializer(serializers.Serializer[Any]):
    method = serializers.CharField(help_text="linear (short series) or holt.")
    level = serializers.FloatField(help_text="The smoothed value on the last day observed.")
    slope_per_day = serializers.FloatField()
    residual_sd = serializers.FloatField()
    observations = serializers.IntegerField()
    last_day = serializers.DateField()


class ForecastSerializer(serializers.Serializer[Any]):
    metric = serializers.IntegerField(help_text="Id of the metric.")
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    aggregation = serializers.CharField()
    level = serializers.CharField(help_text="Threshold state now: normal, warning, critical.")
    current = serializers.FloatField(allow_null=True, help_text="The latest daily aggregate.")
    headroom = serializers.FloatField(allow_null=True)
    trend = TrendSerializer(allow_null=True)
    warning = CrossingSerializer()
    critical = CrossingSerializer()
    exhaustion = CrossingSerializer(help_text="When the usable capacity is reached.")


def crossing_data(crossing: fc.Crossing | None) -> dict[str, Any] | None:
    if crossing is None:
        return None
    return {
        "threshold": crossing.threshold,
        "expected": crossing.expected,
        "earliest": crossing.earliest,
        "latest": crossing.latest,
        "already": crossing.already,
    }


def trend_data(trend: fc.Trend | None) -> dict[str, Any] | None:
    if trend is None:
        return None
    return {
        "method": trend.method,
        "level": trend.level,
        "slope_per_day": trend.slope,
        "residual_sd": trend.residual_sd,
        "observations": trend.observations,
        "last_day": trend.last_day,
    }


class ScrapeTargetSerializer(serializers.ModelSerializer[ScrapeTarget]):
    """An endpoint serving the Prometheus text format, and how its last scrape went."""

    class Meta:
        model = ScrapeTarget
        fields = [
            "id",
            "version",
            "name",
            "url",
            "interval_seconds",
            "is_active",
            "last_scraped_at",
            "last_error",
            "last_stored",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "version",
            "last_scraped_at",
            "last_error",
            "last_stored",
            "created_at",
            "updated_at",
        ]
        # The service checks the name (unique) and the address with the other rules.
        extra_kwargs = {"name": {"validators": []}, "url": {"validators": []}}


class ScrapeAnswerSerializer(serializers.Serializer[Any]):
    stored = serializers.IntegerField()
    matched = serializers.IntegerField(help_text="Samples of the text that belong to metrics.")
    rejected = serializers.ListField(child=serializers.DictField())
    error = serializers.CharField(help_text="Empty when the scrape went cleanly.")
    last_scraped_at = serializers.DateTimeField()
