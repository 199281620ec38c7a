"""Template helpers that show changes on other apps' pages (a problem's page lists the changes
that fix or caused it), without those pages knowing how change records are read or scoped."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import QuerySet
from django.urls import reverse

from accord.changes.models import ChangeProblem
from accord.changes.selectors.changes import may_view

register = template.Library()


def problem_change_links(viewer: Any, problem: Any) -> QuerySet[ChangeProblem]:
    """The links from changes to ``problem`` with each change loaded, newest link first, in one
    query; none for a reader who may not see changes."""
    if not may_view(viewer):
        return ChangeProblem.objects.none()
    return (
        ChangeProblem.objects.filter(problem=problem)
        .select_related("change")
        .order_by("-linked_at", "-pk")
    )


def change_url(reference: str) -> str:
    """The address of a change's page."""
    return reverse("change-detail", args=[reference])


@register.simple_tag(takes_context=True)
def changes_of_problem(context: template.Context, problem: Any) -> list[dict[str, Any]]:
    """Rows of {reference, title, status, status_label, colour, relation, url} for the page."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    return [
        {
            "reference": link.change.reference,
            "title": link.change.title,
            "status": link.change.status,
            "status_label": link.change.get_status_display(),
            "colour": link.change.colour,
            "relation": link.get_relation_display(),
            "url": change_url(link.change.reference),
        }
        for link in problem_change_links(viewer, problem)
    ]
