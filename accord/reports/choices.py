"""Choice sets of stored service reports: a value, a label and a badge colour side by side."""

from django.db import models


class ReportKind(models.TextChoices):
    """What a report covers: one customer agreement, one service, or every service."""

    AGREEMENT = "agreement", "Agreement"
    SERVICE = "service", "Service"
    PROVIDER = "provider", "All services"


class ReportStatus(models.TextChoices):
    """A report version's life: a draft is compiled and commented on; signing it off freezes
    it (figures, commentary and PDF); the customer's manager acknowledges a signed report; a
    later signed revision of the same report supersedes it (kept, still readable)."""

    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed off"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SUPERSEDED = "superseded", "Superseded"


REPORT_STATUS_COLOURS = {
    "draft": "grey",
    "signed": "blue",
    "acknowledged": "green",
    "superseded": "amber",
}

#: The states of a report that is frozen: nothing of its content changes any more.
FROZEN = (ReportStatus.SIGNED, ReportStatus.ACKNOWLEDGED, ReportStatus.SUPERSEDED)
