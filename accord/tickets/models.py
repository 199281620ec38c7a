"""Comments and attachments, shared by every ticket kind (incidents, requests, …).

Both point at their ticket through a content type and id, and carry the ticket's organisation
directly (the tenant key), so "what may this customer see" is one indexed filter.
"""

from __future__ import annotations

import uuid

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from accord.core.models import Organisation, Person


class Comment(models.Model):
    """A public reply (the customer sees it) or an internal work note (staff only)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    ticket = GenericForeignKey("content_type", "object_id")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="comments"
    )
    body = models.TextField()
    is_public = models.BooleanField(
        default=False, help_text="Public replies are shown to the customer; work notes are not."
    )
    by_provider = models.BooleanField(
        default=False, help_text="Written by the provider's staff (counts as a response)."
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"],
                name="tickets_comment_ticket_idx",
            )
        ]

    def __str__(self) -> str:
        kind = "reply" if self.is_public else "work note"
        return f"{kind} by {self.author or 'system'} at {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Stored under an unguessable name; the original name is kept in ``name``."""
    return f"attachments/{instance.organisation_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a ticket. Served only through the ticket's scope, never as a public URL."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    ticket = GenericForeignKey("content_type", "object_id")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(max_length=255)
    media_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_public = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="tickets_attachment_ticket_idx")
        ]

    def __str__(self) -> str:
        return self.name
