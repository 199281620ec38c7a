"""The home dashboard, as the home page shows it.

The home page (``core.views.home``, URL name ``home``) stays in the core app and asks this
module for its panels when it runs: the core app never imports the reports app at import time,
so the dependency points one way (reports builds on core) and the URL map is unchanged.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accord.reports.dashboards import dashboard_for

#: What every trend compares, as the panels say it.
COMPARISON = (
    "This month so far against the same days of last month (to last month's last day when it "
    "is shorter). Arrows: up or down when the change is larger than the figure's tolerance, "
    "green when better, red when worse."
)


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """The panels of the signed-in person's dashboard, for the home page's template."""
    return {
        "panels": dashboard_for(request.user, timezone.now()),
        "comparison": COMPARISON,
    }
