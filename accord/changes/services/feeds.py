"""Secret links to iCalendar feeds of changes.

A calendar client (Outlook, Google, Thunderbird) cannot sign in, so a feed is reached through a
long random token in its address: whoever holds the link reads the feed, with the visibility of
the person who made it. Making and resetting a link is audited; resetting replaces the token, so
a link that leaked stops working at once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.changes.models import CalendarFeed
from accord.changes.selectors.changes import may_view
from accord.core import audit
from accord.core.choices import AuditAction


def new_token() -> str:
    """A secret of 256 random bits, safe in a URL."""
    return secrets.token_urlsafe(32)


def _require_reader(actor: Any) -> None:
    if not may_view(actor):
        raise PermissionDenied("You do not have permission to read the change schedule.")


def _check_service(actor: Any, service: Any) -> None:
    from accord.portfolio.selectors.service import services_visible_to

    if service is not None and not services_visible_to(actor).filter(pk=service.pk).exists():
        raise ValidationError({"service": "No such service."})


def feed_for(*, actor: Any, service: Any = None) -> CalendarFeed:
    """The actor's feed (their own changes, or one service's), created on first use."""
    _require_reader(actor)
    _check_service(actor, service)
    service_id = getattr(service, "pk", None)
    existing = CalendarFeed.objects.filter(person=actor, service_id=service_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(
                person=actor, service=service, token=new_token(), created_at=timezone.now()
            )
            audit.record(
                actor=actor,
                action=AuditAction.CREATE,
                instance=feed,
                changes={"person": [None, actor.pk], "service": [None, service_id]},
            )
    except IntegrityError:
        # Made at the same moment by another request of the same person: use that one.
        return CalendarFeed.objects.get(person=actor, service_id=service_id)
    return feed


def feed_reset(*, actor: Any, feed: CalendarFeed) -> CalendarFeed:
    """A new secret; the old link stops working at once."""
    _require_reader(actor)
    if feed.person_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the owner of a calendar link may reset it.")
    with transaction.atomic():
        feed.token = new_token()
        feed.last_read_at = None
        feed.save(update_fields=["token", "last_read_at"])
        # The secrets themselves stay out of the audit trail.
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=feed,
            changes={"token": ["(previous secret)", "(new secret)"]},
        )
    return feed


def feed_read(token: str, now: dt.datetime | None = None) -> CalendarFeed | None:
    """The feed behind ``token`` (``None`` for an unknown or revoked one), marked as read now.

    Reading is not a change of the record, so it is not audited; ``last_read_at`` only tells
    the owner whether a calendar client still uses the link."""
    if not token or len(token) > CalendarFeed._meta.get_field("token").max_length:
        return None
    feed = CalendarFeed.objects.select_related("person", "service").filter(token=token).first()
    if feed is None or not feed.person.is_active:
        return None
    feed.last_read_at = now or timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=feed.last_read_at)
    return feed
