"""Read queries of agreements and calendars, scoped to what the asking person may see.

Provider staff and auditors see every agreement; people of a customer or supplier see the
agreements made with their organisation once they are out of draft. Calendars hold no
customer data and are visible to everyone signed in.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.models import Agreement, AgreementText, Calendar, Target
from accord.core.choices import Priority
from accord.core.permissions import sees_all_organisations


def _active_person(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def calendars_visible_to(person: Any) -> QuerySet[Calendar]:
    qs = Calendar.objects.all()
    return qs if _active_person(person) else qs.none()


def agreements_visible_to(person: Any) -> QuerySet[Agreement]:
    qs = Agreement.objects.select_related("organisation", "team", "calendar", "owner")
    if sees_all_organisations(person):
        return qs
    if not _active_person(person) or person.organisation_id is None:
        return qs.none()
    return qs.filter(organisation_id=person.organisation_id).exclude(status=AgreementStatus.DRAFT)


def targets_visible_to(person: Any) -> QuerySet[Target]:
    return Target.objects.select_related("agreement").filter(
        agreement__in=agreements_visible_to(person).values("pk")
    )


def agreement_texts_visible_to(person: Any) -> QuerySet[AgreementText]:
    return AgreementText.objects.filter(agreement__in=agreements_visible_to(person).values("pk"))


# --- Overlaps, looseness and applicability ---------------------------------------------------

_KIND_ORDER = {AgreementKind.SLA: 0, AgreementKind.OLA: 1, AgreementKind.UC: 2}
_OPEN_STATUSES = (AgreementStatus.DRAFT, AgreementStatus.ACTIVE)


def _service_ids(agreement: Agreement) -> set[int]:
    through = Agreement.services.through
    return set(
        through.objects.filter(agreement_id=agreement.pk).values_list("service_id", flat=True)
    )


def _periods_overlap(a: Agreement, b: Agreement) -> bool:
    return (a.ends_on is None or b.starts_on <= a.ends_on) and (
        b.ends_on is None or a.starts_on <= b.ends_on
    )


def overlapping_slas(agreement: Agreement) -> list[tuple[Agreement, list[Any]]]:
    """Other active SLAs of the same customer that share a service with ``agreement`` and whose
    effective period overlaps its own, each with the shared services. Empty for OLAs and UCs.

    ``agreement`` may be an unsaved copy carrying the pk and a changed period (to test an edit).
    """
    if agreement.kind != AgreementKind.SLA:
        return []
    ids = _service_ids(agreement)
    if not ids:
        return []
    qs = (
        Agreement.objects.filter(
            kind=AgreementKind.SLA,
            status=AgreementStatus.ACTIVE,
            organisation_id=agreement.organisation_id,
            pk__in=Agreement.services.through.objects.filter(service_id__in=ids).values(
                "agreement_id"
            ),
        )
        .exclude(pk=agreement.pk)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=agreement.starts_on))
    )
    if agreement.ends_on is not None:
        qs = qs.filter(starts_on__lte=agreement.ends_on)
    qs = qs.prefetch_related(Prefetch("services", to_attr="all_services")).order_by("code")
    return [(other, [s for s in other.all_services if s.pk in ids]) for other in qs]


def target_measure(target: Target) -> str:
    """A target's promise as people read it: "4 h", "1 h 30 min" of business time, "99.9 %"."""
    if target.metric == Metric.AVAILABILITY:
        return f"{target.percentage.normalize():f} %" if target.percentage is not None else "—"
    return business_duration(target.duration)


