"""Choice sets and the status rules of incidents, as data."""

from __future__ import annotations

from django.db import models


class IncidentStatus(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    PENDING_SUPPLIER = "pending_supplier", "Pending supplier"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


S = IncidentStatus

# Which status may follow which. Resolved -> in progress is a reopening.
INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset(
        {S.ASSIGNED, S.IN_PROGRESS, S.PENDING_CUSTOMER, S.PENDING_SUPPLIER, S.RESOLVED, S.CANCELLED}
    ),
    S.ASSIGNED: frozenset(
        {S.IN_PROGRESS, S.PENDING_CUSTOMER, S.PENDING_SUPPLIER, S.RESOLVED, S.CANCELLED}
    ),
    S.IN_PROGRESS: frozenset(
        {S.ASSIGNED, S.PENDING_CUSTOMER, S.PENDING_SUPPLIER, S.RESOLVED, S.CANCELLED}
    ),
    S.PENDING_CUSTOMER: frozenset(
        {S.ASSIGNED, S.IN_PROGRESS, S.PENDING_SUPPLIER, S.RESOLVED, S.CANCELLED}
    ),
    S.PENDING_SUPPLIER: frozenset(
        {S.ASSIGNED, S.IN_PROGRESS, S.PENDING_CUSTOMER, S.RESOLVED, S.CANCELLED}
    ),
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

OPEN_STATUSES = frozenset(
    {S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING_CUSTOMER, S.PENDING_SUPPLIER}
)
PENDING_STATUSES = frozenset({S.PENDING_CUSTOMER, S.PENDING_SUPPLIER})
FINAL_STATUSES = frozenset({S.CLOSED, S.CANCELLED})

INCIDENT_STATUS_COLOURS = {
    "new": "blue",
    "assigned": "blue",
    "in_progress": "amber",
    "pending_customer": "grey",
    "pending_supplier": "grey",
    "resolved": "green",
    "closed": "grey",
    "cancelled": "grey",
}


class Level(models.IntegerChoices):
    """Impact and urgency: 1 is the most."""

    HIGH = 1, "1 High"
    MEDIUM = 2, "2 Medium"
    LOW = 3, "3 Low"


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    WALK_IN = "walk_in", "Walk-in"
    MONITORING = "monitoring", "Monitoring"
    API = "api", "API"


class ResolutionCode(models.TextChoices):
    SOLVED_WORKAROUND = "workaround", "Solved by workaround"
    SOLVED_PERMANENTLY = "permanent", "Solved permanently"
    SOLVED_REMOTELY = "remote", "Solved remotely"
    NOT_REPRODUCIBLE = "not_reproducible", "Not reproducible"
    USER_ERROR = "user_error", "User error / advice given"
    DUPLICATE = "duplicate", "Duplicate of another incident"
    CLOSED_BY_CALLER = "closed_by_caller", "Closed by caller"


class MajorStatus(models.TextChoices):
    NONE = "", "Not major"
    PROPOSED = "proposed", "Proposed"
    DECLARED = "declared", "Declared"
    REJECTED = "rejected", "Proposal rejected"
