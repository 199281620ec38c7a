"""The forward schedule of change: conflicts, calendar entries, projected availability.

A change's planned window is in conflict when it overlaps another scheduled change on the same
configuration item or service, or on one related to it through the dependency graph (the rules
of :mod:`accord.portfolio.impact`: what fails with a CI, and services that depend on a service);
when it falls inside a freeze window; or when it leaves the agreed maintenance windows of an
active agreement covering an affected service.

Everything here is computed from a fixed number of queries whatever the number of changes on the
schedule: the dependency graph is read once and walked in memory for every change, so a
calendar of hundreds of changes costs what a single conflict check costs.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q

from accord.agreements.choices import AgreementStatus
from accord.agreements.models import Agreement
from accord.changes.choices import DONE_STATUSES, SCHEDULE_STATUSES, ChangeType
from accord.changes.models import Change, FreezeWindow
from accord.changes.selectors.changes import changes_visible_to, freeze_windows_visible_to
from accord.domain.schedule import describe_windows, overlaps, within_windows
from accord.portfolio.impact import AFFECTS_SOURCE, AFFECTS_TARGET
from accord.portfolio.models import CIRelationship, ConfigurationItem, Service


@dataclass(frozen=True)
class Conflict:
    """One reason a change's window is in doubt. ``kind`` is overlap (another change on the
    same CI or service, directly or through the dependency graph), freeze (inside a freeze
    window) or maintenance (outside the agreed maintenance window of an agreement covering an
    affected service). ``reason`` is the sentence shown to people."""

    kind: str
    reason: str
    change_id: int | None = None
    change_reference: str = ""
    freeze_window_id: int | None = None
    agreement_id: int | None = None
    service_id: int | None = None
    configuration_item_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "change": self.change_id,
            "change_reference": self.change_reference,
            "freeze_window": self.freeze_window_id,
            "agreement": self.agreement_id,
            "service": self.service_id,
            "configuration_item": self.configuration_item_id,
        }


# --- The dependency graph, read once ------------------------------------------------------------

Node = tuple[str, int]  # ("ci", id) or ("service", id)


class _Graph:
    """What affects what: an edge ``a -> b`` means work on (or failure of) ``a`` puts ``b`` at
    risk. CI edges follow the relationship kinds of the impact analysis; a CI affects the
    services running on it; a service affects the services that depend on it."""

    def __init__(self) -> None:
        self.edges: dict[Node, list[Node]] = {}
        kinds = {str(k) for k in AFFECTS_SOURCE} | {str(k) for k in AFFECTS_TARGET}
        for source, target, kind in CIRelationship.objects.filter(kind__in=kinds).values_list(
            "source_id", "target_id", "kind"
        ):
            if kind in AFFECTS_SOURCE:
                self._add(("ci", target), ("ci", source))
            if kind in AFFECTS_TARGET:
                self._add(("ci", source), ("ci", target))
        ci_link = Service.configuration_items.through
        for service_id, ci_id in ci_link.objects.values_list("service_id", "configurationitem_id"):
            self._add(("ci", ci_id), ("service", service_id))
        dep_link = Service.depends_on.through
        for dependant, dependency in dep_link.objects.values_list(
            "from_service_id", "to_service_id"
        ):
            self._add(("service", dependency), ("service", dependant))
        for targets in self.edges.values():
            targets.sort()

    def _add(self, a: Node, b: Node) -> None:
        self.edges.setdefault(a, []).append(b)

    def reach(self, seeds: Iterable[Node]) -> dict[Node, Node | None]:
        """Every node reached from ``seeds`` (seeds included) -> the node it was reached from
        (``None`` for a seed); breadth-first, so the recorded path is a shortest one."""
        parent: dict[Node, Node | None] = {}
        queue: deque[Node] = deque()
        for seed in sorted(set(seeds)):
            parent[seed] = None
            queue.append(seed)
        while queue:
            node = queue.popleft()
            for nxt in self.edges.get(node, ()):
                if nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        return parent


def _path(parents: dict[Node, Node | None], node: Node) -> list[Node]:
    path = [node]
    while (up := parents[path[-1]]) is not None:
        path.append(up)
    return list(reversed(path))  # from the seed to ``node``


@dataclass
class _Footprint:
    """A change's own CIs and services, and everything its work puts at risk."""

    own: set[Node]
    reached: dict[Node, Node | None] = field(default_factory=dict)

    def services(self) -> set[int]:
        return {i for kind, i in self.reached if kind == "service"}


