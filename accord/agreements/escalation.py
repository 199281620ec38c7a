"""Escalation of SLA clocks: a warning when a clock has used its warning share, a notice when
it breaches, each exactly once per clock, for every kind of ticket.

The job is a scan plus one small transaction per clock. The scan finds open clocks whose stored
readings say a threshold has passed without its marker (``warning_notified_at``,
``breach_notified_at``), through the ``(state, warning_at)`` and ``(state, due_at)`` indexes.
For each, the transaction locks the ticket and then the clock row (the order the ticket
services use), recomputes the truth with :func:`accord.agreements.clocks.reading` (a stored
reading may be stale: the clock may have paused since, or its target moved) and, only when
the threshold is really reached and still unmarked, sets the marker, records a ``ClockEvent``,
refreshes the stored readings and the ticket's summary, audits, and writes the notices with
:func:`accord.notifications.services.notify`, all at once.

Exactly once follows from three things. The marker and the notices commit together or not at
all, so a worker that dies mid-run leaves nothing half done and the next run does it whole. A
second run that races the first waits for the row lock (PostgreSQL) or for the write lock
(SQLite begins every write transaction IMMEDIATE), then finds the marker set and does nothing.
And the notices' unique constraints refuse a second copy even if both guards were bypassed.
Delivering the queued mails is the outbox's business (``send_outbox``).

Who is told depends on the ticket kind: each ticket app registers a function with
:func:`register_recipients` in its ``notifications`` module, found on first use.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.module_loading import autodiscover_modules

from accord.agreements import clocks
from accord.agreements.choices import ClockEventKind, ClockState
from accord.agreements.models import ClockEvent, TicketClock
from accord.core import audit
from accord.core.choices import AuditAction
from accord.core.models import Person
from accord.notifications.choices import NotificationKind
from accord.notifications.services import absolute_url, event_key, notify

logger = logging.getLogger(__name__)

# Clocks that still count (a clock a job found breached counts on until it stops).
OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED)
BATCH = 200


# --- who is told, per ticket kind ---------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Whom a ticket's clock notices go to, and how the ticket is named to them."""

    people: tuple[Person, ...]
    reference: str
    title: str
    link: str
    noun: str = "Ticket"


T = TypeVar("T", bound=models.Model)
RecipientsFunction = Callable[[Any, TicketClock], Audience]

_registry: dict[type[models.Model], RecipientsFunction] = {}
_discovered = False


def register_recipients(model: type[T], function: Callable[[T, TicketClock], Audience]) -> None:
    """Declare who hears about the clocks of ``model`` tickets (called by each ticket app's
    ``notifications`` module when it is imported)."""
    _registry[model] = function


def _recipients_function(model: type[models.Model]) -> RecipientsFunction | None:
    global _discovered
    if not _discovered:
        autodiscover_modules("notifications")
        _discovered = True
    return _registry.get(model)


def audience_for(ticket: models.Model, clock: TicketClock) -> Audience:
    """The audience of ``clock`` on ``ticket``: from the ticket kind's registered function, or
    nobody (with the ticket named plainly) for a kind that registered none."""
    function = _recipients_function(type(ticket))
    if function is None:
        logger.warning("No escalation recipients registered for %s", type(ticket).__name__)
        return Audience(people=(), reference=str(ticket.pk), title=str(ticket), link="")
    return function(ticket, clock)


# --- the job ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationResult:
    """What one pass found and did."""

    examined: int = 0
    warnings: int = 0
    breaches: int = 0
    errors: int = 0


def _due(now: dt.datetime) -> Q:
    """Open clocks whose stored readings put a threshold at or before ``now`` with no marker."""
    return Q(state__in=OPEN_STATES, warning_at__lte=now, warning_notified_at__isnull=True) | Q(
        state__in=OPEN_STATES, due_at__lte=now, breach_notified_at__isnull=True
    )


def candidates(now: dt.datetime) -> QuerySet[TicketClock]:
    """The clocks the job must look at as of ``now`` (the stored readings' opinion)."""
    return TicketClock.objects.filter(_due(now), stopped_at__isnull=True)


