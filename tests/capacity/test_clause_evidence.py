"""Clause 8.4.3 of the clause register reads the capacity records: the metrics of the live
services, those in warning or critical, and the scrape targets failing."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.capacity.models import ScrapeTarget, ThresholdState
from accord.governance.evidence import evidence_for
from accord.portfolio.choices import ServiceStatus
from tests.capacity.factories import MetricFactory
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def values(evidence):
    return {item.label: item.value for item in evidence.items}


def test_capacity_evidence_counts_the_records():
    measured = ServiceFactory()
    ServiceFactory()  # live, no metric
    ServiceFactory(status=ServiceStatus.PIPELINE)
    ok = MetricFactory(service=measured)
    hot = MetricFactory(service=measured)
    MetricFactory(service=measured, is_active=False)
    ThresholdState.objects.create(metric=hot, level="critical")
    ThresholdState.objects.create(metric=ok, level="normal")
    ScrapeTarget.objects.create(name="node", url="http://10.0.0.5:9100/metrics")
    ScrapeTarget.objects.create(
        name="db", url="http://10.0.0.6:9187/metrics"
    ).__class__.objects.filter(name="db").update(last_error="connection refused")

    evidence = evidence_for("8.4.3", NOW)

    assert evidence.available
    assert values(evidence) == {
        "Capacity metrics": 2,
        "Live services measured": 1,
        "Metrics in warning": 0,
        "Metrics critical": 1,
    }
    assert [(gap.label, gap.value) for gap in evidence.gaps] == [
        ("Live services without a capacity metric", 1),
        ("Scrape targets failing", 1),
    ]
    assert (
        evidence.summary == "2 capacity metrics on 1 of 2 live services; 0 in warning, 1 critical."
    )
