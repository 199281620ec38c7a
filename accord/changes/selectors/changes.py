"""Read queries of changes, scoped to what the reader may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.changes.models import Change, ChangeTemplate, FreezeWindow, Release
from accord.core.permissions import has_capability, sees_all_organisations


def may_view(person: Any) -> bool:
    """Provider staff holding ``changes.view`` read every change; customers read none here
    (planned work on their services reaches them through the portal's status pages)."""
    return (
        person is not None
        and getattr(person, "is_authenticated", False)
        and sees_all_organisations(person)
        and has_capability(person, "changes.view")
    )


def changes_visible_to(person: Any) -> QuerySet[Change]:
    if not may_view(person):
        return Change.objects.none()
    return Change.objects.all()


def templates_visible_to(person: Any) -> QuerySet[ChangeTemplate]:
    if not may_view(person):
        return ChangeTemplate.objects.none()
    return ChangeTemplate.objects.all()


def freeze_windows_visible_to(person: Any) -> QuerySet[FreezeWindow]:
    if not may_view(person):
        return FreezeWindow.objects.none()
    return FreezeWindow.objects.all()


def releases_visible_to(person: Any) -> QuerySet[Release]:
    if not may_view(person):
        return Release.objects.none()
    return Release.objects.all()
