"""The SLA clocks of every ticket kind: one model, one service.

Ticket apps (incidents, requests, …) call these functions from their own services, inside their
transaction, whenever a ticket starts, waits, resumes, is resolved, reopened, re-prioritised or
cancelled. The functions record facts (start, pauses, stop) on ``TicketClock`` rows, keep a
history in ``ClockEvent`` and refresh the stored readings that queues sort by. The truth is
always :func:`reading`, computed from the facts with ``accord.domain.sla`` at an explicit
``now``: a stored reading may lag (a job did not run yet), the computed one cannot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction

from accord.agreements.calendars import business_calendar
from accord.agreements.choices import (
    AgreementKind,
    ClockEventKind,
    ClockState,
)
from accord.agreements.models import Agreement, ClockEvent, Target, TicketClock
from accord.agreements.selectors import _effective, applicable_targets
from accord.domain.sla import Pause, SlaClock, SlaState

# Why a ticket waits: the customer pauses every clock; a supplier pauses what each agreement says.
WAITING_ON_CUSTOMER = "customer"
WAITING_ON_SUPPLIER = "supplier"
#: A service request waiting for its approver: what counts is the agreement's choice.
WAITING_ON_APPROVAL = "approval"


@dataclass(frozen=True)
class Reading:
    """A clock as it stands at ``now``: what screens, the API and reports show."""

    clock: TicketClock
    state: str
    due_at: dt.datetime | None
    elapsed: dt.timedelta
    remaining: dt.timedelta
    used: float
    breached: bool

    @property
    def elapsed_seconds(self) -> int:
        return int(self.elapsed.total_seconds())

    @property
    def remaining_seconds(self) -> int:
        return int(self.remaining.total_seconds())


# --- facts <-> domain ---------------------------------------------------------------------------


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _pauses(clock: TicketClock) -> tuple[Pause, ...]:
    return tuple(
        Pause(
            dt.datetime.fromisoformat(start),
            dt.datetime.fromisoformat(end) if end else None,
        )
        for start, end in clock.pauses
    )


def _write_pauses(clock: TicketClock, pauses: Iterable[Pause]) -> None:
    clock.pauses = [[_iso(p.start), _iso(p.end) if p.end else None] for p in pauses]


def _calendar_of(clock: TicketClock) -> Any:
    """The business calendar of the clock's agreement, kept on the calendar row object so a
    batch of clocks sharing one agreement builds (and looks it up) once."""
    calendar = clock.agreement.calendar
    key = (calendar.pk, calendar.version)
    cached = getattr(calendar, "_business", None)
    if cached is None or cached[0] != key:
        cached = (key, business_calendar(calendar))
        calendar._business = cached  # type: ignore[attr-defined]
    return cached[1]


def domain_clock(clock: TicketClock) -> SlaClock:
    """The clock's facts as a domain clock on the agreement's current calendar."""
    return SlaClock(
        target=clock.target_duration,
        calendar=_calendar_of(clock),
        started_at=clock.started_at,
        pauses=_pauses(clock),
        stopped_at=clock.stopped_at,
    )


def stop_readings(clock: TicketClock) -> tuple[dt.timedelta | None, dt.datetime | None]:
    """(business time used, due instant in force) of a stopped clock, from its facts; (None,
    None) for a clock still counting or paused.

    These are what reports rank and list, so they are stored when a clock stops (see
    :func:`_refresh`). A cancelled clock keeps the business time it used before it was
    cancelled. The calendar carries the holidays of every year the clock spans (a year either
    side), however long ago it ran, so the figure does not depend on when it is computed.
    """
    if clock.stopped_at is None:
        return None, None
    years = range(clock.started_at.year - 1, clock.stopped_at.year + 2)
    domain = SlaClock(
        target=clock.target_duration,
        calendar=business_calendar(clock.agreement.calendar, years=years),
        started_at=clock.started_at,
        pauses=_pauses(clock),
        stopped_at=clock.stopped_at,
    )
    status = domain.status(clock.stopped_at)
    return status.elapsed, status.due


def reading(clock: TicketClock, now: dt.datetime) -> Reading:
    """The clock at ``now``, computed from its stored facts (never from stored readings)."""
    if clock.state == ClockState.CANCELLED:
        return Reading(
            clock, ClockState.CANCELLED, None, dt.timedelta(0), dt.timedelta(0), 0.0, False
        )
    return _reading(clock, domain_clock(clock), max(now, clock.started_at))


def _reading(clock: TicketClock, domain: SlaClock, now: dt.datetime) -> Reading:
    status = domain.status(now)
    state = {
        SlaState.RUNNING: ClockState.RUNNING,
        SlaState.PAUSED: ClockState.PAUSED,
        SlaState.MET: ClockState.MET,
        SlaState.BREACHED: ClockState.BREACHED,
    }[status.state]
    breached = clock.breached or status.state == SlaState.BREACHED
    if state == ClockState.MET and breached:
        # Met at the last stop, but breached before a reopening: a breach stays a breach.
        state = ClockState.BREACHED
    due = None if status.stopped else status.due
    return Reading(clock, state, due, status.elapsed, status.remaining, status.used, breached)


def _refresh(clock: TicketClock, now: dt.datetime) -> None:
    """Bring the stored readings up to date with the facts, as of ``now``: every write of a
    clock passes here, so a stopped clock (met, breached or cancelled) always carries its
    business time used and final due instant, and a running one never does."""
    if clock.state == ClockState.CANCELLED:
        try:
            clock.elapsed, clock.final_due_at = stop_readings(clock)
        except ValueError:  # facts the domain refuses never block a cancellation
            clock.elapsed = clock.final_due_at = None
        clock.due_at = clock.warning_at = None
        clock.computed_at = now
        return
    clock.elapsed, clock.final_due_at = stop_readings(clock)
    now = max(now, clock.started_at)
    domain = domain_clock(clock)
    result = _reading(clock, domain, now)
    clock.state = result.state
    clock.breached = result.breached
    if result.state == ClockState.RUNNING or (
        result.state == ClockState.BREACHED and clock.stopped_at is None
    ):
        clock.due_at = result.due_at
        clock.warning_at = domain.warning_at(float(clock.warning_threshold), now)
    else:
        clock.due_at = None
        clock.warning_at = None
    clock.computed_at = now


def _event(clock: TicketClock, kind: str, at: dt.datetime, **detail: Any) -> ClockEvent:
    return ClockEvent(clock=clock, kind=kind, at=at, detail=detail)


def _save(clocks: Sequence[TicketClock], events: Sequence[ClockEvent]) -> None:
    fields = [
        "target",
        "target_duration",
        "warning_threshold",
        "priority",
        "pauses",
        "stopped_at",
        "state",
        "due_at",
        "warning_at",
        "breached",
        "computed_at",
        "elapsed",
        "final_due_at",
    ]
    if clocks:
        TicketClock.objects.bulk_update(clocks, fields)
    if events:
        ClockEvent.objects.bulk_create(events)


# --- queries ------------------------------------------------------------------------------------


def _ticket_filter(ticket: models.Model) -> dict[str, Any]:
    return {
        "content_type": ContentType.objects.get_for_model(type(ticket)),
        "object_id": ticket.pk,
    }


def clocks_of(ticket: models.Model) -> list[TicketClock]:
    """Every clock of the ticket, with agreements and calendars loaded."""
    return list(
        TicketClock.objects.filter(**_ticket_filter(ticket))
        .select_related("agreement__calendar", "target")
        .order_by("pk")
    )


def _open_clocks(ticket: models.Model, *, lock: bool = True) -> list[TicketClock]:
    """Clocks still counting or paused (a clock a job marked breached counts on until it
    stops; a cancelled clock always has a stop)."""
    qs = TicketClock.objects.filter(**_ticket_filter(ticket), stopped_at__isnull=True)
    qs = qs.select_related("agreement__calendar").order_by("pk")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return list(qs)


def earliest_due(clocks: Iterable[TicketClock]) -> dt.datetime | None:
    """The soonest due instant among the clocks still counting (for queue sorting)."""
    dues = [c.due_at for c in clocks if c.due_at is not None and c.stopped_at is None]
    return min(dues) if dues else None


# --- recording facts ----------------------------------------------------------------------------


def applies(
    agreement: Agreement, *, organisation_id: int, team_id: int | None, supplier_id: int | None
) -> bool:
    """Whether an agreement binds this ticket: the customer's SLA, the assigned team's OLA,
    the engaged supplier's UC."""
    if agreement.kind == AgreementKind.SLA:
        return agreement.organisation_id == organisation_id
    if agreement.kind == AgreementKind.OLA:
        return team_id is not None and agreement.team_id == team_id
    return supplier_id is not None and agreement.organisation_id == supplier_id


