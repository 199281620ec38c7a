"""Template helpers of availability management, so other apps' pages can offer its actions
without copying its rules."""

from __future__ import annotations

from typing import Any

from django import template

from accord.availability.services import may_record

register = template.Library()


@register.filter
def may_record_outages(person: Any) -> bool:
    """Whether ``person`` may record outages (the same rule the services enforce)."""
    return person is not None and getattr(person, "is_authenticated", False) and may_record(person)
