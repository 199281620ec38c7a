"""The normalised title that groups incidents reported in different words of the same fault."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.problems.normalise import MAX_LENGTH, normalise_title


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("INC-000123: Printer PRN-04 offline on floor 3!", "printer offline floor"),
        ("printer offline (floor 7)", "printer offline floor"),
        ("VPN down for user@example.com at 10.0.0.1", "vpn down"),
        ("Cannot reach mail.example.com", "cannot reach"),
        ("Ärger mit dem Drucker", "arger mit dem drucker"),
        ("  The   SAP-Login   is slow  ", "sap login slow"),
        ("12345 #!?", ""),
        ("", ""),
    ],
)
def test_examples(title, expected):
    assert normalise_title(title) == expected


def test_long_titles_keep_whole_words_within_the_column():
    result = normalise_title("word " * 100)
    assert len(result) <= MAX_LENGTH
    assert set(result.split()) == {"word"}


@given(st.text())
def test_idempotent(title):
    once = normalise_title(title)
    assert normalise_title(once) == once


@given(st.text())
def test_case_insensitive(title):
    expected = normalise_title(title)
    assert normalise_title(title.upper()) == expected
    assert normalise_title(title.lower()) == expected
    assert normalise_title(title.swapcase()) == expected


@given(st.text())
def test_only_lower_case_words_without_digits(title):
    result = normalise_title(title)
    assert len(result) <= MAX_LENGTH
    assert result == " ".join(result.split())
    assert not any(c.isdigit() for c in result)