def _own(change: Change) -> set[Node]:
    return {("ci", c.pk) for c in change.configuration_items.all()} | {
        ("service", s.pk) for s in change.services.all()
    }


class _Schedule:
    """Everything needed to judge the changes planned in one period, loaded once."""

    def __init__(self, start: dt.datetime, end: dt.datetime) -> None:
        self.start, self.end = start, end
        self.graph = _Graph()
        self.changes: list[Change] = list(
            Change.objects.filter(
                status__in=SCHEDULE_STATUSES,
                planned_start__lt=end,
                planned_end__gt=start,
            )
            .only(
                "id",
                "reference",
                "title",
                "status",
                "change_type",
                "planned_start",
                "planned_end",
            )
            .prefetch_related(
                Prefetch("services", queryset=Service.objects.only("id")),
                Prefetch("configuration_items", queryset=ConfigurationItem.objects.only("id")),
            )
            .order_by("planned_start", "pk")
        )
        self.freezes: list[FreezeWindow] = list(
            FreezeWindow.objects.filter(starts_at__lt=end, ends_at__gt=start)
            .prefetch_related(Prefetch("services", queryset=Service.objects.only("id")))
            .order_by("starts_at", "pk")
        )
        self.agreements: list[Agreement] = [
            a
            for a in Agreement.objects.filter(status=AgreementStatus.ACTIVE)
            .select_related("calendar")
            .prefetch_related(Prefetch("services", queryset=Service.objects.only("id")))
            .order_by("code")
            if a.maintenance_windows
        ]
        self._loaded: dict[int, Change] = {c.pk: c for c in self.changes}
        self._footprints: dict[int, _Footprint] = {}
        self._labels: dict[Node, str] | None = None

    # -- footprints and labels ------------------------------------------------------------

    def footprint(self, change: Change) -> _Footprint:
        cached = self._footprints.get(change.pk) if change.pk else None
        if cached is not None:
            return cached
        # Changes on the schedule come with their items prefetched.
        own = _own(self._loaded.get(change.pk, change))
        found = _Footprint(own=own, reached=self.graph.reach(own))
        if change.pk:
            self._footprints[change.pk] = found
        return found

    def label(self, node: Node) -> str:
        if self._labels is None:
            self._labels = {
                ("ci", i): f"CI {n}" for i, n in ConfigurationItem.objects.values_list("id", "name")
            }
            self._labels.update(
                {
                    ("service", i): f"service {n}"
                    for i, n in Service.objects.values_list("id", "name")
                }
            )
        return self._labels.get(node, f"{node[0]} {node[1]}")

    def _chain(self, parents: dict[Node, Node | None], node: Node) -> str:
        """``"service CRM depends on service Database"`` (with the steps between)."""
        path = _path(parents, node)
        text = f"{self.label(path[-1])} depends on {self.label(path[0])}"
        if len(path) > 2:
            text += " (through " + ", ".join(self.label(n) for n in path[1:-1]) + ")"
        return text

    # -- conflicts ----------------------------------------------------------------------

    def conflicts(self, change: Change) -> list[Conflict]:
        start, end = change.planned_start, change.planned_end
        if start is None or end is None or end <= start:
            return []
        mine = self.footprint(change)
        result = [*self._overlaps(change, mine), *self._freezes(change, mine)]
        result.extend(self._maintenance(change, mine))
        return result

    @staticmethod
    def _node_ids(node: Node) -> dict[str, int | None]:
        return {
            "service_id": node[1] if node[0] == "service" else None,
            "configuration_item_id": node[1] if node[0] == "ci" else None,
        }

    def _overlaps(self, change: Change, mine: _Footprint) -> list[Conflict]:
        result: list[Conflict] = []
        for other in self.changes:
            if other.pk == change.pk or not overlaps(
                change.planned_start, change.planned_end, other.planned_start, other.planned_end
            ):
                continue
            theirs = self.footprint(other)
            how = self._how(mine, theirs)
            if how is None:
                continue
            node, text = how
            result.append(
                Conflict(
                    kind="overlap",
                    reason=f"{other.reference} ({other.title}) overlaps: {text}",
                    change_id=other.pk,
                    change_reference=other.reference,
                    **self._node_ids(node),
                )
            )
        return result

    def _how(self, mine: _Footprint, theirs: _Footprint) -> tuple[Node, str] | None:
        """The most direct link between two changes' footprints, or ``None``."""
        shared = sorted(mine.own & theirs.own)
        if shared:
            return shared[0], f"shares {self.label(shared[0])}"
        downstream = sorted(theirs.own & mine.reached.keys())
        if downstream:
            return downstream[0], self._chain(mine.reached, downstream[0])
        upstream = sorted(mine.own & theirs.reached.keys())
        if upstream:
            return upstream[0], self._chain(theirs.reached, upstream[0])
        common = sorted(mine.reached.keys() & theirs.reached.keys())
        if common:
            node = common[0]
            here = _path(mine.reached, node)[0]
            there = _path(theirs.reached, node)[0]
            return node, (
                f"{self.label(node)} depends on both {self.label(here)} (changed here) and "
                f"{self.label(there)}"
            )
        return None

    def _freezes(self, change: Change, mine: _Footprint) -> list[Conflict]:
        result: list[Conflict] = []
        affected = mine.services()
        for freeze in self.freezes:
            if not overlaps(
                change.planned_start, change.planned_end, freeze.starts_at, freeze.ends_at
            ):
                continue
            if freeze.allow_emergency and change.change_type == ChangeType.EMERGENCY:
                continue
            frozen = {s.pk for s in freeze.services.all()}
            period = (
                f"{freeze.starts_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} to "
                f"{freeze.ends_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
            )
            if not frozen:
                result.append(
                    Conflict(
                        kind="freeze",
                        reason=f"Inside freeze window {freeze.name} ({period}) on all services",
                        freeze_window_id=freeze.pk,
                    )
                )
                continue
            hit = sorted(frozen & affected)
            if hit:
                result.append(
                    Conflict(
                        kind="freeze",
                        reason=f"Inside freeze window {freeze.name} ({period}) on "
                        f"{self.label(('service', hit[0]))}",
                        freeze_window_id=freeze.pk,
                        service_id=hit[0],
                    )
                )
        return result

    def _maintenance(self, change: Change, mine: _Footprint) -> list[Conflict]:
        result: list[Conflict] = []
        affected = mine.services()
        for agreement in self.agreements:
            covered = sorted({s.pk for s in agreement.services.all()} & affected)
            if not covered:
                continue
            tz = agreement.calendar.time_zone
            try:
                inside = within_windows(
                    change.planned_start, change.planned_end, agreement.maintenance_windows, tz
                )
            except ValueError:  # windows stored before they were checked: treat as none
                inside = False
            if inside:
                continue
            result.append(
                Conflict(
                    kind="maintenance",
                    reason=f"Outside the maintenance windows of {agreement.code} "
                    f"{agreement.name} for {self.label(('service', covered[0]))}: "
                    f"{describe_windows(agreement.maintenance_windows)} ({tz})",
                    agreement_id=agreement.pk,
                    service_id=covered[0],
                )
            )
        return result