@transaction.atomic
def start_clocks(
    *,
    ticket: models.Model,
    organisation_id: int,
    service_id: int | None,
    priority: str,
    at: dt.datetime,
    metrics: Iterable[str],
    team_id: int | None = None,
    supplier_id: int | None = None,
    kinds: Iterable[str] = tuple(AgreementKind.values),
    now: dt.datetime | None = None,
    new_ticket: bool = False,
) -> list[TicketClock]:
    """Start a clock for each applicable target of ``metrics`` that the ticket has none for.

    SLAs of the customer, OLAs of the assigned team and UCs of the engaged supplier apply, when
    they are active, cover the service and are in force at ``at``. Calling again is harmless:
    a target that already has a clock on the ticket is skipped. ``new_ticket`` says the ticket
    was created in this transaction and so has no clocks yet (saving the look for them on the
    busiest write path).
    """
    if service_id is None:
        return []
    now = now or at
    wanted = set(metrics)
    kinds = set(kinds)
    existing = (
        set()
        if new_ticket
        else {
            (c.agreement_id, c.metric)
            for c in TicketClock.objects.filter(**_ticket_filter(ticket)).exclude(
                state=ClockState.CANCELLED
            )
        }
    )
    content_type = ContentType.objects.get_for_model(type(ticket))
    created: list[TicketClock] = []
    for applicable in applicable_targets(
        organisation=organisation_id, service=service_id, priority=priority, at=at
    ):
        agreement, target = applicable.agreement, applicable.target
        if target.metric not in wanted or agreement.kind not in kinds:
            continue
        if not applies(
            agreement, organisation_id=organisation_id, team_id=team_id, supplier_id=supplier_id
        ):
            continue
        if (agreement.pk, target.metric) in existing or target.duration is None:
            continue
        clock = TicketClock(
            content_type=content_type,
            object_id=ticket.pk,
            organisation_id=organisation_id,
            agreement=agreement,
            agreement_kind=agreement.kind,
            target=target,
            metric=target.metric,
            priority=priority,
            target_duration=target.duration,
            warning_threshold=target.warning_threshold,
            started_at=at,
        )
        _refresh(clock, max(now, at))
        created.append(clock)
    TicketClock.objects.bulk_create(created)
    ClockEvent.objects.bulk_create(
        [
            _event(c, ClockEventKind.STARTED, at, target=str(c.target_duration), priority=priority)
            for c in created
        ]
    )
    return created


