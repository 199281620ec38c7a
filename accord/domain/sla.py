"""One SLA clock on one ticket, as a pure value: what it has used, when it falls due, its state.

The clock is defined by facts that never change once recorded (the target, the calendar, the
start, the pauses, the stop) and is always read *as of* an explicit ``now``. Nothing here reads
the system clock, so the same facts give the same answers in a request, in a report run months
later and in a test; and a report can replay the clock at any past moment, because facts
recorded after ``now`` (a later pause, a later stop) are ignored.

The due instant is not stored but derived. Pausing moves it by exactly the business time spent
paused; changing the target (a priority change) keeps the business time already used and
re-derives the due instant from it. Being derived, it can never drift from the facts.

All instants are normalised to UTC when the clock is built, and every instant the clock returns
is in UTC. Comparing and subtracting UTC datetimes is always exact, whereas two datetimes of the
same local zone compare by wall time, which is ambiguous in a DST fold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from accord.domain.clock import BusinessCalendar

__all__ = ["Pause", "SlaClock", "SlaState", "SlaStatus"]

_ZERO = timedelta(0)


class SlaState(StrEnum):
    """Where a clock stands at a given moment."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{name} must be a timezone-aware datetime; got naive {moment.isoformat()}"
        )
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Pause:
    """A stretch during which the clock does not count, e.g. waiting for the customer.

    ``end`` is ``None`` while the pause is still going on.
    """

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _utc(self.start, "pause start"))
        if self.end is not None:
            end = _utc(self.end, "pause end")
            if end < self.start:
                raise ValueError(
                    f"pause ends ({end.isoformat()}) before it starts ({self.start.isoformat()})"
                )
            object.__setattr__(self, "end", end)


@dataclass(frozen=True)
class SlaStatus:
    """Everything a screen or a report shows about a clock at one moment, computed together."""

    now: datetime
    state: SlaState
    paused: bool
    stopped: bool
    elapsed: timedelta
    remaining: timedelta
    overrun: timedelta
    used: float
    due: datetime


@dataclass(frozen=True)
class _Progress:
    """The running stretches of a clock up to a reference moment."""

    reference: datetime
    segments: tuple[tuple[datetime, datetime], ...]
    used: tuple[timedelta, ...]
    paused: bool
    stopped: bool

    @property
    def elapsed(self) -> timedelta:
        return sum(self.used, _ZERO)


