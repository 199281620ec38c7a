"""Read queries of capacity: metrics in scope, and where each stands: utilisation, headroom,
threshold level and the forecast of when it reaches its thresholds and runs out.

"What runs out first" is answered for many metrics at once in a constant number of queries:
the metrics, their threshold states, and the last ``HISTORY_DAYS`` of daily rollups, then the
forecast of each in Python (:mod:`accord.domain.forecast`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from accord.capacity.choices import LEVEL_ORDER, Aggregation, Level
from accord.capacity.models import Metric, ThresholdState
from accord.capacity.rollups import Bucket, daily_values
from accord.core.permissions import has_capability, sees_all_organisations
from accord.domain import forecast as fc

#: Days of daily aggregates a forecast reads.
HISTORY_DAYS = 90
#: How far ahead forecasts look.
HORIZON_DAYS = 365


def may_view(person: Any) -> bool:
    return sees_all_organisations(person) and has_capability(person, "capacity.view")


def metrics_visible_to(person: Any) -> QuerySet[Metric]:
    """Provider staff and auditors see every metric; customers none (capacity is internal)."""
    qs = Metric.objects.select_related("service", "configuration_item", "owner", "state")
    return qs if may_view(person) else qs.none()


@dataclass
class Outlook:
    """One metric now and ahead."""

    metric: Metric
    level: str
    latest: Bucket | None  # the last daily aggregate
    current: float | None  # its value on the metric's aggregation
    utilisation: float | None  # current / usable
    headroom: float | None  # (usable - current) / usable
    forecast: fc.Forecast
    history: list[tuple[dt.date, Bucket]]

    def crossing(self, index: int) -> fc.Crossing | None:
        crossings = self.forecast.crossings
        return crossings[index] if index < len(crossings) else None

    @property
    def warning(self) -> fc.Crossing | None:
        return self.crossing(0)

    @property
    def critical(self) -> fc.Crossing | None:
        return self.crossing(1)

    @property
    def exhaustion(self) -> fc.Crossing | None:
        return self.crossing(2)

    @property
    def runs_out(self) -> dt.date | None:
        """The expected day of exhaustion (today when already exhausted)."""
        ex = self.exhaustion
        if ex is None:
            return None
        if ex.already:
            return self.forecast.trend.last_day if self.forecast.trend else None
        return ex.expected


def series_points(metric: Metric, history: Sequence[tuple[dt.date, Bucket]]) -> list[fc.Point]:
    """The daily points a forecast reads. For peak and 95th-percentile metrics each day carries
    the highest value of its trailing week (that day and the six before), so a quiet weekend
    does not hide a busy Monday: capacity runs out on the busiest days, and the trend of those
    is what matters. Mean metrics read their daily means."""
    values = [(day, bucket.read(metric.aggregation)) for day, bucket in history]
    if metric.aggregation == Aggregation.MEAN:
        return [fc.Point(day, value) for day, value in values]
    points = []
    for day, _value in values:
        week = [v for d, v in values if day - dt.timedelta(days=6) <= d <= day]
        points.append(fc.Point(day, max(week)))
    return points


def _state_level(metric: Metric) -> str:
    try:
        state: ThresholdState = metric.state
    except ThresholdState.DoesNotExist:
        return Level.NORMAL
    return state.level


def outlooks(metrics: Sequence[Metric], *, today: dt.date) -> list[Outlook]:
    """Each metric's outlook, in the order given. One query for all their daily aggregates."""
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    start = end - dt.timedelta(days=HISTORY_DAYS + 1)
    days = daily_values([m.pk for m in metrics], start=start, end=end)
    found = []
    for metric in metrics:
        history = days.get(metric.pk, [])
        points = series_points(metric, history)
        outlook = fc.forecast(
            points,
            [metric.warning_threshold, metric.critical_threshold, metric.usable_capacity],
            today=today,
            horizon_days=HORIZON_DAYS,
        )
        latest = history[-1][1] if history else None
        current = latest.read(metric.aggregation) if latest else None
        found.append(
            Outlook(
                metric=metric,
                level=_state_level(metric),
                latest=latest,
                current=current,
                utilisation=current / metric.usable_capacity if current is not None else None,
                headroom=fc.headroom(metric.usable_capacity, current)
                if current is not None
                else None,
                forecast=outlook,
                history=history,
            )
        )
    return found


def closest_to_limits(found: Sequence[Outlook]) -> list[Outlook]:
    """Worst first: the highest threshold level, then the soonest expected exhaustion, then the
    least headroom; metrics without data last."""
    far = dt.date.max

    def key(o: Outlook) -> tuple[Any, ...]:
        return (
            -LEVEL_ORDER[o.level],
            o.runs_out or far,
            o.headroom if o.headroom is not None else float("inf"),
            o.metric.code,
        )

    return sorted(found, key=key)
