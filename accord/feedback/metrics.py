"""Satisfaction figures from counts: pure Python, no Django, every input explicit.

The database counts (offered, answered, each score); this module turns the counts into the
figures people read, so the page, the API and the tests agree on one definition of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SCORES = (1, 2, 3, 4, 5)
#: Scores that count as satisfied for the CSAT share (the common "top two boxes").
SATISFIED = frozenset({4, 5})


@dataclass(frozen=True)
class Summary:
    """The satisfaction figures of one group of surveys."""

    offered: int
    answered: int
    distribution: tuple[int, int, int, int, int]

    @property
    def response_rate(self) -> Decimal | None:
        """Answered surveys as a percentage of those offered (None when none was offered)."""
        return _percent(self.answered, self.offered)

    @property
    def mean_score(self) -> Decimal | None:
        """The mean of the answered scores, to two places (None when none was answered)."""
        if not self.answered:
            return None
        total = sum(score * count for score, count in zip(SCORES, self.distribution, strict=True))
        return (Decimal(total) / Decimal(self.answered)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def csat(self) -> Decimal | None:
        """The share of answers scoring 4 or 5, as a percentage (None when none answered)."""
        satisfied = sum(c for s, c in zip(SCORES, self.distribution, strict=True) if s in SATISFIED)
        return _percent(satisfied, self.answered)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def summary_from_counts(offered: int, counts: Mapping[int, int]) -> Summary:
    """A summary from the number offered and the number of answers per score."""
    distribution = tuple(int(counts.get(s, 0) or 0) for s in SCORES)
    return Summary(
        offered=int(offered),
        answered=sum(distribution),
        distribution=distribution,  # type: ignore[arg-type]
    )


def summarise(scores: Iterable[int | None]) -> Summary:
    """The summary of individual surveys (None: not answered). The reference definition the
    database aggregates are checked against."""
    offered = 0
    counts = dict.fromkeys(SCORES, 0)
    for score in scores:
        offered += 1
        if score is not None:
            if score not in counts:
                raise ValueError(f"a score is 1 to 5, not {score!r}")
            counts[score] += 1
    return summary_from_counts(offered, counts)
