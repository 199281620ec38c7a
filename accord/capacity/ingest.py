"""Taking in capacity samples in bulk: checked point by point, stored idempotently.

Every door (the batch API, CSV files, scrapes) hands a list of raw points to :func:`ingest`.
Each point is checked on its own: an unknown or inactive metric, a value that is not a finite
number, a timestamp without a time zone, too far in the future or older than the raw retention
is rejected with a message naming the point, and the rest of the batch is stored. Storing is one
``INSERT … ON CONFLICT (metric, at) DO UPDATE`` per chunk, so sending the same batch twice
stores the same rows (the last value for an instant wins), and the days touched are marked for
the rollup job.

Speed matters here (the goal is 50,000 samples a second on PostgreSQL in batches of 5,000): the
checks are plain Python on plain values, the metrics are read in one query per batch, and
nothing is loaded back.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from accord.capacity.models import Metric, PendingRollup, Sample
from accord.core.permissions import has_capability, sees_all_organisations

#: Rows written per INSERT statement.
CHUNK = 5000
#: Largest batch accepted in one call.
MAX_BATCH = 50_000


@dataclass
class Rejected:
    """A point that was not stored, and why (``index`` is its position in the batch)."""

    index: int
    errors: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "errors": self.errors}


@dataclass
class IngestResult:
    stored: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    metrics: set[int] = field(default_factory=set)


def _instant(raw: Any) -> dt.datetime | str:
    """The aware instant of ``raw`` (ISO 8601 text, a datetime, or Unix seconds), or an error."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        if not math.isfinite(raw):
            return "Give the time as ISO 8601 (2026-11-27T14:30:00Z) or Unix seconds."
        try:
            return dt.datetime.fromtimestamp(raw, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return "The time is out of range."
    elif isinstance(raw, str):
        text = raw.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return "Give the time as ISO 8601 (2026-11-27T14:30:00Z) or Unix seconds."
    else:
        return "Give the time of the sample."
    if value.tzinfo is None or value.utcoffset() is None:
        return "Give the time zone of the time (for example 2026-11-27T14:30:00Z)."
    return value.astimezone(dt.UTC)


def _value(raw: Any) -> float | str:
    if isinstance(raw, bool) or raw is None:
        return "Give the value as a number."
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return f"{raw[:40]!r} is not a number."
    else:
        return "Give the value as a number."
    if not math.isfinite(value):
        return "The value must be a finite number."
    return value


def metrics_by_code(codes: Iterable[str]) -> dict[str, Metric]:
    """The active metrics named, by code, in one query."""
    wanted = {c for c in codes if isinstance(c, str)}
    return {
        m.code: m for m in Metric.objects.filter(code__in=wanted, is_active=True).only("pk", "code")
    }


def may_ingest(actor: Any) -> bool:
    """Capacity managers and administrators (and their API tokens, which monitoring tools
    use), or the system itself (scrapes)."""
    return actor is None or (
        sees_all_organisations(actor) and has_capability(actor, "capacity.record")
    )


def ingest(
    points: Iterable[Mapping[str, Any]],
    *,
    actor: Any,
    now: dt.datetime,
    metrics: Mapping[str, Metric] | None = None,
) -> IngestResult:
    """Check and store ``points`` (mappings with ``metric`` (code), ``at``, ``value``).

    ``metrics`` may give the metrics already found (a scrape matches by Prometheus name, not
    by code, and passes them keyed by whatever it put in ``metric``)."""
    if not may_ingest(actor):
        raise PermissionDenied("Only capacity managers send capacity samples.")
    points = list(points)
    if len(points) > MAX_BATCH:
        raise ValueError(f"Send at most {MAX_BATCH} samples at once (got {len(points)}).")
    if metrics is None:
        metrics = metrics_by_code(
            p.get("metric")
            for p in points
            if isinstance(p, Mapping)  # type: ignore[misc]
        )
    latest = now + dt.timedelta(minutes=settings.ACCORD_CAPACITY_FUTURE_MINUTES)
    earliest = now - dt.timedelta(days=settings.ACCORD_CAPACITY_RAW_DAYS)
    result = IngestResult()
    rows: dict[tuple[int, dt.datetime], float] = {}
    for index, point in enumerate(points):
        if not isinstance(point, Mapping):
            result.rejected.append(
                Rejected(index, {"sample": 'Give an object {"metric", "at", "value"}.'})
            )
            continue
        errors: dict[str, str] = {}
        code = point.get("metric")
        metric = metrics.get(code) if isinstance(code, str) else None
        if metric is None:
            errors["metric"] = (
                f"No active metric {code!r}." if code not in (None, "") else "Name the metric."
            )
        at = _instant(point.get("at"))
        if isinstance(at, str):
            errors["at"] = at
        elif at > latest:
            errors["at"] = "The time lies in the future."
        elif at < earliest:
            errors["at"] = (
                f"The time is older than the {settings.ACCORD_CAPACITY_RAW_DAYS} days samples "
                "are kept."
            )
        value = _value(point.get("value"))
        if isinstance(value, str):
            errors["value"] = value
        if errors:
            result.rejected.append(Rejected(index, errors))
            continue
        assert metric is not None and isinstance(at, dt.datetime) and isinstance(value, float)
        rows[(metric.pk, at)] = value  # the last value for an instant wins
    if rows:
        _store(rows)
        result.stored = len(rows)
        result.metrics = {metric_id for metric_id, _ in rows}
    return result


def _upsert_sql() -> str:
    table = connection.ops.quote_name(Sample._meta.db_table)
    metric = connection.ops.quote_name(Sample._meta.get_field("metric").column)
    at = connection.ops.quote_name(Sample._meta.get_field("at").column)
    value = connection.ops.quote_name(Sample._meta.get_field("value").column)
    if connection.vendor == "postgresql":
        # Three arrays bound as three parameters: one statement per chunk, no per-row SQL.
        rows = "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[])"
    else:
        rows = "VALUES (%s, %s, %s)"
    return (
        f"INSERT INTO {table} ({metric}, {at}, {value}) {rows} "
        f"ON CONFLICT ({metric}, {at}) DO UPDATE SET {value} = excluded.{value}"
    )


@transaction.atomic
def _store(rows: Mapping[tuple[int, dt.datetime], float]) -> None:
    """Upsert the rows in chunks and mark their days for the rollup job.

    Written as one ``INSERT … ON CONFLICT`` statement per chunk rather than through
    ``bulk_create``: building a model instance and its SQL placeholders per sample cost more
    than the database did (ingestion is the hot path of capacity management). The statement
    names the table and columns from the model, so it follows the schema."""
    sql = _upsert_sql()
    items = [(m, at, v) for (m, at), v in rows.items()]
    with connection.cursor() as cursor:
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            if connection.vendor == "postgresql":
                cursor.execute(
                    sql,
                    [
                        [m for m, _, _ in chunk],
                        [at for _, at, _ in chunk],
                        [v for _, _, v in chunk],
                    ],
                )
            else:
                cursor.executemany(sql, chunk)
    days = {(m, at.date()) for (m, at) in rows}
    PendingRollup.objects.bulk_create(
        [PendingRollup(metric_id=m, day=day) for m, day in days], ignore_conflicts=True
    )
