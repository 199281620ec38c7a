"""The unread count behind the bell in every page's header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accord.notifications.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """``unread_notifications`` for the signed-in person, counted only if a template shows
    it (pages without the header, such as fragments, pay no query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
