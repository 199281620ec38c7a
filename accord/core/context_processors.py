"""Navigation entries shown to each person according to what their roles allow."""

from __future__ import annotations

import contextlib
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from accord.core.permissions import has_capability, roles_of, sees_all_organisations
from accord.transitions import selectors as transition_selectors


def _add(items: list[tuple[str, str]], label: str, url_name: str) -> None:
    """Add a navigation entry if its page exists (apps register their pages as they land)."""
    with contextlib.suppress(NoReverseMatch):
        items.append((label, reverse(url_name)))


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("Home", reverse("home"))]
    staff = sees_all_organisations(user)
    customer = not staff and (
        has_capability(user, "incidents.raise") or has_capability(user, "requests.raise")
    )
    if customer:
        _add(items, "Portal", "portal-home")
    if staff or has_capability(user, "incidents.raise"):
        _add(items, "Incidents", "incident-list")
    if staff or has_capability(user, "requests.raise"):
        _add(items, "Requests", "request-list")
        # Anyone taking part in requests may be named an approver; the queue is theirs.
        _add(items, "Approvals", "approval-queue")
    if staff and has_capability(user, "problems.view"):
        _add(items, "Problems", "problem-list")
    if staff and has_capability(user, "changes.view"):
        _add(items, "Changes", "change-list")
    if staff and has_capability(user, "availability.view"):
        _add(items, "Availability", "availability-overview")
    elif has_capability(user, "availability.status"):
        _add(items, "Service status", "portal-status")
    if staff and has_capability(user, "capacity.view"):
        _add(items, "Capacity", "capacity-overview")
    if staff and has_capability(user, "improvement.view"):
        _add(items, "Improvement", "improvement-list")
    if has_capability(user, "reports.view") or has_capability(user, "reports.customer"):
        _add(items, "Reports", "report-index")
    if (
        (staff and has_capability(user, "feedback.view"))
        or has_capability(user, "complaints.raise")
        or has_capability(user, "complaints.manage")
    ):
        _add(items, "Feedback", "complaint-list")
    if staff and has_capability(user, "governance.view"):
        _add(items, "Governance", "governance-home")
    elif has_capability(user, "documents.read_shared"):
        _add(items, "Documents", "shared-document-list")
    if has_capability(user, "directory.pages"):
        items += [
            ("Organisations", reverse("organisation-list")),
            ("Teams", reverse("team-list")),
            ("People", reverse("person-list")),
        ]
    _add(items, "Services", "service-list")
    if transition_selectors.may_read(user):
        _add(items, "Transitions", "transition-list")
    _add(items, "Catalogue", "catalogue-list")
    _add(items, "CIs", "ci-list")
    if sees_all_organisations(user):
        _add(items, "Calendars", "calendar-list")
    _add(items, "Agreements", "agreement-list")
    if staff and has_capability(user, "mail.templates"):
        _add(items, "Mail texts", "mail-template-list")
    items.append(("Roles", reverse("roles")))
    items.append(("Audit trail", reverse("audit-list")))
    if user.is_staff:
        items.append(("Admin", reverse("admin:index")))
    return {
        "nav_items": [{"label": label, "url": url} for label, url in items],
        "user_roles": sorted(roles_of(user)),
        "can_manage_directory": has_capability(user, "directory.manage"),
    }
