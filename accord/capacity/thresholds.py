"""Thresholds: a capacity warning, and at critical an incident, once per crossing.

Each metric has a state (normal, warning, critical) and the instant up to which its hourly
rollups have been read. :func:`evaluate` reads the complete hours since then, in order, on the
metric's aggregation (peak, 95th percentile or mean of the hour). A rise to *warning* tells the
metric's owner, the service owner and the capacity managers; a rise to *critical* opens an
incident on the service (channel *monitoring*) and tells the same people. Staying above a
threshold raises nothing more; only falling back below it re-arms it, so the next rise is a new
crossing. Hours already read are never read again, so running the job twice does nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accord.capacity.choices import LEVEL_ORDER, Granularity, Level
from accord.capacity.models import Metric, Rollup, ThresholdState
from accord.capacity.rollups import Bucket
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person
from accord.notifications.choices import NotificationKind
from accord.notifications.services import internal_only, notify

HOUR = dt.timedelta(hours=1)


def level_of(metric: Metric, value: float) -> str:
    """Where ``value`` stands against the metric's thresholds (at or above counts)."""
    if value >= metric.critical_threshold:
        return Level.CRITICAL
    if value >= metric.warning_threshold:
        return Level.WARNING
    return Level.NORMAL


def capacity_managers() -> list[Person]:
    return list(
        Person.objects.filter(is_active=True, role_assignments__role=Role.CAPACITY_MANAGER)
        .select_related("organisation")
        .distinct()
    )


def _people(metric: Metric, managers: list[Person]) -> list[Person]:
    service_owner = metric.service.owner if metric.service_id else None
    return internal_only([metric.owner, service_owner, *managers])


def _raise_incident(metric: Metric, value: float, at: dt.datetime, now: dt.datetime) -> Any:
    from accord.incidents.services import incident_create

    provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
    return incident_create(
        actor=None,
        title=f"Capacity critical: {metric.name}"[:200],
        description=(
            f"{metric.code} reached {value:g} {metric.unit} ({metric.get_aggregation_display()} "
            f"of the hour from {at:%Y-%m-%d %H:%M} UTC), at or above its critical threshold of "
            f"{metric.critical_threshold:g} {metric.unit} (usable capacity "
            f"{metric.usable_capacity:g} {metric.unit})."
        ),
        caller=metric.owner,
        organisation=provider,
        service=metric.service,
        configuration_item=metric.configuration_item,
        channel="monitoring",
        now=now,
    )


def _tell(
    metric: Metric,
    state: ThresholdState,
    level: str,
    value: float,
    at: dt.datetime,
    managers: list[Person],
    now: dt.datetime,
) -> None:
    kind = (
        NotificationKind.CAPACITY_CRITICAL
        if level == Level.CRITICAL
        else NotificationKind.CAPACITY_WARNING
    )
    threshold = metric.critical_threshold if level == Level.CRITICAL else metric.warning_threshold
    incident = f" Incident {state.incident.reference} was opened." if state.incident else ""
    notify(
        event_key=f"{kind}:{metric.pk}:{state.crossings}",
        kind=kind,
        recipients=_people(metric, managers),
        subject=f"{metric.code}: capacity {level} ({value:g} {metric.unit})",
        body=(
            f"{metric.name} reached {value:g} {metric.unit} in the hour from {at:%Y-%m-%d %H:%M} "
            f"UTC, at or above its {level} threshold of {threshold:g} {metric.unit}; usable "
            f"capacity is {metric.usable_capacity:g} {metric.unit}.{incident}"
        ),
        link=f"/capacity/metrics/{metric.pk}/",
        organisation=metric.owner.organisation_id,
        source=metric,
        now=now,
    )


def evaluate(metric_ids: Iterable[int], *, now: dt.datetime) -> dict[int, str]:
    """Read the complete hours each metric has not been read for; returns the levels reached
    by new crossings (metric id -> level)."""
    crossed: dict[int, str] = {}
    managers = capacity_managers()
    complete = now.replace(minute=0, second=0, microsecond=0)
    for metric in Metric.objects.filter(pk__in=list(metric_ids), is_active=True).select_related(
        "owner", "service", "service__owner", "configuration_item"
    ):
        with transaction.atomic():
            state, _ = ThresholdState.objects.select_for_update().get_or_create(metric=metric)
            hours = Rollup.objects.filter(
                metric=metric, granularity=Granularity.HOUR, bucket__lt=complete
            )
            if state.evaluated_through is not None:
                hours = hours.filter(bucket__gte=state.evaluated_through)
            for b, n, lo, hi, total, q in hours.order_by("bucket").values_list(
                "bucket", "count", "minimum", "maximum", "total", "p95"
            ):
                value = Bucket(b, n, lo, hi, total, q).read(metric.aggregation)
                level = level_of(metric, value)
                state.value = value
                if LEVEL_ORDER[level] > LEVEL_ORDER[state.level]:
                    state.crossings += 1
                    state.level = level
                    state.since = b
                    if level == Level.CRITICAL:
                        state.incident = _raise_incident(metric, value, b, now)
                    _tell(metric, state, level, value, b, managers, now)
                    crossed[metric.pk] = level
                elif LEVEL_ORDER[level] < LEVEL_ORDER[state.level]:
                    state.level = level
                    state.since = b
                state.evaluated_through = b + HOUR
            state.save()
    return crossed