def business_duration(duration: dt.timedelta | None) -> str:
    """Business time in hours and minutes (business days differ per calendar, so no days)."""
    if duration is None:
        return "—"
    minutes, seconds = divmod(int(duration.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if seconds or not parts:
        parts.append(f"{seconds} s")
    return " ".join(parts)


def _effective(targets: list[Target], metric: str, priority: str) -> Target | None:
    """The target of ``metric`` that applies to ``priority``: the specific one, else 'all'."""
    fallback = None
    for target in targets:
        if target.metric != metric:
            continue
        if target.priority == priority:
            return target
        if target.priority == "":
            fallback = target
    return fallback


def _looser(underpinning: Target, promised: Target) -> bool:
    if underpinning.metric == Metric.AVAILABILITY:
        if underpinning.percentage is None or promised.percentage is None:
            return False
        return underpinning.percentage < promised.percentage
    if underpinning.duration is None or promised.duration is None:
        return False
    return underpinning.duration > promised.duration


@dataclass(frozen=True)
class LooseTarget:
    """An OLA or UC target that promises less than the active SLA target it underpins."""

    target: Target
    sla_target: Target
    services: tuple[Any, ...]
    priorities: tuple[str, ...]

    @property
    def message(self) -> str:
        under, sla = self.target, self.sla_target
        verb = "lower than" if under.metric == Metric.AVAILABILITY else "longer than"
        priorities = ", ".join(p or "all" for p in self.priorities)
        services = ", ".join(s.code for s in self.services)
        return (
            f"{under.agreement.code} {under.get_metric_display().lower()} "
            f"{under.priority or 'all'} ({target_measure(under)}) is {verb} "
            f"{sla.agreement.code} {sla.get_metric_display().lower()} "
            f"{sla.priority or 'all'} ({target_measure(sla)}) for {services} "
            f"(priorities {priorities})."
        )


def _with_targets_and_services(qs: QuerySet[Agreement]) -> QuerySet[Agreement]:
    return qs.prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("metric", "priority")),
        Prefetch("services", to_attr="all_services"),
    )


def loose_targets(agreement: Agreement) -> list[LooseTarget]:
    """Flags of looseness around ``agreement``.

    For an OLA or UC (draft or active): its targets that are looser than the targets of the
    active SLAs they underpin. For an active SLA: the OLA and UC targets (draft or active)
    underpinning it that are looser than its own. A target underpins another when the two
    agreements share a service and their periods overlap, for the same metric, comparing for
    each priority the target that applies to it (the priority's own target, else the 'all'
    target). Longer durations and lower availability percentages are looser.
    """
    ids = _service_ids(agreement)
    if not ids:
        return []
    sharing = Agreement.services.through.objects.filter(service_id__in=ids).values("agreement_id")
    me = _with_targets_and_services(Agreement.objects.filter(pk=agreement.pk)).get()
    if agreement.kind == AgreementKind.SLA:
        if agreement.status != AgreementStatus.ACTIVE:
            return []
        others = Agreement.objects.filter(
            kind__in=(AgreementKind.OLA, AgreementKind.UC), status__in=_OPEN_STATUSES
        )
        pairs_of = lambda other: (other, me)  # noqa: E731
    else:
        if agreement.status not in _OPEN_STATUSES:
            return []
        others = Agreement.objects.filter(kind=AgreementKind.SLA, status=AgreementStatus.ACTIVE)
        pairs_of = lambda other: (me, other)  # noqa: E731
    others = _with_targets_and_services(others.filter(pk__in=sharing).order_by("code"))
    flags: list[LooseTarget] = []
    for other in others:
        under, sla = pairs_of(other)
        if not _periods_overlap(under, sla):
            continue
        shared = tuple(s for s in sla.all_services if s.pk in {x.pk for x in under.all_services})
        if not shared:
            continue
        under_targets, sla_targets = list(under.targets.all()), list(sla.targets.all())
        found: dict[tuple[int, int], list[str]] = {}
        pairs: dict[tuple[int, int], tuple[Target, Target]] = {}
        metrics = sorted({t.metric for t in under_targets} & {t.metric for t in sla_targets})
        for metric in metrics:
            for priority in Priority.values:
                u = _effective(under_targets, metric, priority)
                s = _effective(sla_targets, metric, priority)
                if u is None or s is None or not _looser(u, s):
                    continue
                key = (u.pk, s.pk)
                found.setdefault(key, []).append(priority)
                pairs[key] = (u, s)
        for key, priorities in found.items():
            u, s = pairs[key]
            u.agreement, s.agreement = under, sla  # already loaded: no query per flag
            flags.append(LooseTarget(u, s, shared, tuple(priorities)))
    return flags


