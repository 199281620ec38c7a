"""Choice sets of availability management: a value, a label and a badge colour side by side."""

from django.db import models


class OutageKind(models.TextChoices):
    UNPLANNED = "unplanned", "Unplanned"
    PLANNED = "planned", "Planned maintenance"


class OutageSeverity(models.TextChoices):
    FULL = "full", "Full outage"
    DEGRADED = "degraded", "Degraded"


class OutageState(models.TextChoices):
    """Where an outage stands. Stored only as ``closed`` / ``cancelled`` instants; the rest is
    read from the start and end against the clock, so it is never stale."""

    UPCOMING = "upcoming", "Upcoming"
    ONGOING = "ongoing", "Ongoing"
    RESTORED = "restored", "Restored"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OUTAGE_STATE_COLOURS = {
    "upcoming": "indigo",
    "ongoing": "red",
    "restored": "amber",
    "closed": "green",
    "cancelled": "grey",
}

OUTAGE_KIND_COLOURS = {"unplanned": "red", "planned": "blue"}


class ExclusionReason(models.TextChoices):
    """Why an outage does not count against one agreement (clause 8.3.3: agreed exceptions)."""

    AGREED_EXCEPTION = "agreed_exception", "Agreed exception"
    CUSTOMER_CAUSED = "customer_caused", "Caused by the customer"
    OUTSIDE_SCOPE = "outside_scope", "Outside the agreement's scope"


class InvestigationStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"


INVESTIGATION_STATUS_COLOURS = {"open": "amber", "completed": "green"}
