"""Clause 8.6.3 of the clause register reads the problem records: open problems, known errors
and those still without a workaround, problems resolved recently and by a change, and the
incidents linked to problems."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.governance.evidence import evidence_for
from tests.factories import make_incident
from tests.problems.factories import ProblemFactory, link

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def values(evidence):
    return {item.label: item.value for item in evidence.items}


def test_problem_management_evidence_counts_the_records():
    ProblemFactory(status="new")
    ProblemFactory(status="known_error", workaround="Restart the spooler.")
    without = ProblemFactory(status="awaiting_change", workaround="")
    ProblemFactory(status="resolved", resolved_at=NOW - dt.timedelta(days=10))
    ProblemFactory(
        status="resolved", resolved_at=NOW - dt.timedelta(days=5), change_reference="CHG-000007"
    )
    ProblemFactory(status="closed", resolution="fixed", resolved_at=NOW - dt.timedelta(days=200))
    link(without, make_incident(), linked_at=NOW - dt.timedelta(days=1))
    link(without, make_incident(), linked_at=NOW - dt.timedelta(days=120))

    evidence = evidence_for("8.6.3", NOW)

    assert evidence.available
    assert values(evidence) == {
        "Problems open": 3,
        "Known errors": 2,
        "Problems resolved (90 days)": 2,
        "Resolved by a change": 1,
        "Incidents linked to problems (90 days)": 1,
    }
    assert [(gap.label, gap.value) for gap in evidence.gaps] == [
        ("Known errors without a workaround", 1)
    ]
    assert evidence.summary.startswith("3 problems open, 2 of them known errors;")
