"""The problem review's figures against hand-built data: ages, statuses, mean times, the known
errors with the most incidents, reopened problems, proposals."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.core.choices import Role
from accord.problems.choices import ProposalStatus
from accord.problems.selectors.review import duration_text, review_metrics
from tests.factories import person_with_role
from tests.problems.detection_factories import incident, proposal
from tests.problems.factories import ProblemFactory, link

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def reader():
    return person_with_role(Role.AGENT)


def counts(buckets) -> dict[str, int]:
    return {b.key: b.count for b in buckets}


def test_open_problems_by_age_and_status(reader):
    ProblemFactory(opened_at=ago(3))
    ProblemFactory(opened_at=ago(7), status="under_investigation")  # the bound: 7 to 30
    ProblemFactory(opened_at=ago(20), status="known_error")
    ProblemFactory(opened_at=ago(60), status="awaiting_change")
    ProblemFactory(opened_at=ago(91))
    ProblemFactory(opened_at=ago(30), status="resolved", resolved_at=ago(1))  # not open
    ProblemFactory(opened_at=NOW + dt.timedelta(hours=1))  # after the review instant

    review = review_metrics(reader, NOW)

    assert counts(review.by_age) == {"lt7": 1, "d7_30": 2, "d30_90": 1, "gt90": 1}
    assert review.open_total == 5
    assert counts(review.by_status) == {
        "new": 2,
        "under_investigation": 1,
        "known_error": 1,
        "awaiting_change": 1,
    }
    assert max(b.share for b in review.by_age) == 100


def test_mean_times_over_the_period(reader):
    ProblemFactory(opened_at=ago(10), resolved_at=ago(4), status="resolved")  # 6 days
    ProblemFactory(  # 3 days; known error for 2 of them
        opened_at=ago(5),
        known_error_at=ago(4),
        resolved_at=ago(2),
        status="closed",
        resolution="fixed_without_change",
        closed_at=ago(1),
    )
    ProblemFactory(opened_at=ago(400), resolved_at=ago(200), status="resolved")  # before
    ProblemFactory(opened_at=ago(3))  # not resolved

    review = review_metrics(reader, NOW)

    assert review.resolved_count == 2
    assert review.mean_to_resolve == dt.timedelta(days=4.5)
    assert review.known_error_resolved_count == 1
    assert review.mean_known_error_to_resolve == dt.timedelta(days=2)
    assert review.mean_to_resolve_text == "4 d 12 h"
    longer = review_metrics(reader, NOW, period=dt.timedelta(days=365))
    assert longer.resolved_count == 3


def test_no_resolution_means_no_mean(reader):
    review = review_metrics(reader, NOW)
    assert review.mean_to_resolve is None and review.mean_known_error_to_resolve is None
    assert duration_text(None) == "" and duration_text(dt.timedelta(minutes=5)) == "under an hour"


def test_known_errors_by_linked_incidents(reader):
    most = ProblemFactory(status="known_error", known_error_at=ago(5))
    fewer = ProblemFactory(status="awaiting_change", known_error_at=ago(9))
    none = ProblemFactory(status="known_error", known_error_at=ago(1))
    fixed = ProblemFactory(status="resolved", known_error_at=ago(3), resolved_at=ago(1))
    for problem, n in ((most, 3), (fewer, 1), (fixed, 5)):
        for _ in range(n):
            link(problem, incident())

    review = review_metrics(reader, NOW)

    assert [(p.pk, p.incident_count) for p in review.known_errors] == [
        (most.pk, 3),
        (fewer.pk, 1),
        (none.pk, 0),
    ]


def test_reopened_problems_and_proposals(reader):
    opened = ago(200)
    still_open = ProblemFactory(opened_at=opened, reopen_count=2, status="under_investigation")
    closed_lately = ProblemFactory(
        opened_at=opened, reopen_count=1, status="closed", resolution="duplicate", closed_at=ago(10)
    )
    ProblemFactory(
        opened_at=opened,
        reopen_count=1,
        status="closed",
        resolution="duplicate",
        closed_at=ago(100),
    )
    ProblemFactory(opened_at=opened, reopen_count=0)
    proposal(incidents=1)
    proposal(incidents=1, status=ProposalStatus.DISMISSED)
    proposal(incidents=1, status=ProposalStatus.DISMISSED)

    review = review_metrics(reader, NOW)

    assert review.reopened_count == 2
    assert [p.pk for p in review.reopened] == [still_open.pk, closed_lately.pk]
    assert counts(review.proposals) == {"open": 1, "accepted": 0, "dismissed": 2}


def test_customers_get_no_review(customer_org):
    assert review_metrics(person_with_role(Role.CUSTOMER_MANAGER, customer_org), NOW) is None
