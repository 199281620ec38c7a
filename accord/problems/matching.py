"""Text similarity between an incident and a known error, in plain Python.

Suggestions of known errors on an incident rank candidates by how many meaningful words the
two texts share. The text is normalised first (lower case, no punctuation or digits, no stop
words, a light stemming that strips common English suffixes) so that "Printers offline!" and
"printer is offline" meet on the same words. :func:`similarity` is the Jaccard index of the two
word sets: symmetric, 1.0 for texts with the same words, 0.0 when they share none; :func:`relevance`
blends it with how much of the incident's words the known error covers. No Django import:
this module is tested on its own and can be reused by any app.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_STOP_WORDS_TEXT = """
a about after again all also am an and any are as at be been before being but by can cannot
could did do does doing down during each few for from further had has have having he her here
hers him his how i if in into is it its itself just me more most my no nor not now of off on
once only or other our ours out over own same she should so some such than that the their
theirs them then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours please hi hello thanks
thank get got still since cant dont doesnt isnt wont
"""
#: Words that say nothing about what went wrong.
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

#: Suffixes stripped from a word, longest first, while at least three letters remain.
SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ness",
    "ings",
    "ing",
    "ies",
    "ers",
    "er",
    "ed",
    "es",
    "ly",
    "s",
)
MIN_STEM = 3

_NON_LETTERS = re.compile(r"[^a-z]+")


def stem(word: str) -> str:
    """The word without one common English suffix and a silent final "e" ("printers" ->
    "print", "queued" and "queue" -> "queu"), so inflected forms of one word compare equal.
    Deliberately crude: both sides of a comparison are stemmed the same way, which is all a
    match needs."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            word = word[: -len(suffix)]
            break
    # A silent final "e" goes too, so "queue" meets "queues" and "update" meets "updated".
    if word.endswith("e") and len(word) > MIN_STEM:
        word = word[:-1]
    return word


def tokens(text: str) -> frozenset[str]:
    """The set of meaningful, stemmed words of ``text``."""
    words = _NON_LETTERS.split(text.lower())
    return frozenset(stem(w) for w in words if len(w) > 1 and w not in STOP_WORDS)


def display_words(text: str) -> dict[str, str]:
    """Each stem of ``text`` with the first word it came from, to name shared words in the
    words people wrote rather than in stems."""
    found: dict[str, str] = {}
    for word in _NON_LETTERS.split(text.lower()):
        if len(word) > 1 and word not in STOP_WORDS:
            found.setdefault(stem(word), word)
    return found


def jaccard(left: Iterable[str], right: Iterable[str]) -> float:
    """Shared words over all words of both sets; 0.0 when either side has no words."""
    a, b = frozenset(left), frozenset(right)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(left: str, right: str, ignore: frozenset[str] = frozenset()) -> float:
    """How alike two texts are, from 0.0 (no meaningful word in common) to 1.0 (the same
    meaningful words). Words in ``ignore`` (as :func:`tokens` gives them) do not count."""
    return jaccard(tokens(left) - ignore, tokens(right) - ignore)


def coverage(query: str, document: str, ignore: frozenset[str] = frozenset()) -> float:
    """The share of the meaningful words of ``query`` that ``document`` also uses (not
    symmetric: a short incident text is well covered by a long known-error text that names
    all its words, where the Jaccard index would be diluted by the longer text)."""
    q = tokens(query) - ignore
    if not q:
        return 0.0
    return len(q & tokens(document)) / len(q)


def relevance(query: str, document: str, ignore: frozenset[str] = frozenset()) -> float:
    """The text part of a suggestion's score: the mean of :func:`similarity` and
    :func:`coverage`, from 0.0 to 1.0. ``ignore`` holds words that are no evidence, such as
    the name of the service both texts are about (their being on it is scored apart)."""
    return (similarity(query, document, ignore) + coverage(query, document, ignore)) / 2


def shared_words(
    left: str, right: str, limit: int = 5, ignore: frozenset[str] = frozenset()
) -> list[str]:
    """The meaningful words two texts share, as written in ``left``, in order of first use,
    at most ``limit`` of them: the reason shown beside a suggestion."""
    words = display_words(left)
    common = tokens(right) - ignore
    return [word for key, word in words.items() if key in common][:limit]
