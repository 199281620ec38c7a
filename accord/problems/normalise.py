"""The normalised title of an incident: what stays of a title once the parts that differ
between two reports of the same fault are gone.

"INC-000123: Printer PRN-04 offline on floor 3!" and "printer offline (floor 7)" both become
"printer offline floor", so the detection job can group them. Pure Python, no Django: the job
computes it over the window's titles, and the property tests run without a database.

The steps, in order: fold case and accents; drop references (``INC-000123``), host names and
addresses (``mail.example.com``, ``10.0.0.1``, ``user@example.com``) and every word holding a
digit (ids, room numbers, dates); turn punctuation into spaces; drop a few stop words; join
what remains with single spaces, keeping at most :data:`MAX_LENGTH` characters (whole words).
Every step maps its own output to itself, so normalising twice gives the first result.
"""

from __future__ import annotations

import re
import unicodedata

#: The longest normalised title (the width of ``ProblemProposal.normalised_title``).
MAX_LENGTH = 200

#: Words that tell two faults apart in no title.
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "was",
        "with",
    }
)

# A host name, an e-mail address or a dotted number: two or more parts joined by dots or an @.
_DOTTED = re.compile(r"[^\s@]+@[^\s@]+|\w[\w-]*(?:\.[\w-]+)+")
# Anything that is not a letter: punctuation, digits, symbols, marks left over.
_NOT_LETTER = re.compile(r"[^\w]|[\d_]")


def _fold(text: str) -> str:
    """Case and accents folded the same way whatever the case of the input (Turkish dotted
    and dotless i, German sharp s, Greek iota subscript):
    upper case first (some marks only become letters there), then case-folded, without
    accents; repeated until nothing changes, so a folded text folds to itself."""
    for _ in range(4):
        decomposed = unicodedata.normalize("NFKD", text.upper().casefold())
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        if folded == text:
            break
        text = folded
    return text


def _keep(word: str) -> bool:
    return bool(word) and word not in STOP_WORDS


def normalise_title(title: str) -> str:
    """The title with what varies between reports of one fault removed (see the module)."""
    text = _DOTTED.sub(" ", _fold(title))
    words = []
    for raw in text.split():
        if any(c.isdigit() for c in raw):
            continue  # ids, references (INC-000123), numbers, dates
        words.extend(w for w in _NOT_LETTER.sub(" ", raw).split() if _keep(w))
    kept: list[str] = []
    length = 0
    for word in words:
        extra = len(word) + (1 if kept else 0)
        if length + extra > MAX_LENGTH:
            break
        kept.append(word)
        length += extra
    return " ".join(kept)
