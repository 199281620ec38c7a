"""Read queries of availability: outages in scope, and availability figures computed from them.

Figures are never stored. A request loads, in a constant number of queries, the services (or
agreements), the availability targets and calendars that apply, and the outages that touch the
period, and hands them to :mod:`accord.domain.availability`, which does the exact arithmetic.

What is measured against what (the definitions are in docs/availability.md):

* a **service**: its service hours (``Service.service_hours``, 24x7 when empty) in the zone of
  those hours; the target, maintenance windows and exclusions of its *governing agreement*, the
  active SLA covering it with the strictest availability target; all its outages.
* an **agreement**: its own calendar, maintenance windows and target, for each service it
  covers, counting the outages that reached its customer (outages limited to other customers do
  not count) and were not excluded from it; the services' figures add up to the agreement's.

Both are clipped to when they applied: a service from going live to retirement, an agreement
from its start date to its end date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from accord.agreements.calendars import business_calendar
from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.models import Agreement, Calendar, Target
from accord.availability.choices import OutageKind
from accord.availability.models import Investigation, Outage, OutageExclusion
from accord.core.permissions import has_capability, sees_all_organisations
from accord.domain import availability as av
from accord.domain.clock import BusinessCalendar
from accord.domain.schedule import weekly_calendar
from accord.portfolio.models import Service

# --- scope --------------------------------------------------------------------------------------


def is_availability_staff(person: Any) -> bool:
    """Provider staff (and auditors) who read outages and figures in full."""
    return sees_all_organisations(person) and has_capability(person, "availability.view")


def sees_status(person: Any) -> bool:
    """A customer's people with the status page of their services."""
    return (
        person is not None
        and person.is_authenticated
        and person.is_active
        and has_capability(person, "availability.status")
    )


def outages_visible_to(person: Any) -> QuerySet[Outage]:
    """Staff see every outage; a customer's people see the outages that reached them on the
    services they have (not outages limited to other customers, nor cancelled ones)."""
    qs = Outage.objects.select_related("service", "configuration_item", "incident", "change")
    if is_availability_staff(person):
        return qs
    if not sees_status(person) or person.organisation_id is None:
        return qs.none()
    from accord.portfolio.selectors.service import services_visible_to

    org = person.organisation_id
    reached = Q(customers__isnull=True) | Q(customers=org)
    ids = (
        Outage.objects.filter(service__in=services_visible_to(person).values("pk"))
        .filter(reached, cancelled_at__isnull=True)
        .values("pk")
    )
    return qs.filter(pk__in=ids)


def investigations_visible_to(person: Any) -> QuerySet[Investigation]:
    qs = Investigation.objects.select_related("outage", "outage__service", "owner", "problem")
    return qs if is_availability_staff(person) else qs.none()


def availability_agreements_visible_to(person: Any) -> QuerySet[Agreement]:
    """Agreements whose availability a person may read: staff every agreement, a customer's
    people their own organisation's agreements once out of draft."""
    from accord.agreements.selectors import agreements_visible_to

    if is_availability_staff(person):
        return agreements_visible_to(person)
    if sees_status(person):
        return agreements_visible_to(person)
    return Agreement.objects.none()


# --- the figures --------------------------------------------------------------------------------


