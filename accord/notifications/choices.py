"""Choice sets of notifications: a value, a label and a badge colour beside each other."""

from django.db import models


class NotificationKind(models.TextChoices):
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breach"
    MAJOR_DECLARED = "major_declared", "Major incident declared"


NOTIFICATION_KIND_COLOURS = {
    "sla_warning": "amber",
    "sla_breach": "red",
    "major_declared": "red",
}


class MailStatus(models.TextChoices):
    """Where an outgoing mail stands. ``sending`` is a claim with a lease: a worker that dies
    leaves it behind, and another worker takes it over once the lease has run out."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


MAIL_STATUS_COLOURS = {"pending": "blue", "sending": "amber", "sent": "green", "failed": "red"}
