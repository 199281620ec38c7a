"""Read queries of service management objectives, scoped to what the reader may see, and their
progress: the current value (live from the records, or the owner's latest recorded value)
judged against the target in the objective's direction.

Objectives are the provider's: its staff and the auditor read them (``governance.view``);
customers see none, and an objective they ask for answers 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from accord.core.choices import OrganisationKind
from accord.core.models import Person
from accord.core.permissions import has_capability, sees_all_organisations
from accord.governance import measures
from accord.governance.choices import Direction
from accord.governance.models import Objective, ObjectiveMeasurement, Process


def may_read_objectives(person: Any) -> bool:
    """The provider's staff and the auditor (``governance.view``)."""
    return sees_all_organisations(person) and has_capability(person, "governance.view")


def objectives_visible_to(person: Any) -> QuerySet[Objective]:
    """Every objective for those who may read them, none for anybody else."""
    qs = Objective.objects.select_related("owner", "process", "service")
    if not may_read_objectives(person):
        return qs.none()
    return qs


def with_latest_measurement(qs: QuerySet[Objective]) -> QuerySet[Objective]:
    """Annotate each objective with its latest recorded value and the day it was measured
    (``latest_value``, ``latest_measured_on``), in the list's own query."""
    latest = ObjectiveMeasurement.objects.filter(objective=OuterRef("pk")).order_by(
        "-measured_on", "-pk"
    )
    return qs.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_measured_on=Subquery(latest.values("measured_on")[:1]),
    )


def measurements_of(objective: Objective) -> QuerySet[ObjectiveMeasurement]:
    """The values recorded for an objective the reader may already see, newest first."""
    return (
        ObjectiveMeasurement.objects.filter(objective=objective)
        .select_related("recorded_by")
        .order_by("-measured_on", "-pk")
    )


def possible_owners() -> QuerySet[Person]:
    """Active people of the provider: who may own an objective."""
    return (
        Person.objects.filter(is_active=True, organisation__kind=OrganisationKind.PROVIDER)
        .select_related("organisation")
        .order_by("first_name", "last_name", "username")
    )


def possible_processes() -> QuerySet[Process]:
    """The processes an objective may serve."""
    return Process.objects.order_by("position", "name")


# --- progress -----------------------------------------------------------------------------------


def target_met(value: Decimal | None, target: Decimal, direction: str) -> bool | None:
    """Whether ``value`` meets ``target``: at least (value >= target) or at most (value <=
    target); a value equal to the target meets it either way. None when there is no value."""
    if value is None:
        return None
    if direction == Direction.AT_MOST:
        return value <= target
    return value >= target


@dataclass(frozen=True)
class Progress:
    """Where an objective stands.

    ``verdict`` reads the figure against the period: before it starts "not started"; while it
    runs "on track" or "off track" (the figure so far); once it has ended "met" or "not met";
    "no data" when nothing was measured. ``bar`` is the value as a share of the target (0 to
    100), for a progress indicator.
    """

    value: Decimal | None
    count: int | None
    target: Decimal
    direction: str
    unit: str
    live: bool
    definition: str
    link: str | None
    measured_on: dt.date | None
    met: bool | None
    period_state: str
    verdict: str

    @property
    def bar(self) -> int | None:
        if self.value is None:
            return None
        if self.target <= 0:
            return 100 if self.value > 0 else 0
        share = (self.value / self.target * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return int(min(Decimal(100), max(Decimal(0), share)))

    @property
    def verdict_colour(self) -> str:
        return VERDICT_COLOURS.get(self.verdict, "grey")


VERDICT_COLOURS = {
    "met": "green",
    "on track": "green",
    "off track": "amber",
    "not met": "red",
    "no data": "grey",
    "not started": "grey",
}


def period_state(objective: Objective, today: dt.date) -> str:
    if today < objective.period_start:
        return "upcoming"
    if today > objective.period_end:
        return "ended"
    return "running"


def _verdict(state: str, met: bool | None) -> str:
    if state == "upcoming":
        return "not started"
    if met is None:
        return "no data"
    if state == "running":
        return "on track" if met else "off track"
    return "met" if met else "not met"


def objective_progress(objective: Objective, now: dt.datetime) -> Progress:
    """The current value of ``objective`` and how it stands against its target.

    A live measure is computed over the whole period (``period_start`` to ``period_end``, UTC
    days) with the objective's service, in one aggregate query: the same figure the measure's
    own definition counts. A manual one is the latest value recorded (from the
    ``with_latest_measurement`` annotation when present, else one query).
    """
    today = now.astimezone(dt.UTC).date()
    state = period_state(objective, today)
    result = measures.measure(
        objective.measure,
        start=objective.period_start,
        end=objective.period_end,
        service=objective.service_id,
    )
    if result is not None:
        value, count, link, measured_on = result.value, result.count, result.link, None
        definition = result.definition
    else:
        if hasattr(objective, "latest_value"):
            value = objective.latest_value
            measured_on = objective.latest_measured_on
        else:
            latest = measurements_of(objective).values("value", "measured_on").first()
            value = latest["value"] if latest else None
            measured_on = latest["measured_on"] if latest else None
        if value is not None:
            # Stored with two places; SQLite hands a subquery's decimal back as a float.
            value = Decimal(str(value)).quantize(measures.TWO_PLACES, rounding=ROUND_HALF_UP)
        count, link, definition = None, None, measures.MANUAL_DEFINITION
    met = target_met(value, objective.target, objective.direction)
    return Progress(
        value=value,
        count=count,
        target=objective.target,
        direction=objective.direction,
        unit=objective.unit,
        live=result is not None,
        definition=definition,
        link=link,
        measured_on=measured_on,
        met=met,
        period_state=state,
        verdict=_verdict(state, met),
    )


def objectives_with_progress(
    qs: QuerySet[Objective] | Iterable[Objective], now: dt.datetime | None = None
) -> list[Objective]:
    """The objectives of ``qs`` with ``progress`` set on each.

    Manual objectives cost no query of their own (their latest value comes with the list's
    query); each live one costs one aggregate query, fine for lists of tens.
    """
    now = now or timezone.now()
    if isinstance(qs, QuerySet) and "latest_value" not in qs.query.annotations:
        qs = with_latest_measurement(qs)
    rows = list(qs)
    for objective in rows:
        objective.progress = objective_progress(objective, now)  # type: ignore[attr-defined]
    return rows
