"""Priority from impact and urgency, through a matrix that each provider may configure.

Impact says how much of the business is hurt (how many people, which services); urgency says how
fast it will hurt more. Both are kept on the ticket and the priority follows from them, so a
priority is always explainable and a changed matrix never rewrites history silently.

Levels are 1 (high) to 3 (low); priorities ``P1`` (critical) to ``P4`` (low).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "DEFAULT_MATRIX",
    "LEVELS",
    "PRIORITIES",
    "Matrix",
    "priority_for",
    "validate_matrix",
]

LEVELS: tuple[int, ...] = (1, 2, 3)
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")

Matrix = Mapping[tuple[int, int], str]

# The common service desk matrix: high x high is critical, low x low is low.
DEFAULT_MATRIX: dict[tuple[int, int], str] = {
    (1, 1): "P1",
    (1, 2): "P2",
    (1, 3): "P3",
    (2, 1): "P2",
    (2, 2): "P3",
    (2, 3): "P4",
    (3, 1): "P3",
    (3, 2): "P4",
    (3, 3): "P4",
}


def validate_matrix(matrix: Matrix) -> None:
    """Refuse a matrix that leaves a pair out, names an unknown level or priority, or ranks a
    worse impact or urgency below a better one (a higher urgency must never lower priority)."""
    expected = {(i, u) for i in LEVELS for u in LEVELS}
    keys = set(matrix)
    if keys != expected:
        missing = sorted(expected - keys)
        extra = sorted(keys - expected)
        parts = []
        if missing:
            parts.append("missing " + ", ".join(f"impact {i} x urgency {u}" for i, u in missing))
        if extra:
            parts.append("unknown " + ", ".join(f"{k!r}" for k in extra))
        raise ValueError(
            "The priority matrix must give every impact and urgency: " + "; ".join(parts)
        )
    for (impact, urgency), priority in sorted(matrix.items()):
        if priority not in PRIORITIES:
            raise ValueError(
                f"Impact {impact} x urgency {urgency}: '{priority}' is not one of "
                f"{', '.join(PRIORITIES)}."
            )
    rank = {p: n for n, p in enumerate(PRIORITIES)}
    for impact in LEVELS:
        for urgency in LEVELS:
            here = rank[matrix[(impact, urgency)]]
            for worse_impact, worse_urgency in ((impact + 1, urgency), (impact, urgency + 1)):
                if (worse_impact, worse_urgency) in matrix and rank[
                    matrix[(worse_impact, worse_urgency)]
                ] < here:
                    raise ValueError(
                        f"Impact {worse_impact} x urgency {worse_urgency} would rank above "
                        f"impact {impact} x urgency {urgency}: a lower impact or urgency "
                        "cannot give a higher priority."
                    )


def priority_for(impact: int, urgency: int, matrix: Matrix | None = None) -> str:
    """The priority of a ticket with this impact and urgency (``P1`` … ``P4``)."""
    if impact not in LEVELS:
        raise ValueError(f"impact must be one of {', '.join(map(str, LEVELS))}, not {impact!r}")
    if urgency not in LEVELS:
        raise ValueError(f"urgency must be one of {', '.join(map(str, LEVELS))}, not {urgency!r}")
    return (DEFAULT_MATRIX if matrix is None else matrix)[(impact, urgency)]
