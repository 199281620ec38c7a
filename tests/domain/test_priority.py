"""The impact x urgency matrix: the default and any valid configured matrix behave."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.domain.priority import (
    DEFAULT_MATRIX,
    LEVELS,
    PRIORITIES,
    priority_for,
    validate_matrix,
)

RANK = {p: n for n, p in enumerate(PRIORITIES)}
levels = st.sampled_from(LEVELS)


def test_default_matrix_is_valid_and_spans_p1_to_p4():
    validate_matrix(DEFAULT_MATRIX)
    assert priority_for(1, 1) == "P1"
    assert priority_for(3, 3) == "P4"
    assert set(DEFAULT_MATRIX.values()) == set(PRIORITIES)


@given(levels, levels, levels, levels)
def test_more_impact_or_urgency_never_lowers_priority(i1, u1, i2, u2):
    if i1 <= i2 and u1 <= u2:  # (i1, u1) is at least as bad as (i2, u2)
        assert RANK[priority_for(i1, u1)] <= RANK[priority_for(i2, u2)]


@st.composite
def monotone_matrices(draw):
    """Valid matrices: a rank per cell that never improves as impact or urgency grows."""
    matrix = {}
    for impact, urgency in itertools.product(LEVELS, LEVELS):
        floor = max(
            [RANK[matrix[(impact - 1, urgency)]]] if impact > 1 else [0],
        )
        if urgency > 1:
            floor = max(floor, RANK[matrix[(impact, urgency - 1)]])
        matrix[(impact, urgency)] = PRIORITIES[draw(st.integers(floor, len(PRIORITIES) - 1))]
    return matrix


@given(monotone_matrices(), levels, levels)
def test_any_monotone_matrix_is_accepted_and_used(matrix, impact, urgency):
    validate_matrix(matrix)
    assert priority_for(impact, urgency, matrix) == matrix[(impact, urgency)]


@given(monotone_matrices(), st.sampled_from(list(itertools.product(LEVELS, LEVELS))))
def test_a_matrix_missing_a_cell_is_refused(matrix, cell):
    del matrix[cell]
    with pytest.raises(ValueError, match="missing"):
        validate_matrix(matrix)


def test_a_matrix_that_ranks_lower_urgency_higher_is_refused():
    matrix = dict(DEFAULT_MATRIX)
    matrix[(1, 3)] = "P1"
    matrix[(1, 2)] = "P3"
    with pytest.raises(ValueError, match="cannot give a higher priority"):
        validate_matrix(matrix)


def test_unknown_priority_and_levels_are_refused():
    with pytest.raises(ValueError, match="not one of"):
        validate_matrix({**DEFAULT_MATRIX, (2, 2): "P9"})
    with pytest.raises(ValueError, match="impact must be one of"):
        priority_for(0, 1)
    with pytest.raises(ValueError, match="urgency must be one of"):
        priority_for(1, 4)
