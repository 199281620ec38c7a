"""What runs out first: each metric's utilisation, headroom, level and forecast, read for many
metrics at once in a constant number of queries, worst first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.capacity.ingest import ingest
from accord.capacity.models import Metric
from accord.capacity.rollups import roll_up
from accord.capacity.selectors import closest_to_limits, metrics_visible_to, outlooks
from accord.core.choices import Role
from tests.base import ALL_ROLES, person_for_role, roles_with
from tests.capacity.factories import MetricFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def grow(metric, start_value, per_day, days=40):
    """One sample a day at noon for ``days`` days up to yesterday, growing linearly."""
    ingest(
        [
            {
                "metric": metric.code,
                "at": dt.datetime.combine(
                    TODAY - dt.timedelta(days=days - i), dt.time(12), tzinfo=dt.UTC
                ),
                "value": start_value + per_day * i,
            }
            for i in range(days)
        ],
        actor=None,
        now=NOW,
    )


def test_the_fastest_growing_metric_runs_out_first():
    slow = MetricFactory(code="SLOW")  # 2 TB usable
    fast = MetricFactory(code="FAST")
    flat = MetricFactory(code="FLAT")
    empty = MetricFactory(code="EMPTY")
    grow(slow, 0.5, 0.005)  # 0.7 TB after 40 days: full in about 260 days
    grow(fast, 0.5, 0.02)  # 1.28 TB: full in about 36 days
    grow(flat, 1.0, 0.0)
    roll_up()
    found = closest_to_limits(
        outlooks(list(Metric.objects.select_related("state").order_by("code")), today=TODAY)
    )
    assert [o.metric.code for o in found] == ["FAST", "SLOW", "FLAT", "EMPTY"]
    fast_outlook = found[0]
    assert fast_outlook.current == pytest.approx(1.28)
    assert fast_outlook.headroom == pytest.approx(0.36)
    assert fast_outlook.utilisation == pytest.approx(0.64)
    assert abs((fast_outlook.runs_out - (TODAY + dt.timedelta(days=36))).days) <= 2
    assert fast_outlook.warning.expected < fast_outlook.critical.expected
    assert found[2].runs_out is None  # flat never runs out
    assert found[3].current is None and found[3].forecast.trend is None
    assert empty.pk


def test_queries_do_not_grow_with_metrics():
    def read() -> int:
        metrics = list(Metric.objects.select_related("state"))
        with CaptureQueriesContext(connection) as queries:
            outlooks(metrics, today=TODAY)
        return len(queries)

    grow(MetricFactory(), 1.0, 0.01, days=20)
    roll_up()
    few = read()
    for _ in range(4):
        grow(MetricFactory(), 1.0, 0.01, days=20)
    roll_up()
    assert read() == few == 1


@pytest.mark.parametrize("role", ALL_ROLES)
def test_capacity_is_for_provider_staff(role, customer_org):
    MetricFactory()
    seen = metrics_visible_to(person_for_role(role, customer_org)).count()
    assert seen == (1 if role in roles_with("capacity.view") else 0)
    assert Role.CUSTOMER_USER not in roles_with("capacity.view")