@dataclass
class Measured:
    """The availability of one service or agreement over one period."""

    subject: Any
    period: str
    zone: ZoneInfo
    start: dt.datetime
    end: dt.datetime
    figures: av.Figures
    target: Decimal | None = None
    warning_share: Fraction | None = None
    budget: av.Budget | None = None
    agreement: Agreement | None = None
    services: list[Measured] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``no_target``, ``breached`` (the period's budget is spent: the target cannot be met),
        ``threatened`` (the warning share of the budget is used) or ``on_track``."""
        if self.budget is None:
            return "no_target"
        if self.budget.breached:
            return "breached"
        if self.warning_share is not None and self.budget.share_used >= self.warning_share:
            return "threatened"
        return "on_track"


STATUS_LABELS = {
    "no_target": ("No target", "grey"),
    "breached": ("Target missed", "red"),
    "threatened": ("Threatened", "amber"),
    "on_track": ("On track", "green"),
}


def default_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def current_period(zone: ZoneInfo, now: dt.datetime) -> str:
    local = now.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def _years(start: dt.datetime, end: dt.datetime) -> range:
    return range(start.year - 1, end.year + 2)


def calendar_of(calendar: Calendar | None, start: dt.datetime, end: dt.datetime) -> Any:
    """The domain calendar of a stored one with the holidays of the years around the period
    (None: 24x7)."""
    if calendar is None:
        return None
    return business_calendar(calendar, years=_years(start, end))


def windows_of(agreement: Agreement | None) -> BusinessCalendar | None:
    """The agreed maintenance windows of an agreement as a calendar (None: no windows)."""
    if agreement is None or not agreement.maintenance_windows:
        return None
    try:
        return weekly_calendar(agreement.maintenance_windows, agreement.calendar.time_zone)
    except ValueError:
        return None


def _warning(target: Target) -> Fraction:
    share = target.warning_threshold
    if share is None:
        return Fraction(str(settings.ACCORD_AVAILABILITY_WARNING_SHARE))
    return Fraction(str(share))


def _clip(
    start: dt.datetime, end: dt.datetime, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    if since is not None and since > start:
        start = min(since, end)
    if until is not None and until < end:
        end = max(until, start)
    return start, end


def _day_start(day: dt.date | None, zone: ZoneInfo) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def availability_targets(service_ids: Iterable[int]) -> dict[int, tuple[Agreement, Target]]:
    """The governing agreement of each service: the active SLA covering it with the strictest
    availability target (ties: the lowest code). Two queries whatever the number of services."""
    ids = list(service_ids)
    through = Agreement.services.through
    pairs = list(
        through.objects.filter(
            service_id__in=ids,
            agreement__status=AgreementStatus.ACTIVE,
            agreement__kind=AgreementKind.SLA,
            agreement__targets__metric=Metric.AVAILABILITY,
        )
        .values_list("service_id", "agreement_id")
        .distinct()
    )
    agreement_ids = {a for _, a in pairs}
    targets: dict[int, Target] = {}
    for target in (
        Target.objects.filter(agreement_id__in=agreement_ids, metric=Metric.AVAILABILITY)
        .select_related("agreement", "agreement__calendar", "agreement__organisation")
        .order_by("agreement_id", "priority")
    ):
        # One availability target per agreement counts: the one for every priority if any.
        targets.setdefault(target.agreement_id, target)
    best: dict[int, tuple[Agreement, Target]] = {}
    for service_id, agreement_id in pairs:
        target = targets.get(agreement_id)
        if target is None:
            continue
        held = best.get(service_id)
        key = (-(target.percentage or 0), target.agreement.code)
        if held is None or key < (-(held[1].percentage or 0), held[0].code):
            best[service_id] = (target.agreement, target)
    return best


def _outage_rows(
    service_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[tuple[Any, ...]]]:
    rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    if not service_ids or start >= end:
        return rows
    for row in (
        Outage.objects.filter(service_id__in=service_ids, cancelled_at__isnull=True, start__lt=end)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .values_list("pk", "service_id", "start", "end", "weight", "kind")
        .order_by("start", "pk")
    ):
        rows[row[1]].append(row)
    return rows


def _domain_outages(rows: Iterable[tuple[Any, ...]], skip: set[int] | None = None) -> list[Any]:
    # Weights take a handful of values (1, 0.5 …): convert each distinct one once.
    weights: dict[Any, Fraction] = {}
    outages = []
    for pk, _service, start, end, weight, kind in rows:
        if skip and pk in skip:
            continue
        share = weights.get(weight)
        if share is None:
            share = weights[weight] = Fraction(str(weight))
        outages.append(
            av.Outage(
                start=start, end=end, weight=share, planned=kind == OutageKind.PLANNED, ref=pk
            )
        )
    return outages


def service_zone(service: Service, governing: tuple[Agreement, Target] | None) -> ZoneInfo:
    if service.service_hours_id is not None:
        return ZoneInfo(service.service_hours.time_zone)
    if governing is not None:
        return ZoneInfo(governing[0].calendar.time_zone)
    return default_zone()


def measure_services(
    services: Sequence[Service], *, period: str | None, now: dt.datetime
) -> list[Measured]:
    """The availability of each service over ``period`` (default: the current month in the
    service's zone), against its governing agreement. A constant number of queries."""
    governing = availability_targets(s.pk for s in services)
    spans: dict[int, tuple[str, ZoneInfo, dt.datetime, dt.datetime]] = {}
    for service in services:
        zone = service_zone(service, governing.get(service.pk))
        label = period or current_period(zone, now)
        start, end = av.period_bounds(label, zone)
        spans[service.pk] = (label, zone, start, end)
    if not spans:
        return []
    low = min(s[2] for s in spans.values())
    high = max(s[3] for s in spans.values())
    rows = _outage_rows(list(spans), low, high)
    exclusions = _exclusions({a.pk for a, _ in governing.values()})
    results = []
    for service in services:
        label, zone, start, end = spans[service.pk]
        start, end = _clip(start, end, service.live_since, service.retired_at)
        gov = governing.get(service.pk)
        agreement, target = gov if gov else (None, None)
        skip = exclusions.get(agreement.pk, set()) if agreement else set()
        figures = av.measure(
            _domain_outages(rows.get(service.pk, ()), skip),
            start,
            end,
            now=now,
            calendar=calendar_of(service.service_hours, start, end),
            windows=windows_of(agreement),
        )
        results.append(_measured(service, label, zone, start, end, figures, agreement, target))
    return results


def _measured(
    subject: Any,
    label: str,
    zone: ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
    figures: av.Figures,
    agreement: Agreement | None,
    target: Target | None,
) -> Measured:
    result = Measured(
        subject=subject,
        period=label,
        zone=zone,
        start=start,
        end=end,
        figures=figures,
        agreement=agreement,
    )
    if target is not None and target.percentage is not None:
        result.target = target.percentage
        result.warning_share = _warning(target)
        result.budget = av.downtime_budget(target.percentage, figures)
    return result


def _exclusions(agreement_ids: Iterable[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    ids = list(agreement_ids)
    if ids:
        for agreement_id, outage_id in OutageExclusion.objects.filter(
            agreement_id__in=ids
        ).values_list("agreement_id", "outage_id"):
            found[agreement_id].add(outage_id)
    return found


def _limited(outage_ids: Iterable[int]) -> dict[int, set[int]]:
    """For outages limited to some customers: outage id -> those customers' ids."""
    through = Outage.customers.through
    found: dict[int, set[int]] = defaultdict(set)
    for outage_id, org_id in through.objects.filter(outage_id__in=list(outage_ids)).values_list(
        "outage_id", "organisation_id"
    ):
        found[outage_id].add(org_id)
    return found


def agreement_target(agreement: Agreement) -> Target | None:
    found = [t for t in agreement.targets.all() if t.metric == Metric.AVAILABILITY]
    found.sort(key=lambda t: t.priority)
    return found[0] if found else None


def measure_agreements(
    agreements: Sequence[Agreement], *, period: str | None, now: dt.datetime
) -> list[Measured]:
    """The availability of each agreement over ``period`` (default: the current month in the
    agreement calendar's zone), with one entry per covered service. Agreements should come with
    ``calendar`` selected and ``services`` and ``targets`` prefetched."""
    plans = []
    for agreement in agreements:
        zone = ZoneInfo(agreement.calendar.time_zone)
        label = period or current_period(zone, now)
        start, end = av.period_bounds(label, zone)
        start, end = _clip(
            start,
            end,
            _day_start(agreement.starts_on, zone),
            _day_start(agreement.ends_on + dt.timedelta(days=1), zone)
            if agreement.ends_on
            else None,
        )
        if agreement.terminated_at is not None:
            start, end = _clip(start, end, None, agreement.terminated_at)
        plans.append((agreement, label, zone, start, end))
    if not plans:
        return []
    service_ids = sorted({s.pk for a in agreements for s in a.services.all()})
    low = min(p[3] for p in plans)
    high = max(p[4] for p in plans)
    rows = _outage_rows(service_ids, low, high)
    limited = _limited(r[0] for group in rows.values() for r in group)
    exclusions = _exclusions(a.pk for a in agreements)
    results = []
    for agreement, label, zone, start, end in plans:
        target = agreement_target(agreement)
        calendar = calendar_of(agreement.calendar, start, end)
        windows = windows_of(agreement)
        org = agreement.organisation_id
        skip = set(exclusions.get(agreement.pk, set()))
        parts = []
        for service in sorted(agreement.services.all(), key=lambda s: s.code):
            mine = [
                r
                for r in rows.get(service.pk, ())
                if r[0] not in skip and (r[0] not in limited or org in limited[r[0]])
            ]
            figures = av.measure(
                _domain_outages(mine), start, end, now=now, calendar=calendar, windows=windows
            )
            parts.append(_measured(service, label, zone, start, end, figures, agreement, target))
        total = (
            av.combine([p.figures for p in parts])
            if parts
            else av.measure([], start, end, now=now, calendar=calendar, windows=windows)
        )
        result = _measured(agreement, label, zone, start, end, total, agreement, target)
        result.services = parts
        results.append(result)
    return results


def agreements_for_measure(qs: QuerySet[Agreement]) -> QuerySet[Agreement]:
    """What :func:`measure_agreements` reads, loaded in three queries."""
    return qs.select_related("calendar", "organisation").prefetch_related("services", "targets")


def outages_in(outages: QuerySet[Outage], start: dt.datetime, end: dt.datetime) -> QuerySet[Outage]:
    """The outages of ``outages`` that touch ``[start, end)`` (cancelled ones left out)."""
    return outages.filter(cancelled_at__isnull=True, start__lt=end).filter(
        Q(end__isnull=True) | Q(end__gt=start)
    )


def monthly_history(
    service: Service, *, months: int, now: dt.datetime
) -> list[tuple[str, Measured]]:
    """The service's availability for each of the last ``months`` months (oldest first), for
    the chart. Three queries plus one per month for nothing: all months share the reads."""
    governing = availability_targets([service.pk]).get(service.pk)
    zone = service_zone(service, governing)
    local = now.astimezone(zone)
    labels = []
    year, month = local.year, local.month
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    labels.reverse()
    first = av.period_bounds(labels[0], zone)[0]
    last = av.period_bounds(labels[-1], zone)[1]
    rows = _outage_rows([service.pk], first, last).get(service.pk, [])
    agreement, target = governing if governing else (None, None)
    skip = _exclusions([agreement.pk]).get(agreement.pk, set()) if agreement else set()
    outages = _domain_outages(rows, skip)
    windows = windows_of(agreement)
    history = []
    for label in labels:
        start, end = av.period_bounds(label, zone)
        start, end = _clip(start, end, service.live_since, service.retired_at)
        figures = av.measure(
            outages,
            start,
            end,
            now=now,
            calendar=calendar_of(service.service_hours, start, end),
            windows=windows,
        )
        history.append(
            (label, _measured(service, label, zone, start, end, figures, agreement, target))
        )
    return history


def daily_downtime(
    service: Service, *, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> tuple[dict[dt.date, dt.timedelta], ZoneInfo]:
    """Downtime of the service per local day in ``[start, end)``, for the heat map."""
    governing = availability_targets([service.pk]).get(service.pk)
    zone = service_zone(service, governing)
    agreement = governing[0] if governing else None
    skip = _exclusions([agreement.pk]).get(agreement.pk, set()) if agreement else set()
    rows = _outage_rows([service.pk], start, end).get(service.pk, [])
    days = av.daily_downtime(
        _domain_outages(rows, skip),
        start,
        end,
        zone,
        now=now,
        calendar=calendar_of(service.service_hours, start, end),
        windows=windows_of(agreement),
    )
    return days, zone


# --- the customer's status page -----------------------------------------------------------------


@dataclass
class ServiceStatus:
    """One service on a customer's status page: how it is now, and why."""

    service: Service
    label: str
    colour: str
    outages: list[Outage] = field(default_factory=list)


#: How far ahead the status page announces planned maintenance, and how far back it shows
#: outages that are over.
UPCOMING = dt.timedelta(days=30)
RECENT = dt.timedelta(days=7)


def status_page(person: Any, now: dt.datetime) -> dict[str, Any]:
    """What a customer's status page shows: each of their services now (operating, degraded,
    down, in maintenance), the outages going on, planned maintenance of the next 30 days and
    outages restored in the last 7 days. Only outages that reach the person's organisation."""
    from accord.portfolio.choices import ServiceStatus as Lifecycle
    from accord.portfolio.selectors.service import services_visible_to

    services = list(
        services_visible_to(person).exclude(status=Lifecycle.PIPELINE).order_by("name", "pk")
    )
    outages = list(
        outages_visible_to(person)
        .filter(start__lt=now + UPCOMING)
        .filter(Q(end__isnull=True) | Q(end__gt=now - RECENT))
        .order_by("start", "pk")
    )
    current = [o for o in outages if o.start <= now and (o.end is None or o.end > now)]
    upcoming = [o for o in outages if o.start > now and o.kind == OutageKind.PLANNED]
    restored = [o for o in outages if o.end is not None and o.end <= now]
    by_service: dict[int, list[Outage]] = defaultdict(list)
    for outage in current:
        by_service[outage.service_id].append(outage)
    rows = []
    for service in services:
        now_out = by_service.get(service.pk, [])
        if any(o.kind == OutageKind.UNPLANNED and o.weight == 1 for o in now_out):
            label, colour = "Outage", "red"
        elif any(o.kind == OutageKind.UNPLANNED for o in now_out):
            label, colour = "Degraded", "amber"
        elif now_out:
            label, colour = "Maintenance", "blue"
        else:
            label, colour = "Operating normally", "green"
        rows.append(ServiceStatus(service, label, colour, now_out))
    return {
        "services": rows,
        "current": current,
        "upcoming": upcoming,
        "restored": list(reversed(restored)),
    }