@transaction.atomic
def wait(
    *,
    ticket: models.Model,
    on: str | None,
    at: dt.datetime,
    now: dt.datetime | None = None,
) -> list[TicketClock]:
    """Apply the pause policy for a ticket that now waits ``on`` the customer, a supplier or
    nothing (``None``): clocks that should pause pause, clocks that should count resume."""
    now = now or at
    changed: list[TicketClock] = []
    events: list[ClockEvent] = []
    for clock in _open_clocks(ticket):
        should_pause = (
            on == WAITING_ON_CUSTOMER
            or (on == WAITING_ON_SUPPLIER and clock.agreement.pause_on_pending_supplier)
            or (on == WAITING_ON_APPROVAL and not clock.agreement.count_approval_time)
        )
        domain = domain_clock(clock)
        paused = bool(domain.pauses) and domain.pauses[-1].end is None
        at_clock = max(at, clock.started_at)
        if should_pause and not paused:
            domain = domain.pause(at_clock)
            events.append(_event(clock, ClockEventKind.PAUSED, at_clock, waiting_on=on))
        elif not should_pause and paused:
            at_clock = max(at_clock, domain.pauses[-1].start)
            domain = domain.resume(at_clock)
            events.append(_event(clock, ClockEventKind.RESUMED, at_clock))
        else:
            continue
        _write_pauses(clock, domain.pauses)
        _refresh(clock, max(now, at_clock))
        changed.append(clock)
    _save(changed, events)
    return changed


@transaction.atomic
def stop(
    *,
    ticket: models.Model,
    metrics: Iterable[str],
    at: dt.datetime,
    now: dt.datetime | None = None,
) -> list[TicketClock]:
    """Stop the open clocks of ``metrics``: their targets were achieved (or missed) at ``at``."""
    now = now or at
    wanted = set(metrics)
    changed: list[TicketClock] = []
    events: list[ClockEvent] = []
    for clock in _open_clocks(ticket):
        if clock.metric not in wanted:
            continue
        at_clock = max(at, clock.started_at)
        domain = domain_clock(clock)
        if domain.pauses and domain.pauses[-1].end is None:
            at_clock = max(at_clock, domain.pauses[-1].start)
        domain = domain.stop(at_clock)
        _write_pauses(clock, domain.pauses)
        clock.stopped_at = domain.stopped_at
        _refresh(clock, max(now, at_clock))
        changed.append(clock)
        events.append(_event(clock, ClockEventKind.STOPPED, at_clock, met=not clock.breached))
    _save(changed, events)
    return changed


