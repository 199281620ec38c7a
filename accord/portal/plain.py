"""Where a ticket stands against its agreed target, said in plain words for customers.

The portal shows no percentages, no business-hour arithmetic and no internal agreements: one
sentence built from the clocks of the customer's SLA, with instants in the reader's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from accord.agreements.choices import ClockState, Metric
from accord.agreements.clocks import WAITING_ON_APPROVAL, WAITING_ON_CUSTOMER, Reading

#: The clock whose promise a customer cares about, per ticket kind (the last one of the work).
MAIN_METRICS = (Metric.RESOLUTION, Metric.FULFILMENT)


def when(instant: dt.datetime, zone: str) -> str:
    """``Thu 5 Mar 2026, 17:00`` in the reader's zone."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def sla_sentence(readings: Sequence[Reading], *, zone: str, waiting_on: str | None) -> str:
    """One sentence about the ticket's main agreed target, from the readings a customer may see
    (their SLA's clocks). ``waiting_on`` says what a paused ticket waits for."""
    main = [r for r in readings if r.clock.metric in MAIN_METRICS and r.state != "cancelled"]
    if not main:
        return "No agreed target time applies to this."
    reading = min(main, key=lambda r: r.due_at or dt.datetime.max.replace(tzinfo=dt.UTC))
    if reading.state == ClockState.MET:
        return "Done within the agreed time."
    if reading.clock.stopped_at is not None:
        return "Done, later than the agreed time."
    if reading.state == ClockState.PAUSED:
        if waiting_on == WAITING_ON_APPROVAL:
            return "Waiting for approval; the agreed time is on hold until it is decided."
        if waiting_on == WAITING_ON_CUSTOMER:
            return "Waiting for your reply; the agreed time is on hold until you answer."
        return "On hold; the agreed time does not count meanwhile."
    if reading.breached or reading.due_at is None:
        return "Later than agreed; the team is on it."
    return f"We aim to have this done by {when(reading.due_at, zone)}."