def conflicts_for(change: Change) -> list[Conflict]:
    """Every conflict of ``change``'s planned window (none without a window)."""
    if change.planned_start is None or change.planned_end is None:
        return []
    if change.planned_end <= change.planned_start:
        return []
    return _Schedule(change.planned_start, change.planned_end).conflicts(change)


def conflicts_for_many(changes: Iterable[Change]) -> dict[int, list[Conflict]]:
    """The conflicts of several changes at once (change id -> conflicts), in as many queries as
    one change costs: for calendar pages that show the reasons of every change marked."""
    changes = list(changes)
    planned = [
        c
        for c in changes
        if c.planned_start is not None
        and c.planned_end is not None
        and c.planned_end > c.planned_start
    ]
    result: dict[int, list[Conflict]] = {c.pk: [] for c in changes}
    if not planned:
        return result
    schedule = _Schedule(min(c.planned_start for c in planned), max(c.planned_end for c in planned))
    for change in planned:
        result[change.pk] = schedule.conflicts(change)
    return result


@dataclass(frozen=True)
class CalendarEntry:
    kind: str  # "change" or "freeze"
    title: str
    start: dt.datetime
    end: dt.datetime
    change: Change | None = None
    freeze_window_id: int | None = None
    conflicted: bool = False


#: What the calendar shows: the forward schedule and what was carried out.
CALENDAR_STATUSES = SCHEDULE_STATUSES | DONE_STATUSES


