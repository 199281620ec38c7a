"""Choice sets of agreements."""

from django.db import models


class AgreementKind(models.TextChoices):
    SLA = "sla", "Service level agreement"
    OLA = "ola", "Operational level agreement"
    UC = "uc", "Underpinning contract"


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"


AGREEMENT_STATUS_COLOURS = {
    "draft": "amber",
    "active": "green",
    "expired": "grey",
    "terminated": "red",
}

AGREEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AgreementStatus.DRAFT: frozenset({AgreementStatus.ACTIVE, AgreementStatus.TERMINATED}),
    AgreementStatus.ACTIVE: frozenset({AgreementStatus.EXPIRED, AgreementStatus.TERMINATED}),
    AgreementStatus.EXPIRED: frozenset(),
    AgreementStatus.TERMINATED: frozenset(),
}


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"
    FULFILMENT = "fulfilment", "Fulfilment"
    AVAILABILITY = "availability", "Availability"


class ClockState(models.TextChoices):
    """Where a ticket's SLA clock stands, as last written; the live state is always computed
    from the stored instants (see ``accord.agreements.clocks``)."""

    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


CLOCK_STATE_COLOURS = {
    "running": "blue",
    "paused": "grey",
    "met": "green",
    "breached": "red",
    "cancelled": "grey",
}


class ClockEventKind(models.TextChoices):
    STARTED = "started", "Started"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    STOPPED = "stopped", "Stopped"
    REOPENED = "reopened", "Reopened"
    RETARGETED = "retargeted", "Re-targeted"
    CANCELLED = "cancelled", "Cancelled"
    WARNING = "warning", "Warning threshold reached"
    BREACHED = "breached", "Breached"
