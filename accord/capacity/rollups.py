"""Rolling raw samples up into hourly and daily aggregates, and reading them back as series.

The job takes the days marked by ingestion (``PendingRollup``), reads the raw samples of each
run of consecutive pending days of a metric once, and writes those days' hourly buckets and
daily buckets (count, minimum,
maximum, sum and 95th percentile), replacing what was there. Recomputing a whole day from the
raw samples, rather than adding to the buckets, keeps the aggregates equal to what the raw
samples say however late or corrected they arrived, and makes a repeated run harmless. Raw
samples older than ``ACCORD_CAPACITY_RAW_DAYS`` are then deleted; their rollups stay.

The 95th percentile is the nearest-rank one: the smallest value with at least 95 % of the
values at or below it (of 20 values, the 19th smallest).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from accord.capacity.choices import Aggregation, Granularity
from accord.capacity.models import Metric, PendingRollup, Rollup, Sample

#: Pending days handled per transaction.
DAYS_PER_STEP = 1000


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile of ``values`` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Bucket:
    start: dt.datetime
    count: int
    minimum: float
    maximum: float
    total: float
    p95: float

    @property
    def mean(self) -> float:
        return self.total / self.count

    def read(self, aggregation: str) -> float:
        """The figure of this bucket that ``aggregation`` names."""
        if aggregation == Aggregation.P95:
            return self.p95
        if aggregation == Aggregation.MEAN:
            return self.mean
        return self.maximum


def bucket_of(start: dt.datetime, values: Sequence[float]) -> Bucket:
    return Bucket(start, len(values), min(values), max(values), math.fsum(values), p95(values))


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs, so a run is one range query."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _roll_days(metric_id: int, first: dt.date, last: dt.date) -> list[Rollup]:
    """Recompute the rollups of ``first`` … ``last`` (consecutive days) of one metric from its
    raw samples: one read and one delete for the whole run."""
    start, end = _day_start(first), _day_start(last + dt.timedelta(days=1))
    values = (
        Sample.objects.filter(metric_id=metric_id, at__gte=start, at__lt=end)
        .order_by("at")
        .values_list("at", "value")
    )
    Rollup.objects.filter(metric_id=metric_id, bucket__gte=start, bucket__lt=end).delete()
    hours: dict[dt.datetime, list[float]] = defaultdict(list)
    days: dict[dt.datetime, list[float]] = defaultdict(list)
    for at, value in values:
        hour = at.replace(minute=0, second=0, microsecond=0)
        hours[hour].append(value)
        days[hour.replace(hour=0)].append(value)
    rows = [
        _row(metric_id, Granularity.HOUR, bucket_of(hour, group))
        for hour, group in sorted(hours.items())
    ]
    rows.extend(
        _row(metric_id, Granularity.DAY, bucket_of(day, group))
        for day, group in sorted(days.items())
    )
    return rows


def _row(metric_id: int, granularity: str, bucket: Bucket) -> Rollup:
    return Rollup(
        metric_id=metric_id,
        granularity=granularity,
        bucket=bucket.start,
        count=bucket.count,
        minimum=bucket.minimum,
        maximum=bucket.maximum,
        total=bucket.total,
        p95=bucket.p95,
    )


_COLUMNS = ("metric", "granularity", "bucket", "count", "minimum", "maximum", "total", "p95")
_TYPES = ("bigint", "text", "timestamptz", "integer", "float8", "float8", "float8", "float8")


def _insert(rows: Sequence[Rollup]) -> None:
    """Insert rollup rows in one statement per 5,000 (arrays on PostgreSQL, ``executemany``
    elsewhere): a year of hourly data is millions of rows, and building them through
    ``bulk_create`` cost more than the database did. Columns come from the model."""
    if not rows:
        return
    fields = [Rollup._meta.get_field(name) for name in _COLUMNS]
    table = connection.ops.quote_name(Rollup._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [
        (r.metric_id, r.granularity, r.bucket, r.count, r.minimum, r.maximum, r.total, r.p95)
        for r in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in _TYPES)
            # Identifiers from the model, quoted; every value is a bound parameter.
            sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608
            for start in range(0, len(values), 5000):
                chunk = values[start : start + 5000]
                cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])
        else:
            marks = ", ".join(["%s"] * len(_COLUMNS))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, values)


def roll_up(*, limit: int | None = None) -> set[int]:
    """Recompute the pending days (all, or the first ``limit``); returns the metrics touched.
    Each step is one transaction that takes its pending rows, so two workers never roll the
    same day twice at once and a worker that dies leaves its days pending."""
    touched: set[int] = set()
    done = 0
    while limit is None or done < limit:
        step = DAYS_PER_STEP if limit is None else min(DAYS_PER_STEP, limit - done)
        with transaction.atomic():
            pending = list(
                PendingRollup.objects.select_for_update(skip_locked=True)
                .order_by("metric_id", "day")
                .values_list("pk", "metric_id", "day")[:step]
            )
            if not pending:
                break
            by_metric: dict[int, list[dt.date]] = defaultdict(list)
            for _pk, metric_id, day in pending:
                by_metric[metric_id].append(day)
            rows: list[Rollup] = []
            for metric_id, days in by_metric.items():
                for first, last in _runs(days):
                    rows.extend(_roll_days(metric_id, first, last))
                touched.add(metric_id)
            _insert(rows)
            PendingRollup.objects.filter(pk__in=[p[0] for p in pending]).delete()
        done += len(pending)
    return touched


def prune(now: dt.datetime) -> int:
    """Delete raw samples older than the retention whose days are rolled up; returns how many."""
    cutoff = _day_start((now - dt.timedelta(days=settings.ACCORD_CAPACITY_RAW_DAYS)).date())
    waiting = PendingRollup.objects.filter(day__lt=cutoff.date()).values("metric_id")
    deleted, _ = Sample.objects.filter(at__lt=cutoff).exclude(metric_id__in=waiting).delete()
    return deleted


# --- reading ------------------------------------------------------------------------------------


def series(
    metric: Metric,
    *,
    start: dt.datetime,
    end: dt.datetime,
    granularity: str = Granularity.DAY,
) -> list[Bucket]:
    """The metric's buckets in ``[start, end)``, oldest first (one query)."""
    return [
        Bucket(b, n, lo, hi, total, q)
        for b, n, lo, hi, total, q in Rollup.objects.filter(
            metric=metric, granularity=granularity, bucket__gte=start, bucket__lt=end
        )
        .order_by("bucket")
        .values_list("bucket", "count", "minimum", "maximum", "total", "p95")
    ]


def daily_values(
    metric_ids: Iterable[int], *, start: dt.datetime, end: dt.datetime
) -> dict[int, list[tuple[dt.date, Bucket]]]:
    """Daily buckets of many metrics in one query, for forecasts and the capacity page."""
    found: dict[int, list[tuple[dt.date, Bucket]]] = defaultdict(list)
    for metric_id, b, n, lo, hi, total, q in (
        Rollup.objects.filter(
            metric_id__in=list(metric_ids),
            granularity=Granularity.DAY,
            bucket__gte=start,
            bucket__lt=end,
        )
        .order_by("metric_id", "bucket")
        .values_list("metric_id", "bucket", "count", "minimum", "maximum", "total", "p95")
    ):
        found[metric_id].append((b.date(), Bucket(b, n, lo, hi, total, q)))
    return found
