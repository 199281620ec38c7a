"""Navigation entries shown to each person according to what their roles allow."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from accord.core.permissions import has_capability, roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("Home", reverse("home"))]
    if has_capability(user, "directory.pages"):
        items += [
            ("Organisations", reverse("organisation-list")),
            ("Teams", reverse("team-list")),
            ("People", reverse("person-list")),
        ]
    items.append(("Roles", reverse("roles")))
    items.append(("Audit trail", reverse("audit-list")))
    if user.is_staff:
        items.append(("Admin", reverse("admin:index")))
    return {
        "nav_items": [{"label": label, "url": url} for label, url in items],
        "user_roles": sorted(roles_of(user)),
        "can_manage_directory": has_capability(user, "directory.manage"),
    }
