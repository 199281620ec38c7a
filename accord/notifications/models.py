"""In-app notifications and the outbox of mails, each written once per event and person.

An event (an SLA clock reaching its warning share, a breach, a major incident declared) has a
key such as ``agreements.ticketclock:42:sla_warning``. The unique constraints on (event key,
recipient) and (event key, address) are what finally makes a notice impossible to repeat: even
a caller that forgot to lock, or two jobs that raced past every other guard, cannot write a
second row, and the insert that loses is ignored.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from accord.core.models import Organisation, Person
from accord.notifications.choices import (
    NOTIFICATION_KIND_COLOURS,
    MailEvent,
    MailStatus,
    NotificationKind,
)


class Notification(models.Model):
    """One notice to one person, shown on their notifications page until they read it.

    ``organisation`` is the tenant key of what the notice is about (the ticket's customer);
    visibility is narrower still: a notification is only ever shown to its recipient.
    """

    recipient = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="notifications")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    event_key = models.CharField(
        max_length=160, help_text="What happened, to what: the source's key and the kind."
    )
    subject = models.CharField(max_length=255)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    clock = models.ForeignKey(
        "agreements.TicketClock",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at", "-id"], name="notifications_inbox_idx"
            ),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notifications_unread_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient"], name="notifications_notification_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="notifications_notification_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def colour(self) -> str:
        return NOTIFICATION_KIND_COLOURS.get(self.kind, "indigo")


class OutboundMail(models.Model):
    """One mail to one address, queued in the transaction that decided to send it.

    ``message_id`` is derived from the event key and the address, so every attempt to deliver
    the same notice carries the same ``Message-ID`` header and a receiving system can tell a
    repeat delivery from a new message. ``claimed_at`` and ``claim_token`` are a worker's lease
    on a row while it sends.
    """

    event_key = models.CharField(max_length=160)
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_address = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # A record whose ``mail_attachment()`` gives the file the mail carries (a signed service
    # report's PDF): the file is read when the mail is sent, not copied into every row.
    attachment_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attachment_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "outbound mail"
        verbose_name_plural = "outbound mails"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notifications_outbox_due_idx"),
            models.Index(fields=["status", "claimed_at"], name="notifications_outbox_lease_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "to_address"], name="notifications_outboundmail_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MailStatus.values),
                name="notifications_outboundmail_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="notifications_outboundmail_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_address} ({self.status})"


class MailTemplate(models.Model):
    """An administrator's wording of one customer mail in one language.

    What ships in code (``accord.notifications.mail_texts``) is the default; a row here
    overrides it while its subject is not empty. Resetting empties the texts instead of
    deleting the row, so the version keeps counting and an edit made before the reset is
    still refused as stale.
    """

    event = models.CharField(max_length=32, choices=MailEvent.choices)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "language"], name="notifications_mailtemplate_once"
            ),
            models.CheckConstraint(
                condition=Q(event__in=MailEvent.values),
                name="notifications_mailtemplate_event_valid",
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _ in settings.LANGUAGES]),
                name="notifications_mailtemplate_language_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} ({self.language})"

    @property
    def is_overridden(self) -> bool:
        return bool(self.subject)
