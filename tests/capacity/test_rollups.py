"""Rollups equal the aggregates computed directly from the raw samples, however late or
corrected the samples arrive; a repeated run changes nothing; old raw samples are pruned."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.capacity.ingest import ingest
from accord.capacity.models import PendingRollup, Rollup, Sample
from accord.capacity.rollups import p95, prune, roll_up, series
from tests.capacity.factories import MetricFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def direct(values):
    ordered = sorted(values)
    rank = math.ceil(0.95 * len(ordered))
    return {
        "count": len(values),
        "minimum": min(values),
        "maximum": max(values),
        "total": math.fsum(values),
        "p95": ordered[rank - 1],
    }


def stored(metric, granularity):
    return {
        r.bucket: {
            "count": r.count,
            "minimum": r.minimum,
            "maximum": r.maximum,
            "total": r.total,
            "p95": r.p95,
        }
        for r in Rollup.objects.filter(metric=metric, granularity=granularity)
    }


def test_rollups_equal_aggregates_of_the_raw_samples():
    metric = MetricFactory(code="CPU")
    rng = random.Random(7)
    start = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    points = [
        {"metric": "CPU", "at": start + dt.timedelta(minutes=m), "value": rng.uniform(0, 100)}
        for m in range(0, 3 * 24 * 60, 7)
    ]
    ingest(points, actor=None, now=NOW)
    assert roll_up() == {metric.pk}
    hours, days = {}, {}
    for p in points:
        hours.setdefault(p["at"].replace(minute=0), []).append(p["value"])
        days.setdefault(p["at"].replace(hour=0, minute=0), []).append(p["value"])
    assert stored(metric, "hour") == {k: direct(v) for k, v in hours.items()}
    assert stored(metric, "day") == {k: direct(v) for k, v in days.items()}
    assert not PendingRollup.objects.exists()

    # A late and a corrected sample: their day is recomputed from the raw samples.
    late = {"metric": "CPU", "at": start + dt.timedelta(hours=5, minutes=3), "value": 150.0}
    fixed = {**points[0], "value": -1.0}
    ingest([late, fixed], actor=None, now=NOW)
    roll_up()
    hours[late["at"].replace(minute=0)].append(150.0)
    days[start].append(150.0)
    first_hour = hours[start]
    first_hour[0] = -1.0
    days[start][0] = -1.0
    assert stored(metric, "hour") == {k: direct(v) for k, v in hours.items()}
    assert stored(metric, "day") == {k: direct(v) for k, v in days.items()}
    before = list(Rollup.objects.order_by("pk").values_list("bucket", "maximum"))
    assert roll_up() == set()  # nothing pending: nothing changes
    assert list(Rollup.objects.order_by("pk").values_list("bucket", "maximum")) == before
    daily = series(metric, start=start, end=start + dt.timedelta(days=3))
    assert [b.start for b in daily] == sorted(days)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200))
def test_nearest_rank_p95(values):
    result = p95(values)
    at_or_below = sum(1 for v in values if v <= result)
    assert result in values
    assert at_or_below >= 0.95 * len(values)
    assert sum(1 for v in values if v < result) < 0.95 * len(values)


def test_old_raw_samples_are_pruned_once_rolled_up(settings):
    settings.ACCORD_CAPACITY_RAW_DAYS = 30
    metric = MetricFactory(code="DISK")
    old = NOW - dt.timedelta(days=40)
    ingest([{"metric": "DISK", "at": NOW - dt.timedelta(days=20), "value": 1}], actor=None, now=NOW)
    Sample.objects.create(metric=metric, at=old, value=2)
    PendingRollup.objects.create(metric=metric, day=old.date())
    assert prune(NOW) == 0  # its day is not rolled up yet
    roll_up()
    assert prune(NOW) == 1
    assert Sample.objects.count() == 1
    assert Rollup.objects.filter(bucket__date=old.date(), granularity="day").exists()
