"""Properties of the text similarity behind known-error suggestions (pure Python, no database)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accord.problems import matching

words = st.sampled_from(
    ["printer", "queue", "offline", "mail", "vpn", "login", "slow", "error", "disk", "backup"]
)
texts = st.lists(words, min_size=1, max_size=8).map(" ".join)
any_text = st.text(max_size=80)


@given(any_text, any_text)
def test_similarity_is_symmetric_and_bounded(a, b):
    score = matching.similarity(a, b)
    assert score == matching.similarity(b, a)
    assert 0.0 <= score <= 1.0


@given(texts)
def test_identical_texts_score_one(text):
    assert matching.similarity(text, text) == 1.0
    assert matching.relevance(text, text) == 1.0


@given(st.lists(words, min_size=1, max_size=5), st.lists(words, min_size=1, max_size=5))
def test_texts_without_a_shared_word_score_zero(left, right):
    right = [w for w in right if w not in left] or ["unrelated"]
    assert matching.similarity(" ".join(left), " ".join(right)) == 0.0
    assert matching.relevance(" ".join(left), " ".join(right)) == 0.0


@given(texts, texts, st.sampled_from(["!", "?", ", ", " 42 ", "... "]))
def test_stable_under_case_punctuation_and_numbers(a, b, noise):
    shouted = a.upper().replace(" ", noise) + noise
    assert matching.similarity(shouted, b) == matching.similarity(a, b)
    assert matching.relevance(shouted, b) == matching.relevance(a, b)


@given(texts, texts)
def test_relevance_is_bounded_and_coverage_of_a_superset_is_full(a, b):
    assert 0.0 <= matching.relevance(a, b) <= 1.0
    assert matching.coverage(a, f"{a} {b}") == 1.0


def test_normalisation_drops_stop_words_digits_and_suffixes():
    assert matching.tokens("The printers are OFFLINE since 10:00!") == {"print", "offlin"}
    assert matching.similarity("Printer offline", "printers offline") == 1.0
    assert matching.tokens("") == frozenset()
    assert matching.similarity("", "printer") == 0.0


def test_shared_words_name_the_words_as_written():
    assert matching.shared_words("Printer queue stuck", "the queues of printers") == [
        "printer",
        "queue",
    ]