def escalate(now: dt.datetime, *, batch: int = BATCH) -> EscalationResult:
    """One pass over every candidate clock as of ``now``, in batches, each clock in its own
    transaction. A clock that fails is logged and left for the next pass; the others go on."""
    examined = warnings = breaches = errors = 0
    last = 0
    while True:
        ids = list(
            candidates(now).filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        for clock_id in ids:
            examined += 1
            try:
                warned, breached = escalate_clock(clock_id, now)
            except Exception:  # one bad clock must not hold up the escalation of the others
                logger.exception("Escalating clock %s failed; the next pass retries it", clock_id)
                errors += 1
                continue
            warnings += warned
            breaches += breached
        last = ids[-1]
    return EscalationResult(examined, warnings, breaches, errors)


@transaction.atomic
def escalate_clock(clock_id: int, now: dt.datetime) -> tuple[bool, bool]:
    """Send the warning or breach notice of one clock if it is really due and not yet sent.

    Returns (warning sent, breach sent). When the job is so late that the clock has already
    breached, only the breach is told; the warning marker is set with it, so the stale warning
    never follows.
    """
    head = TicketClock.objects.filter(pk=clock_id).values_list("content_type_id", "object_id")
    clocks.lock_tickets(head)
    clock = (
        TicketClock.objects.select_for_update(of=("self",))
        .select_related("agreement__calendar", "target")
        .filter(pk=clock_id)
        .first()
    )
    if clock is None or not candidates(now).filter(pk=clock_id).exists():
        return False, False  # stopped, cancelled, or another run got here first
    truth = clocks.reading(clock, now)
    breach = clock.breach_notified_at is None and truth.breached
    warn = (
        not breach
        and clock.warning_notified_at is None
        and truth.used >= float(clock.warning_threshold)
    )
    if not (warn or breach):
        # The stored readings were stale; now they are not, and the ticket's summary follows.
        clocks.update_summaries(clocks.refresh_clocks([clock], now))
        return False, False

    before = {
        "state": clock.state,
        "warning_notified_at": clock.warning_notified_at,
        "breach_notified_at": clock.breach_notified_at,
    }
    if breach:
        kind, event_kind = NotificationKind.SLA_BREACH, ClockEventKind.BREACHED
        reached = truth.due_at or now
        clock.breach_notified_at = now
        clock.warning_notified_at = clock.warning_notified_at or now
    else:
        kind, event_kind = NotificationKind.SLA_WARNING, ClockEventKind.WARNING
        reached = clocks.domain_clock(clock).warning_at(float(clock.warning_threshold), now)
        clock.warning_notified_at = now
    clocks.update_summaries(clocks.refresh_clocks([clock], now))
    clock.save(update_fields=["warning_notified_at", "breach_notified_at"])
    ClockEvent.objects.create(
        clock=clock,
        kind=event_kind,
        at=min(reached, now),
        detail={
            "notified_at": now.astimezone(dt.UTC).isoformat(),
            "used": round(truth.used, 4),
            "warning_threshold": str(clock.warning_threshold),
        },
    )
    audit.record(
        actor=None,
        action=AuditAction.TRANSITION,
        instance=clock,
        changes=audit.diff(before, {name: getattr(clock, name) for name in before}),
        organisation=clock.organisation_id,
    )
    _tell(clock, truth, kind, now)
    return not breach, breach


def _tell(clock: TicketClock, truth: clocks.Reading, kind: str, now: dt.datetime) -> None:
    ticket = clock.ticket
    if ticket is None:
        logger.warning("Clock %s has no ticket any more; nobody to tell", clock.pk)
        return
    audience = audience_for(ticket, clock)
    subject, body = compose(clock=clock, truth=truth, audience=audience, kind=kind)
    notify(
        event_key=event_key(clock, kind),
        kind=kind,
        recipients=audience.people,
        subject=subject,
        body=body,
        link=audience.link,
        organisation=clock.organisation_id,
        source=ticket,
        clock=clock,
        now=now,
    )


# --- the words ----------------------------------------------------------------------------------


def business_duration(value: dt.timedelta) -> str:
    """``1 h 05 min`` style, for amounts of business time."""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _instant(moment: dt.datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    utc = moment.astimezone(dt.UTC)
    return f"{local:%a %d %b %Y %H:%M %Z} ({zone}); {utc:%Y-%m-%d %H:%M} UTC"


def compose(
    *, clock: TicketClock, truth: clocks.Reading, audience: Audience, kind: str
) -> tuple[str, str]:
    """Subject and body of a warning or breach notice: which ticket, which agreement and
    target, when it is (or was) due, and what is left or how far it is over."""
    agreement = clock.agreement
    label = agreement.kind.upper()
    metric = clock.get_metric_display()
    breached = kind == NotificationKind.SLA_BREACH
    due = truth.due_at
    zone = agreement.calendar.time_zone
    if breached:
        subject = f"{label} breached: {audience.reference} {metric.lower()} — {audience.title}"
        opening = (
            f"The {metric.lower()} target of {audience.reference} under {agreement.code} "
            "has been breached."
        )
    else:
        subject = f"{label} warning: {audience.reference} {metric.lower()} — {audience.title}"
        opening = (
            f"The {metric.lower()} target of {audience.reference} under {agreement.code} has "
            f"used {truth.used:.0%} of its time (warning at {float(clock.warning_threshold):.0%})."
        )
    overrun = max(truth.elapsed - clock.target_duration, dt.timedelta(0))
    lines = [
        opening,
        "",
        f"{audience.noun}: {audience.reference} {audience.title}",
        f"Agreement: {agreement.code} {agreement.name} ({agreement.get_kind_display()})",
        f"Target: {metric}, {clock.priority}: {business_duration(clock.target_duration)} "
        f"of business time ({agreement.calendar.name})",
        f"Due: {_instant(due, zone) if due else 'not counting now'}",
        f"Used: {business_duration(truth.elapsed)}",
        f"Overrun: {business_duration(overrun)}"
        if breached
        else f"Remaining: {business_duration(truth.remaining)}",
    ]
    if audience.link:
        lines += ["", f"Open it: {absolute_url(audience.link)}"]
    return subject, "\n".join(lines) + "\n"