@transaction.atomic
def reopen(
    *,
    ticket: models.Model,
    metrics: Iterable[str],
    at: dt.datetime,
    now: dt.datetime | None = None,
) -> list[TicketClock]:
    """Resume stopped clocks of ``metrics`` after a reopening. The time the ticket spent
    resolved does not count (it becomes a pause), and a breach already counted stays counted."""
    now = now or at
    wanted = set(metrics)
    clocks = (
        TicketClock.objects.filter(
            **_ticket_filter(ticket),
            metric__in=wanted,
            stopped_at__isnull=False,
        )
        .exclude(state=ClockState.CANCELLED)
        .select_related("agreement__calendar")
        .select_for_update(of=("self",))
    )
    changed: list[TicketClock] = []
    events: list[ClockEvent] = []
    for clock in clocks:
        assert clock.stopped_at is not None
        stopped = clock.stopped_at
        at_clock = max(at, stopped)
        pauses = [*_pauses(clock), Pause(stopped, at_clock)]
        _write_pauses(clock, pauses)
        clock.stopped_at = None
        clock.state = ClockState.RUNNING
        _refresh(clock, max(now, at_clock))
        changed.append(clock)
        events.append(_event(clock, ClockEventKind.REOPENED, at_clock))
    _save(changed, events)
    return changed


@transaction.atomic
def cancel(
    *,
    ticket: models.Model,
    at: dt.datetime,
    reason: str,
    kinds: Iterable[str] | None = None,
    agreement_ids: Iterable[int] | None = None,
) -> list[TicketClock]:
    """Cancel open clocks (all, or those of ``kinds`` / ``agreement_ids``): the ticket was
    cancelled, moved to another team, or its priority has no target any more. A cancelled clock
    is neither met nor breached and does not count in attainment."""
    kinds_set = set(kinds) if kinds is not None else None
    ids = set(agreement_ids) if agreement_ids is not None else None
    chosen = [
        clock
        for clock in _open_clocks(ticket)
        if (kinds_set is None or clock.agreement_kind in kinds_set)
        and (ids is None or clock.agreement_id in ids)
    ]
    return cancel_many(chosen, at, reason)


@transaction.atomic
def retarget(
    *,
    ticket: models.Model,
    priority: str,
    at: dt.datetime,
    reason: str = "priority",
    now: dt.datetime | None = None,
) -> list[TicketClock]:
    """Measure the open clocks against the targets for ``priority`` (or the agreements'
    current targets). Business time already used is kept, so each due instant moves by the
    difference between the old and the new target. A clock whose agreement has no target for
    the new priority is cancelled."""
    now = now or at
    clocks = _open_clocks(ticket)
    targets_by_agreement: dict[int, list[Target]] = {}
    for target in Target.objects.filter(agreement_id__in={c.agreement_id for c in clocks}):
        targets_by_agreement.setdefault(target.agreement_id, []).append(target)
    changed: list[TicketClock] = []
    events: list[ClockEvent] = []
    cancelled: list[int] = []
    for clock in clocks:
        target = _effective(
            targets_by_agreement.get(clock.agreement_id, []), clock.metric, priority
        )
        if target is None or target.duration is None:
            cancelled.append(clock.agreement_id)
            continue
        before = (clock.target_duration, clock.warning_threshold, clock.priority)
        clock.target = target
        clock.target_duration = target.duration
        clock.warning_threshold = Decimal(target.warning_threshold)
        clock.priority = priority
        _refresh(clock, max(now, clock.started_at))
        changed.append(clock)
        if before != (clock.target_duration, clock.warning_threshold, clock.priority):
            events.append(
                _event(
                    clock,
                    ClockEventKind.RETARGETED,
                    max(at, clock.started_at),
                    reason=reason,
                    priority=priority,
                    target=str(clock.target_duration),
                    previous_target=str(before[0]),
                )
            )
    _save(changed, events)
    if cancelled:
        changed += cancel(
            ticket=ticket, at=at, reason=f"no target for {priority}", agreement_ids=cancelled
        )
    return changed


# --- ticket summaries ---------------------------------------------------------------------------

# Ticket kinds keep a summary of their clocks (e.g. an incident's soonest due instant) for their
# queues. Jobs that change many clocks at once call the kind's summary function with the ids of
# the tickets they touched; each ticket app registers its own when it starts.
_summaries: dict[str, Callable[[list[int]], None]] = {}


def register_ticket_summary(model: type[models.Model], update: Callable[[list[int]], None]) -> None:
    """Have ``update(ticket_ids)`` called after a job changed clocks of tickets of ``model``."""
    _summaries[model._meta.label_lower] = update


