"""Taking in samples: each point checked on its own, good points stored even when others are
refused, the same batch twice stores the same rows, and only capacity recorders may send."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from accord.capacity.ingest import ingest
from accord.capacity.models import PendingRollup, Sample
from tests.base import ALL_ROLES, person_for_role, roles_with
from tests.capacity.factories import MetricFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def test_a_mixed_batch_stores_the_good_points_and_names_the_bad():
    disk = MetricFactory(code="DISK")
    MetricFactory(code="OLD", is_active=False)
    points = [
        {"metric": "DISK", "at": "2026-11-27T10:00:00Z", "value": 1.25},
        {"metric": "NOPE", "at": "2026-11-27T10:00:00Z", "value": 1},
        {"metric": "DISK", "at": "2026-11-27T10:05:00", "value": 1},  # no zone
        {"metric": "DISK", "at": "2026-11-28T12:00:00Z", "value": 1},  # a day ahead
        {"metric": "DISK", "at": "2026-01-01T00:00:00Z", "value": 1},  # past retention
        {"metric": "DISK", "at": "2026-11-27T10:10:00Z", "value": "lots"},
        {"metric": "DISK", "at": "2026-11-27T10:15:00Z", "value": float("nan")},
        {"metric": "DISK", "at": "2026-11-27T10:20:00Z", "value": True},
        {"metric": "OLD", "at": "2026-11-27T10:00:00Z", "value": 1},
        "not an object",
        {"metric": "DISK", "at": 1_795_600_000, "value": "1.5"},  # Unix seconds, text number
    ]
    result = ingest(points, actor=None, now=NOW)
    assert result.stored == 2
    assert {r.index: sorted(r.errors) for r in result.rejected} == {
        1: ["metric"],
        2: ["at"],
        3: ["at"],
        4: ["at"],
        5: ["value"],
        6: ["value"],
        7: ["value"],
        8: ["metric"],
        9: ["sample"],
    }
    assert "future" in result.rejected[2].errors["at"]
    assert sorted(Sample.objects.filter(metric=disk).values_list("value", flat=True)) == [1.25, 1.5]
    assert set(PendingRollup.objects.values_list("metric_id", "day")) == {
        (disk.pk, dt.date(2026, 11, 27)),
        (disk.pk, dt.date(2026, 11, 25)),  # the Unix seconds
    }


def test_sending_the_same_batch_twice_stores_it_once_and_the_last_value_wins():
    MetricFactory(code="DISK")
    batch = [
        {"metric": "DISK", "at": "2026-11-27T10:00:00Z", "value": 1.0},
        {"metric": "DISK", "at": "2026-11-27T11:00:00+01:00", "value": 1.1},  # same instant
    ]
    assert ingest(batch, actor=None, now=NOW).stored == 1
    assert ingest(batch, actor=None, now=NOW).stored == 1
    assert list(Sample.objects.values_list("value", flat=True)) == [1.1]
    ingest([{"metric": "DISK", "at": "2026-11-27T10:00:00Z", "value": 1.3}], actor=None, now=NOW)
    assert list(Sample.objects.values_list("value", flat=True)) == [1.3]
    assert PendingRollup.objects.count() == 1


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_sends_samples(role, customer_org):
    MetricFactory(code="DISK")
    actor = person_for_role(role, customer_org)
    point = [{"metric": "DISK", "at": "2026-11-27T10:00:00Z", "value": 1.0}]
    if role in roles_with("capacity.record"):
        assert ingest(point, actor=actor, now=NOW).stored == 1
    else:
        with pytest.raises(PermissionDenied):
            ingest(point, actor=actor, now=NOW)
        assert not Sample.objects.exists()
