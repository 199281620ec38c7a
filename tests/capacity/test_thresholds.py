"""Threshold crossings: a warning and, at critical, an incident on the service, exactly once per
crossing; staying above raises nothing more; falling back re-arms."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.capacity.ingest import ingest
from accord.capacity.models import ThresholdState
from accord.capacity.rollups import roll_up
from accord.capacity.thresholds import evaluate
from accord.core.choices import Role
from accord.incidents.models import Incident
from accord.notifications.models import Notification
from tests.capacity.factories import MetricFactory
from tests.factories import person_with_role, provider

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def feed(metric, values, start=START):
    """One sample at the start of each hour from ``start``."""
    ingest(
        [
            {"metric": metric.code, "at": start + dt.timedelta(hours=i), "value": v}
            for i, v in enumerate(values)
        ],
        actor=None,
        now=NOW,
    )
    roll_up()


def test_each_crossing_is_told_once():
    provider()
    manager = person_with_role(Role.CAPACITY_MANAGER)
    metric = MetricFactory()
    # normal, warning, warning, critical, critical, back to normal, critical again
    feed(metric, [1.0, 1.7, 1.8, 1.95, 1.99, 1.0, 1.92])
    assert evaluate([metric.pk], now=NOW) == {metric.pk: "critical"}
    notices = Notification.objects.filter(recipient=manager).order_by("pk")
    assert [n.kind for n in notices] == [
        "capacity.warning",
        "capacity.critical",
        "capacity.critical",
    ]
    incidents = Incident.objects.filter(channel="monitoring").order_by("pk")
    assert incidents.count() == 2  # one per critical crossing, none for staying critical
    assert incidents[0].service == metric.service
    assert "1.95 TB" in incidents[0].description
    state = ThresholdState.objects.get(metric=metric)
    assert (state.level, state.crossings, state.value) == ("critical", 3, 1.92)
    assert state.incident == incidents[1]

    # Running again reads no hour twice: nothing new.
    evaluate([metric.pk], now=NOW)
    assert notices.count() == 3 and incidents.count() == 2
    # Staying critical in new hours tells nobody.
    feed(metric, [1.93, 1.97], start=START + dt.timedelta(hours=7))
    evaluate([metric.pk], now=NOW)
    assert notices.count() == 3 and incidents.count() == 2


def test_the_aggregation_decides_and_the_running_hour_waits(customer_org):
    provider()
    metric = MetricFactory(aggregation="mean")
    # The hour from 10:00 peaks at 1.95 but averages 1.3: no crossing on the mean.
    ingest(
        [
            {"metric": metric.code, "at": NOW.replace(hour=10, minute=m), "value": v}
            for m, v in ((0, 1.0), (20, 1.95), (40, 0.95))
        ],
        actor=None,
        now=NOW,
    )
    # The running hour (12:00) is not read until it is complete.
    ingest([{"metric": metric.code, "at": NOW, "value": 1.99}], actor=None, now=NOW)
    roll_up()
    assert evaluate([metric.pk], now=NOW) == {}
    assert ThresholdState.objects.get(metric=metric).level == "normal"
    assert evaluate([metric.pk], now=NOW + dt.timedelta(hours=1)) == {metric.pk: "critical"}