def calendar_entries(
    viewer: Any,
    start: dt.datetime,
    end: dt.datetime,
    *,
    service: Any = None,
    configuration_item: Any = None,
    team: Any = None,
) -> list[CalendarEntry]:
    """Changes on the schedule and freeze windows overlapping [start, end), for the viewer."""
    changes = (
        changes_visible_to(viewer)
        .filter(status__in=CALENDAR_STATUSES, planned_start__lt=end, planned_end__gt=start)
        .select_related("implementer_team", "owner")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.only("id", "name", "code")),
            Prefetch("configuration_items", queryset=ConfigurationItem.objects.only("id", "name")),
        )
        .order_by("planned_start", "pk")
    )
    if service is not None:
        changes = changes.filter(services=service)
    if configuration_item is not None:
        changes = changes.filter(configuration_items=configuration_item)
    if team is not None:
        changes = changes.filter(implementer_team=team)
    changes = changes.distinct()
    rows = list(changes)
    freezes = freeze_windows_visible_to(viewer).filter(starts_at__lt=end, ends_at__gt=start)
    if service is not None:
        freezes = freezes.filter(Q(services__isnull=True) | Q(services=service)).distinct()
    entries: list[CalendarEntry] = []
    schedule = _Schedule(start, end) if any(c.status in SCHEDULE_STATUSES for c in rows) else None
    for change in rows:
        conflicted = bool(
            schedule is not None
            and change.status in SCHEDULE_STATUSES
            and schedule.conflicts(change)
        )
        entries.append(
            CalendarEntry(
                kind="change",
                title=f"{change.reference} {change.title}",
                start=change.planned_start,
                end=change.planned_end,
                change=change,
                conflicted=conflicted,
            )
        )
    for freeze in freezes.order_by("starts_at", "pk"):
        entries.append(
            CalendarEntry(
                kind="freeze",
                title=f"Freeze: {freeze.name}",
                start=freeze.starts_at,
                end=freeze.ends_at,
                freeze_window_id=freeze.pk,
            )
        )
    entries.sort(key=lambda e: (e.start, e.kind != "freeze", e.title))
    return entries


@dataclass(frozen=True)
class ServiceProjection:
    service_id: int
    service_name: str
    state: str  # "down" (a change interrupts it) or "at_risk" (work on it or what it needs)
    start: dt.datetime
    end: dt.datetime
    change_id: int
    change_reference: str


def projected_availability(
    viewer: Any, start: dt.datetime, end: dt.datetime
) -> list[ServiceProjection]:
    """Which services will be down or at risk in [start, end) because of scheduled changes.

    A change that interrupts its services (``service_outage``) takes them down and puts at risk
    everything that depends on them; any other change puts its services, and the services
    running on its configuration items, at risk."""
    from accord.portfolio.selectors.service import services_visible_to

    changes = list(
        changes_visible_to(viewer)
        .filter(status__in=SCHEDULE_STATUSES, planned_start__lt=end, planned_end__gt=start)
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.only("id")),
            Prefetch("configuration_items", queryset=ConfigurationItem.objects.only("id")),
        )
        .order_by("planned_start", "pk")
    )
    if not changes:
        return []
    graph = _Graph()
    states: dict[tuple[int, int], str] = {}
    for change in changes:
        own_services = {s.pk for s in change.services.all()}
        if change.service_outage:
            for sid in own_services:
                states[(change.pk, sid)] = "down"
            reached = graph.reach(_own(change))
        else:
            # Only the first step: the services on its CIs, not what depends on them.
            reached = dict.fromkeys(_own(change))
            for ci in change.configuration_items.all():
                for node in graph.edges.get(("ci", ci.pk), ()):
                    reached.setdefault(node, None)
        for kind, sid in reached:
            if kind == "service":
                states.setdefault((change.pk, sid), "at_risk")
    service_ids = {sid for _, sid in states}
    names = dict(services_visible_to(viewer).filter(pk__in=service_ids).values_list("pk", "name"))
    result = [
        ServiceProjection(
            service_id=sid,
            service_name=names[sid],
            state=states[(change.pk, sid)],
            start=change.planned_start,
            end=change.planned_end,
            change_id=change.pk,
            change_reference=change.reference,
        )
        for change in changes
        for (cid, sid) in sorted(states)
        if cid == change.pk and sid in names
    ]
    result.sort(key=lambda p: (p.start, p.service_name, p.state != "down", p.change_reference))
    return result
