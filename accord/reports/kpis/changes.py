"""Change management KPIs: changes implemented in the period, their success rate, the share of
emergency changes and the changes that caused incidents.

All four come from one aggregate over the changes that ended in the period
(:func:`_changes`), the same count as the change metrics and the report's changes section.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q

from accord.changes.choices import DONE_STATUSES, ChangeType, IncidentRelation, Outcome
from accord.changes.models import Change, ChangeIncident
from accord.governance import measures
from accord.reports.kpis import HIGHER, LOWER, NEUTRAL, KpiResult, Reach, Window, kpi
from accord.reports.kpis.queries import _customer_reached, _link

CHANGES_IMPLEMENTED_DEFINITION = (
    "Changes implemented in the period: those that reached implemented, failed, in review or "
    "closed, counted once by their actual end. The same count as the change metrics and the "
    "report's changes section."
)
CHANGE_SUCCESS_DEFINITION = (
    "Successful changes as a percentage of the changes implemented in the period (one place)."
)
EMERGENCY_RATIO_DEFINITION = (
    "Emergency changes as a percentage of the changes implemented in the period (one place)."
)
CHANGES_CAUSED_DEFINITION = (
    "Changes implemented in the period with at least one incident linked as caused by the change."
)


def _changes(window: Window, reach: Reach) -> dict[str, int]:
    first, after = window.bounds()
    rows = Change.objects.filter(
        status__in=DONE_STATUSES, actual_end__gte=first, actual_end__lt=after
    )
    if reach.service_ids is not None:
        on = Change.services.through.objects.filter(
            change_id=OuterRef("pk"), service_id__in=reach.service_ids
        )
        rows = rows.filter(Exists(on))
    rows = rows.filter(
        _customer_reached(reach.organisation_id, Change.organisations.through, "change_id")
    )
    caused = ChangeIncident.objects.filter(
        change_id=OuterRef("pk"), relation=IncidentRelation.CAUSED
    )
    if reach.organisation_id is not None:
        caused = caused.filter(organisation_id=reach.organisation_id)
    return rows.order_by().aggregate(
        implemented=Count("pk"),
        successful=Count("pk", filter=Q(outcome=Outcome.SUCCESSFUL)),
        emergency=Count("pk", filter=Q(change_type=ChangeType.EMERGENCY)),
        caused=Count("pk", filter=Q(Exists(caused))),
    )


@kpi(
    "changes_implemented",
    label="Changes implemented",
    unit="changes",
    definition=CHANGES_IMPLEMENTED_DEFINITION,
    direction=NEUTRAL,
)
def changes_implemented(window: Window, reach: Reach) -> KpiResult:
    n = _changes(window, reach)["implemented"]
    return KpiResult(Decimal(n), n, _link("change-list"))


@kpi(
    "change_success_rate",
    label="Change success rate",
    unit="%",
    definition=CHANGE_SUCCESS_DEFINITION,
    direction=HIGHER,
    tolerance=Decimal("0.5"),
)
def change_success_rate(window: Window, reach: Reach) -> KpiResult:
    row = _changes(window, reach)
    return KpiResult(measures.percent(row["successful"], row["implemented"]), row["implemented"])


@kpi(
    "emergency_change_ratio",
    label="Emergency changes",
    unit="%",
    definition=EMERGENCY_RATIO_DEFINITION,
    direction=LOWER,
    tolerance=Decimal("0.5"),
)
def emergency_change_ratio(window: Window, reach: Reach) -> KpiResult:
    row = _changes(window, reach)
    return KpiResult(
        measures.percent(row["emergency"], row["implemented"]),
        row["implemented"],
        _link("change-list", change_type=ChangeType.EMERGENCY),
    )


@kpi(
    "changes_caused_incidents",
    label="Changes that caused incidents",
    unit="changes",
    definition=CHANGES_CAUSED_DEFINITION,
    direction=LOWER,
)
def changes_caused_incidents(window: Window, reach: Reach) -> KpiResult:
    n = _changes(window, reach)["caused"]
    return KpiResult(Decimal(n), n)