@dataclass(frozen=True)
class SlaClock:
    """One service level target measured on one ticket.

    ``target`` is business time (e.g. 8 hours of the ``calendar``), counted from
    ``started_at`` except during ``pauses``; ``stopped_at`` is when the target was achieved
    (e.g. the ticket was resolved). The clock is immutable: :meth:`pause`, :meth:`resume`,
    :meth:`stop` and :meth:`with_target` return new clocks.
    """

    target: timedelta
    calendar: BusinessCalendar
    started_at: datetime
    pauses: tuple[Pause, ...] = field(default=())
    stopped_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.target, timedelta):
            raise TypeError(f"target must be a timedelta, not {type(self.target).__name__}")
        if self.target <= _ZERO:
            raise ValueError(f"target must be a positive business duration, got {self.target}")
        if not isinstance(self.calendar, BusinessCalendar):
            raise TypeError("calendar must be a BusinessCalendar")
        started = _utc(self.started_at, "started_at")
        object.__setattr__(self, "started_at", started)
        stopped = None if self.stopped_at is None else _utc(self.stopped_at, "stopped_at")
        if stopped is not None and stopped < started:
            raise ValueError(
                f"stopped_at {stopped.isoformat()} is before started_at {started.isoformat()}"
            )
        object.__setattr__(self, "stopped_at", stopped)

        pauses = tuple(self.pauses)
        previous_end = started
        for position, pause in enumerate(pauses):
            if not isinstance(pause, Pause):
                raise TypeError("pauses must be Pause values")
            if pause.start < previous_end:
                what = "the clock started" if position == 0 else "the previous pause ended"
                raise ValueError(
                    f"pause starting {pause.start.isoformat()} begins before {what} "
                    f"({previous_end.isoformat()}); pauses must be in order and not overlap"
                )
            if pause.end is None and position != len(pauses) - 1:
                raise ValueError("only the last pause may still be open")
            if stopped is not None:
                if pause.start > stopped:
                    raise ValueError(
                        f"pause starting {pause.start.isoformat()} begins after the clock "
                        f"stopped ({stopped.isoformat()})"
                    )
                if pause.end is not None and pause.end > stopped:
                    raise ValueError(
                        f"pause ending {pause.end.isoformat()} ends after the clock stopped "
                        f"({stopped.isoformat()})"
                    )
            previous_end = pause.end if pause.end is not None else pause.start
        object.__setattr__(self, "pauses", pauses)

    # -- recording facts ---------------------------------------------------------------------

    def pause(self, at: datetime) -> SlaClock:
        """A clock that stops counting from ``at`` until resumed."""
        if self.stopped_at is not None:
            raise ValueError("a stopped clock cannot be paused")
        if self.pauses and self.pauses[-1].end is None:
            raise ValueError("the clock is already paused")
        return replace(self, pauses=(*self.pauses, Pause(at)))

    def resume(self, at: datetime) -> SlaClock:
        """A clock that counts again from ``at``."""
        if not self.pauses or self.pauses[-1].end is not None:
            raise ValueError("the clock is not paused")
        last = self.pauses[-1]
        return replace(self, pauses=(*self.pauses[:-1], Pause(last.start, at)))

    def stop(self, at: datetime) -> SlaClock:
        """A clock whose target was achieved at ``at``; an open pause ends there too."""
        if self.stopped_at is not None:
            raise ValueError("the clock is already stopped")
        pauses = self.pauses
        if pauses and pauses[-1].end is None:
            end = max(_utc(at, "at"), pauses[-1].start)
            pauses = (*pauses[:-1], Pause(pauses[-1].start, end))
        return replace(self, pauses=pauses, stopped_at=at)

    def with_target(self, target: timedelta) -> SlaClock:
        """The same clock measured against another target, e.g. after a priority change.

        Business time already used is kept (it follows from the unchanged facts), so the due
        instant moves by exactly the difference between the targets.
        """
        return replace(self, target=target)

    # -- reading the clock as of ``now`` -------------------------------------------------------

    def elapsed(self, now: datetime) -> timedelta:
        """Business time counted so far (pauses excluded, nothing after the stop)."""
        return self._progress(now).elapsed

    def remaining(self, now: datetime) -> timedelta:
        """Business time left before the target is used up; zero once it is."""
        return max(self.target - self.elapsed(now), _ZERO)

    def overrun(self, now: datetime) -> timedelta:
        """Business time counted beyond the target; zero while within it."""
        return max(self.elapsed(now) - self.target, _ZERO)

    def used_share(self, now: datetime) -> float:
        """Share of the target used: 0.5 is half-way, above 1.0 is breached."""
        return self.elapsed(now) / self.target

    def is_paused(self, now: datetime) -> bool:
        """Whether a pause is going on at ``now`` (and the clock has not stopped)."""
        progress = self._progress(now)
        return progress.paused and not progress.stopped

    def state(self, now: datetime) -> SlaState:
        """Running, paused, met or breached at ``now``.

        A clock is breached as soon as it has counted more business time than the target, and
        met if it stopped without doing so. Breached takes precedence over paused.
        """
        return self._state(self._progress(now))

    def due(self, now: datetime) -> datetime:
        """The instant the target is (or was) used up.

        While the clock runs, this stays put. While it is paused it is where the target would
        fall if the clock resumed at ``now``, so it moves on with the pause. Once the target has
        been used up it is fixed in the past.
        """
        return self._crossing(self.target, self._progress(now))

    def warning_at(self, threshold: float, now: datetime) -> datetime:
        """The instant the share ``threshold`` of the target is (or was) used, e.g. 0.8.

        It moves with pauses just as :meth:`due` does.
        """
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise TypeError("threshold must be a number such as 0.8")
        if not math.isfinite(threshold) or threshold <= 0:
            raise ValueError(f"threshold must be a positive share such as 0.8, got {threshold}")
        return self._crossing(self.target * threshold, self._progress(now))

    @property
    def met(self) -> bool | None:
        """At the stop: ``True`` if met, ``False`` if breached; ``None`` while not stopped."""
        if self.stopped_at is None:
            return None
        return self._progress(self.stopped_at).elapsed <= self.target

    def status(self, now: datetime) -> SlaStatus:
        """All readings at ``now`` at once (one pass over the pauses)."""
        progress = self._progress(now)
        elapsed = progress.elapsed
        return SlaStatus(
            now=_utc(now, "now"),
            state=self._state(progress),
            paused=progress.paused and not progress.stopped,
            stopped=progress.stopped,
            elapsed=elapsed,
            remaining=max(self.target - elapsed, _ZERO),
            overrun=max(elapsed - self.target, _ZERO),
            used=elapsed / self.target,
            due=self._crossing(self.target, progress),
        )

    # -- internals -----------------------------------------------------------------------------

    def _progress(self, now: datetime) -> _Progress:
        moment = _utc(now, "now")
        if moment < self.started_at:
            raise ValueError(
                f"now {moment.isoformat()} is before the clock started "
                f"({self.started_at.isoformat()})"
            )
        stopped = self.stopped_at is not None and self.stopped_at <= moment
        reference = self.stopped_at if stopped and self.stopped_at is not None else moment
        segments: list[tuple[datetime, datetime]] = []
        cursor = self.started_at
        paused = False
        for pause in self.pauses:
            if pause.start > reference:
                break
            if pause.start > cursor:
                segments.append((cursor, pause.start))
            if pause.end is None or pause.end > reference:
                paused = True
                cursor = reference
                break
            cursor = pause.end
        if not paused and cursor < reference:
            segments.append((cursor, reference))
        used = tuple(self.calendar.elapsed(start, end) for start, end in segments)
        return _Progress(reference, tuple(segments), used, paused, stopped)

    def _state(self, progress: _Progress) -> SlaState:
        over = progress.elapsed > self.target
        if progress.stopped:
            return SlaState.BREACHED if over else SlaState.MET
        if over:
            return SlaState.BREACHED
        return SlaState.PAUSED if progress.paused else SlaState.RUNNING

    def _crossing(self, budget: timedelta, progress: _Progress) -> datetime:
        """Where the counted business time reaches ``budget``, given what is known so far."""
        if budget <= _ZERO:
            return self.started_at
        counted = _ZERO
        for (start, _end), used in zip(progress.segments, progress.used, strict=True):
            if counted + used >= budget:
                return self.calendar.add(start, budget - counted).astimezone(UTC)
            counted += used
        return self.calendar.add(progress.reference, budget - counted).astimezone(UTC)
