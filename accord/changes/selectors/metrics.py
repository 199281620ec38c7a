"""Change management metrics, computed in the database.

A change counts in the period in which it was implemented (its ``actual_end``): the success
rate, the share of emergency changes and the changes that caused incidents (ISO/IEC 20000-1,
8.5.1.3: changes are reviewed for their effectiveness) are all read from one aggregate query,
and once more grouped by service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from accord.changes.choices import DONE_STATUSES, ChangeType, IncidentRelation, Outcome
from accord.changes.models import Change, ChangeIncident, Release
from accord.changes.selectors.changes import changes_visible_to
from accord.incidents.models import Incident
from accord.incidents.selectors import incidents_visible_to

#: How long after its deployment a release is in its early life.
EARLY_LIFE_DAYS = 14


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _counts() -> dict[str, Count]:
    caused = ChangeIncident.objects.filter(
        change_id=OuterRef("pk"), relation=IncidentRelation.CAUSED
    )
    return {
        "implemented": Count("pk", distinct=True),
        "successful": Count("pk", filter=Q(outcome=Outcome.SUCCESSFUL), distinct=True),
        "failed": Count("pk", filter=Q(outcome=Outcome.FAILED), distinct=True),
        "backed_out": Count("pk", filter=Q(outcome=Outcome.BACKED_OUT), distinct=True),
        "emergency": Count("pk", filter=Q(change_type=ChangeType.EMERGENCY), distinct=True),
        "caused_incidents": Count("pk", filter=Q(Exists(caused)), distinct=True),
    }


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["success_rate"] = _percent(row["successful"], row["implemented"])
    row["emergency_ratio"] = _percent(row["emergency"], row["implemented"])
    return row


def change_metrics(
    viewer: Any, start: dt.datetime, end: dt.datetime, *, service: Any = None
) -> dict[str, Any]:
    """For changes implemented (actual_end) in [start, end): implemented, successful, failed,
    backed_out, success_rate (% or None), emergency, emergency_ratio, caused_incidents (changes
    with at least one caused link), and ``by_service``: the same per service.

    Rates are percentages with one decimal, ``None`` when nothing was implemented. A change on
    several services counts once in the totals and once for each of its services. ``viewer``
    ``None`` is the system (a report job) and counts every change.
    """
    changes = Change.objects.all() if viewer is None else changes_visible_to(viewer)
    changes = changes.filter(
        status__in=DONE_STATUSES, actual_end__gte=start, actual_end__lt=end
    ).order_by()
    service_id = getattr(service, "pk", service)
    # One join to the services, named once, so the filter and the grouping read the same row.
    per_service = changes.annotate(
        service_id=F("services__id"), service_name=F("services__name")
    ).filter(service_id__isnull=False)
    if service_id is not None:
        changes = changes.filter(services=service_id)
        per_service = per_service.filter(service_id=service_id)
    totals = _with_rates(changes.aggregate(**_counts()))
    rows = (
        per_service.values("service_id", "service_name")
        .annotate(**_counts())
        .order_by("service_name", "service_id")
    )
    totals["by_service"] = [_with_rates(dict(row)) for row in rows]
    return totals


def early_life_incidents(
    release: Release, days: int = EARLY_LIFE_DAYS, *, viewer: Any = None
) -> QuerySet[Incident]:
    """Incidents opened on the services of the release's changes within ``days`` after it was
    deployed (none before it is), newest first; ``viewer`` narrows them to what that person
    may see (``None``: the system, every incident)."""
    incidents = Incident.objects.all() if viewer is None else incidents_visible_to(viewer)
    if release.deployed_at is None:
        return incidents.none()
    services = Change.objects.filter(release=release, services__isnull=False).values("services__id")
    return incidents.filter(
        service_id__in=services,
        opened_at__gte=release.deployed_at,
        opened_at__lt=release.deployed_at + dt.timedelta(days=days),
    ).order_by("-opened_at", "-pk")