def refresh_summaries(model: type[models.Model], ticket_ids: Sequence[int]) -> None:
    """Store on tickets of ``model`` (fields ``sla_due_at`` and ``sla_breached``) the soonest due
    instant of their counting clocks and whether one of them breached, which queues sort and
    filter by (the clocks stay the truth). One UPDATE with subqueries per thousand tickets,
    whatever their number; the same rule as :func:`earliest_due` on loaded clocks."""
    content_type = ContentType.objects.get_for_model(model)
    counting = TicketClock.objects.filter(
        content_type=content_type,
        object_id=models.OuterRef("pk"),
        stopped_at__isnull=True,
        due_at__isnull=False,
    ).exclude(state=ClockState.CANCELLED)
    breached = TicketClock.objects.filter(
        content_type=content_type, object_id=models.OuterRef("pk"), breached=True
    ).exclude(state=ClockState.CANCELLED)
    ids = list(ticket_ids)
    for start in range(0, len(ids), 1000):
        model._default_manager.filter(pk__in=ids[start : start + 1000]).update(
            sla_due_at=models.Subquery(counting.order_by("due_at").values("due_at")[:1]),
            sla_breached=models.Exists(breached),
        )


def lock_tickets(keys: Iterable[tuple[int, int]]) -> None:
    """Lock the ticket rows of ``(content type id, object id)`` pairs, in id order. Every
    ticket service locks its ticket before its clocks; jobs that touch many clocks take the
    locks in the same order, so they queue behind people working tickets instead of
    deadlocking with them."""
    by_type: dict[int, set[int]] = {}
    for content_type_id, object_id in keys:
        by_type.setdefault(content_type_id, set()).add(object_id)
    for content_type_id in sorted(by_type):
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is not None:
            list(
                model._default_manager.select_for_update()
                .filter(pk__in=sorted(by_type[content_type_id]))
                .order_by("pk")
                .values_list("pk", flat=True)
            )


def update_summaries(changed: Iterable[TicketClock]) -> None:
    """Refresh the summaries of every ticket whose clocks are in ``changed``."""
    by_type: dict[int, set[int]] = {}
    for clock in changed:
        by_type.setdefault(clock.content_type_id, set()).add(clock.object_id)
    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        update = _summaries.get(model._meta.label_lower)
        if update is not None:
            update(sorted(ids))


def cancel_many(clocks: Sequence[TicketClock], at: dt.datetime, reason: str) -> list[TicketClock]:
    """Cancel ``clocks`` (locked by the caller) of any tickets, e.g. when their agreement ends."""
    changed: list[TicketClock] = []
    events: list[ClockEvent] = []
    for clock in clocks:
        if clock.stopped_at is not None or clock.state == ClockState.CANCELLED:
            continue
        clock.state = ClockState.CANCELLED
        clock.stopped_at = max(at, clock.started_at)
        pauses = list(_pauses(clock))
        if pauses and pauses[-1].end is None:
            pauses[-1] = Pause(pauses[-1].start, max(pauses[-1].start, clock.stopped_at))
            _write_pauses(clock, pauses)
        _refresh(clock, clock.stopped_at)
        changed.append(clock)
        events.append(_event(clock, ClockEventKind.CANCELLED, clock.stopped_at, reason=reason))
    _save(changed, events)
    return changed


def compute_readings(clock: TicketClock, now: dt.datetime) -> TicketClock:
    """Set the stored readings of an unsaved clock from its facts (bulk loads)."""
    _refresh(clock, now)
    return clock


def _save_readings(changed: Sequence[TicketClock]) -> None:
    """Write only the readings of many clocks, as one prepared UPDATE run for every row
    (``executemany``): far cheaper than ``bulk_update``'s CASE expression over many fields."""
    if not changed:
        return
    table = connection.ops.quote_name(TicketClock._meta.db_table)
    names = ["state", "due_at", "warning_at", "breached", "computed_at", "elapsed", "final_due_at"]
    fields = [TicketClock._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    rows = [
        [f.get_db_prep_value(getattr(clock, f.attname), connection) for f in fields] + [clock.pk]
        for clock in changed
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608


def refresh_clocks(clocks: Iterable[TicketClock], now: dt.datetime) -> list[TicketClock]:
    """Recompute and store the readings of ``clocks`` (loaded with their calendars) as of
    ``now``; used by the re-targeting and escalation jobs."""
    changed = []
    for clock in clocks:
        _refresh(clock, now)
        changed.append(clock)
    _save_readings(changed)
    return changed
