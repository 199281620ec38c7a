"""Clause 8.7.1 of the clause register reads the availability records: live services with an
agreed availability target, outages of the last 90 days, and investigations of unplanned
outages."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.governance.evidence import evidence_for
from accord.portfolio.choices import ServiceStatus
from tests.availability.factories import (
    InvestigationFactory,
    OutageFactory,
    sla_with_availability,
)
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def values(evidence):
    return {item.label: item.value for item in evidence.items}


def test_availability_evidence_counts_the_records():
    covered, bare = ServiceFactory(), ServiceFactory()
    ServiceFactory(status=ServiceStatus.PIPELINE)
    sla_with_availability([covered])
    OutageFactory(service=covered, start=NOW - 10 * DAY, end=NOW - 9 * DAY)
    OutageFactory(service=bare, kind="planned", start=NOW - 5 * DAY, end=NOW - 4 * DAY)
    OutageFactory(service=bare, start=NOW - DAY, end=None)
    OutageFactory(service=bare, start=NOW - 200 * DAY, end=NOW - 199 * DAY)  # too old
    InvestigationFactory(outage=OutageFactory(service=covered, start=NOW - 2 * DAY))
    InvestigationFactory(
        outage=OutageFactory(service=covered, start=NOW - 3 * DAY), status="completed"
    )

    evidence = evidence_for("8.7.1", NOW)

    assert evidence.available
    assert values(evidence) == {
        "Live services with an availability target": 1,
        "Outages recorded (90 days)": 5,
        "Unplanned": 4,
        "Planned maintenance": 1,
        "Ongoing now": 1,
        "Investigations completed": 1,
    }
    assert [(gap.label, gap.value) for gap in evidence.gaps] == [
        ("Live services without an agreed availability target", 1),
        ("Unplanned outages still under investigation", 1),
    ]
    assert evidence.summary.startswith("1 of 2 live services have an agreed availability target;")
