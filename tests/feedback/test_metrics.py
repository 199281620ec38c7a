"""The satisfaction figures: pure code without the database, with properties, and the
database's aggregation checked against the pure definition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.choices import Role
from accord.feedback.choices import GroupBy
from accord.feedback.metrics import summarise, summary_from_counts
from accord.feedback.selectors import survey_results, survey_totals
from tests.factories import OrganisationFactory, ServiceFactory, person_with_role
from tests.feedback.conftest import survey_row

scores = st.lists(st.one_of(st.none(), st.integers(min_value=1, max_value=5)), max_size=60)


def test_a_hand_count():
    summary = summarise([5, 4, 4, 1, None])
    assert (summary.offered, summary.answered) == (5, 4)
    assert summary.distribution == (1, 0, 0, 2, 1)
    assert summary.response_rate == Decimal("80.0")
    assert summary.mean_score == Decimal("3.50")
    assert summary.csat == Decimal("75.0")


def test_nothing_offered_has_no_rates():
    summary = summarise([])
    assert (summary.response_rate, summary.mean_score, summary.csat) == (None, None, None)
    unanswered = summarise([None, None])
    assert unanswered.response_rate == Decimal("0.0")
    assert (unanswered.mean_score, unanswered.csat) == (None, None)


def test_a_score_outside_the_range_is_refused():
    with pytest.raises(ValueError, match="1 to 5"):
        summarise([6])


@given(scores)
def test_the_figures_stay_within_their_bounds(values):
    summary = summarise(values)
    answered = [v for v in values if v is not None]
    assert summary.offered == len(values)
    assert summary.answered == len(answered) == sum(summary.distribution)
    if values:
        assert Decimal(0) <= summary.response_rate <= Decimal(100)
    if answered:
        assert Decimal(1) <= summary.mean_score <= Decimal(5)
        assert Decimal(0) <= summary.csat <= Decimal(100)
        exact = Decimal(sum(answered)) / Decimal(len(answered))
        assert abs(summary.mean_score - exact) <= Decimal("0.005")
        satisfied = sum(1 for v in answered if v >= 4)
        assert abs(summary.csat - Decimal(100 * satisfied) / len(answered)) <= Decimal("0.05")


@given(scores, scores)
def test_the_counts_of_two_groups_add_up(first, second):
    a, b, both = summarise(first), summarise(second), summarise(first + second)
    assert both.offered == a.offered + b.offered
    pairs = zip(a.distribution, b.distribution, strict=True)
    assert both.distribution == tuple(x + y for x, y in pairs)
    assert summary_from_counts(both.offered, dict(enumerate(both.distribution, 1))) == both


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.one_of(st.none(), st.integers(1, 5))),
        max_size=25,
    )
)
def test_the_database_agrees_with_the_definition(rows):
    """Whatever the surveys, the grouped query counts what ``summarise`` counts by hand."""
    try:
        with transaction.atomic():
            org = OrganisationFactory(kind="customer")
            services = [ServiceFactory() for _ in range(3)]
            now = dt.datetime.now(dt.UTC)
            for group, score in rows:
                survey_row(org, score=score, service=services[group], offered_at=now)
            viewer = person_with_role(Role.AUDITOR)
            start, end = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
            results = {
                r.key: r.summary for r in survey_results(viewer, GroupBy.SERVICE, start, end)
            }
            for group, service in enumerate(services):
                expected = [s for g, s in rows if g == group]
                if expected:
                    assert results[service.pk] == summarise(expected)
                else:
                    assert service.pk not in results
            assert survey_totals(viewer, start, end) == summarise([s for _, s in rows])
            raise _Rollback
    except _Rollback:
        pass
