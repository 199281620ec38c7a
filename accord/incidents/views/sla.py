"""How SLA clocks look on the incident pages: a badge colour and a countdown per clock.

The colour says what an agent must do: blue (counting, below the warning share), amber (past
the warning share of the target), red (breached), grey (paused or cancelled), green (met). The
readings come from ``accord.agreements.clocks.reading``, computed at the request's ``now``, so a
badge is right even when no job has refreshed the stored readings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from accord.agreements import clocks
from accord.agreements.choices import AgreementKind, ClockState
from accord.agreements.models import TicketClock

COUNTING = frozenset({ClockState.RUNNING, ClockState.PAUSED})


def span(duration: dt.timedelta) -> str:
    """Business time to the minute ("3 h 05 min"): a countdown needs no seconds."""
    minutes = int(duration.total_seconds()) // 60
    if minutes <= 0:
        return "under 1 min" if duration.total_seconds() > 0 else "0 min"
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes:02d} min"
    return f"{hours} h" if hours else f"{minutes} min"


@dataclass(frozen=True)
class ClockView:
    """One clock as a badge, a row of the clock table and a bar of its share used."""

    reading: clocks.Reading
    colour: str
    text: str

    @property
    def clock(self) -> TicketClock:
        return self.reading.clock

    @property
    def state(self) -> str:
        return self.reading.state

    @property
    def state_label(self) -> str:
        return ClockState(self.reading.state).label

    @property
    def label(self) -> str:
        """What the clock measures, e.g. "SLA resolution"."""
        kind = AgreementKind(self.clock.agreement_kind).name
        return f"{kind} {self.clock.get_metric_display().lower()}"

    @property
    def percent(self) -> int:
        """Share of the target used, as a whole percentage for the bar (capped at 100)."""
        return max(0, min(100, round(self.reading.used * 100)))

    @property
    def used_percent(self) -> int:
        """Share of the target used, uncapped (a breached clock may be at 140 %)."""
        return max(0, round(self.reading.used * 100))

    @property
    def is_counting(self) -> bool:
        """Still measuring: running or paused, or breached without having stopped."""
        return self.clock.stopped_at is None and self.reading.state != ClockState.CANCELLED

    @property
    def elapsed(self) -> str:
        return span(self.reading.elapsed)

    @property
    def remaining(self) -> str:
        return span(self.reading.remaining)

    @property
    def target(self) -> str:
        return span(self.clock.target_duration)

    @property
    def overrun(self) -> dt.timedelta:
        return max(self.reading.elapsed - self.clock.target_duration, dt.timedelta(0))


def colour_of(reading: clocks.Reading) -> str:
    state = reading.state
    if state == ClockState.BREACHED or (reading.breached and state != ClockState.MET):
        return "red"
    if state == ClockState.MET:
        return "green"
    if state in (ClockState.PAUSED, ClockState.CANCELLED):
        return "grey"
    if reading.used >= float(reading.clock.warning_threshold):
        return "amber"
    return "blue"


def view_of(reading: clocks.Reading) -> ClockView:
    state = reading.state
    if state == ClockState.CANCELLED:
        text = "cancelled"
    elif state == ClockState.MET:
        text = "met"
    elif state == ClockState.BREACHED:
        over = max(reading.elapsed - reading.clock.target_duration, dt.timedelta(0))
        text = f"breached, {span(over)} over" if reading.clock.stopped_at is None else "breached"
    elif state == ClockState.PAUSED:
        text = f"paused, {span(reading.remaining)} left"
    else:
        text = f"{span(reading.remaining)} left"
    return ClockView(reading=reading, colour=colour_of(reading), text=text)


def clock_views(
    readings: Iterable[clocks.Reading], *, internal: bool, keep_cancelled: bool = False
) -> list[ClockView]:
    """The clocks a viewer sees: the provider's staff see every agreement's clocks; customers
    see their service level agreement's, never the provider's OLAs or suppliers' contracts."""
    views = []
    for reading in readings:
        if not internal and reading.clock.agreement_kind != AgreementKind.SLA:
            continue
        if reading.state == ClockState.CANCELLED and not (internal and keep_cancelled):
            continue
        views.append(view_of(reading))
    return views


def most_urgent(views: Iterable[ClockView]) -> ClockView | None:
    """The clock an agent should look at first: a breached clock still counting, else the
    counting clock due soonest (running before paused), else the worst finished one."""
    best: tuple[tuple[int, float], ClockView] | None = None
    for view in views:
        reading = view.reading
        if view.is_counting and reading.state == ClockState.BREACHED:
            rank = (0, 0.0)
        elif view.is_counting and reading.state == ClockState.RUNNING:
            due = reading.due_at.timestamp() if reading.due_at else float("inf")
            rank = (1, due)
        elif view.is_counting:
            rank = (2, reading.remaining.total_seconds())
        elif reading.state == ClockState.BREACHED:
            rank = (3, 0.0)
        elif reading.state == ClockState.MET:
            rank = (4, 0.0)
        else:
            continue
        if best is None or rank < best[0]:
            best = (rank, view)
    return best[1] if best else None


def reading_views(
    clocks_of_incident: Iterable[TicketClock], now: dt.datetime, *, internal: bool
) -> list[ClockView]:
    """Readings at ``now`` of clocks loaded with their agreements and calendars."""
    return clock_views((clocks.reading(c, now) for c in clocks_of_incident), internal=internal)
