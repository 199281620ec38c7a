"""Read queries of notifications. A notification is its recipient's alone: no role, not even
an administrator's or an auditor's, sees another person's notices through these."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.notifications.models import MailTemplate, Notification


def notifications_visible_to(person: Any) -> QuerySet[Notification]:
    """The person's own notifications, newest first (none for anonymous or inactive people)."""
    if person is None or not person.is_authenticated or not person.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=person.pk).order_by("-created_at", "-id")


def unread_count(person: Any) -> int:
    """How many of the person's notifications are unread (the bell in the page header)."""
    if person is None or not person.is_authenticated or not person.is_active:
        return 0
    return Notification.objects.filter(recipient_id=person.pk, read_at__isnull=True).count()


def mail_templates() -> QuerySet[MailTemplate]:
    """The stored customer mail texts with who last changed them. They are the provider's
    settings, the same for every customer; the pages and services decide who may see them."""
    return MailTemplate.objects.select_related("updated_by").order_by("event", "language")
