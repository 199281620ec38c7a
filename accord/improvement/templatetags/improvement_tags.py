"""The "Raise an improvement" action other records' pages carry (problems, complaints), so an
opportunity found there reaches the register linked to where it was found."""

from __future__ import annotations

from typing import Any

from django import template

from accord.improvement import services
from accord.improvement.services.sources import open_improvement_for

register = template.Library()


@register.inclusion_tag("improvement/_raise_from.html", takes_context=True)
def raise_improvement(context: dict[str, Any], record: Any, record_type: str) -> dict[str, Any]:
    """The open improvement of ``record`` (a link), else a button for those who may raise one;
    nothing for the others."""
    request = context.get("request")
    person = getattr(request, "user", None)
    if person is None or not services.may_raise(person):
        return {"show": False}
    return {
        "show": True,
        "existing": open_improvement_for(record),
        "record": record,
        "record_type": record_type,
        "csrf_token": context.get("csrf_token"),
    }
