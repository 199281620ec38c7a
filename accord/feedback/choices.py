"""Choice sets of feedback and the complaint status rules, as data."""

from __future__ import annotations

from django.db import models


class ComplaintStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INVESTIGATING = "investigating", "Investigating"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


S = ComplaintStatus

# Which status may follow which. Resolved -> investigating reopens a complaint whose outcome
# did not satisfy the customer; closed and withdrawn are final.
COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ACKNOWLEDGED, S.INVESTIGATING, S.WITHDRAWN}),
    S.ACKNOWLEDGED: frozenset({S.INVESTIGATING, S.RESOLVED, S.WITHDRAWN}),
    S.INVESTIGATING: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.INVESTIGATING, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
#: What the person who raised a complaint may do themselves: take it back while it is early.
RAISER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.WITHDRAWN}),
    S.ACKNOWLEDGED: frozenset({S.WITHDRAWN}),
}
FINAL_STATUSES = frozenset({S.CLOSED, S.WITHDRAWN})
OPEN_STATUSES = frozenset({S.NEW, S.ACKNOWLEDGED, S.INVESTIGATING})

COMPLAINT_STATUS_COLOURS = {
    "new": "blue",
    "acknowledged": "indigo",
    "investigating": "amber",
    "resolved": "green",
    "closed": "grey",
    "withdrawn": "grey",
}

#: The action names of the complaint page and the status each leads to.
ACTIONS: dict[str, str] = {
    "acknowledge": S.ACKNOWLEDGED,
    "investigate": S.INVESTIGATING,
    "resolve": S.RESOLVED,
    "close": S.CLOSED,
    "withdraw": S.WITHDRAWN,
}


class GroupBy(models.TextChoices):
    """How the satisfaction results are grouped."""

    SERVICE = "service", "Service"
    TEAM = "team", "Team"
    ORGANISATION = "organisation", "Customer"