@dataclass(frozen=True)
class ApplicableTarget:
    """One target that applies to a ticket, with the agreement it comes from."""

    agreement: Agreement
    target: Target


# Every ticket that opens asks which agreements apply. The answer changes only when an
# agreement, target or calendar is saved, so it is kept per process, keyed by a stamp of the
# last such save (one cheap query) and by the question; a save anywhere makes every entry stale.
_CANDIDATE_CACHE_SIZE = 4096
_candidate_cache: OrderedDict[tuple[Any, ...], list[Agreement]] = OrderedDict()
_candidate_lock = threading.Lock()


def _stamp() -> tuple[Any, ...]:
    """Changes whenever an agreement, target or calendar is saved, added or removed."""
    parts = []
    for model in (Agreement, Target, Calendar):
        table = connection.ops.quote_name(model._meta.db_table)
        parts.append(f"(SELECT MAX(updated_at) FROM {table}), (SELECT COUNT(*) FROM {table})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return tuple(cursor.fetchone() or ())


def _candidates(org_id: Any, service_id: Any, day: dt.date) -> list[Agreement]:
    """Active agreements that may apply to the customer and service around ``day`` (UTC),
    SLA, OLA, UC then by code, with targets and calendars loaded."""
    key = (_stamp(), org_id, service_id, day)
    with _candidate_lock:
        found = _candidate_cache.get(key)
        if found is not None:
            _candidate_cache.move_to_end(key)
            return found
    # A coarse filter in the database (a day either side covers every time zone), the exact
    # local date per calendar in the caller.
    qs = (
        Agreement.objects.filter(
            status=AgreementStatus.ACTIVE,
            pk__in=Agreement.services.through.objects.filter(service_id=service_id).values(
                "agreement_id"
            ),
            starts_on__lte=day + dt.timedelta(days=1),
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day - dt.timedelta(days=1)))
        .filter(
            Q(kind=AgreementKind.SLA, organisation_id=org_id)
            | Q(kind__in=(AgreementKind.OLA, AgreementKind.UC))
        )
        .select_related("calendar", "organisation", "team")
        .prefetch_related(Prefetch("targets", queryset=Target.objects.order_by("metric")))
    )
    result = sorted(qs, key=lambda a: (_KIND_ORDER[AgreementKind(a.kind)], a.code))
    with _candidate_lock:
        _candidate_cache[key] = result
        while len(_candidate_cache) > _CANDIDATE_CACHE_SIZE:
            _candidate_cache.popitem(last=False)
    return result


def applicable_targets(
    *,
    organisation: Any,
    service: Any,
    priority: str,
    at: dt.datetime,
    metric: str | None = None,
) -> list[ApplicableTarget]:
    """Which agreements and targets apply to this customer, service and priority at ``at``.

    The active SLAs of the customer, and the active OLAs and UCs, that cover the service and
    whose effective period (dates in the agreement calendar's time zone, both ends included)
    holds the instant. Per agreement and metric, the priority's own target wins over the 'all'
    target. Ordered SLA, OLA, UC, then by code. Used by the ticket apps to start their clocks.
    """
    if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be a timezone-aware datetime")
    if priority not in Priority.values:
        raise ValueError(f"priority must be one of {', '.join(Priority.values)}, not {priority!r}")
    org_id = getattr(organisation, "pk", organisation)
    service_id = getattr(service, "pk", service)
    day = at.astimezone(dt.UTC).date()
    agreements = _candidates(org_id, service_id, day)
    result: list[ApplicableTarget] = []
    for agreement in agreements:
        local = at.astimezone(ZoneInfo(agreement.calendar.time_zone)).date()
        if local < agreement.starts_on or (agreement.ends_on and local > agreement.ends_on):
            continue
        targets = list(agreement.targets.all())
        for name in sorted({t.metric for t in targets}, key=Metric.values.index):
            if metric is not None and name != metric:
                continue
            chosen = _effective(targets, name, priority)
            if chosen is not None:
                chosen.agreement = agreement
                result.append(ApplicableTarget(agreement, chosen))
    return result
