"""Benchmark: Accord's business-time engine against the PyPI package ``businesstimedelta``.

One fixed, seeded workload, run on both engines in the same process:

* calendar: Monday-Friday 09:00-17:00, Europe/Berlin, German public holidays;
* 3,000 random starts (whole minutes) across 2026;
* ``add`` of 1 to 40 business hours;
* ``elapsed`` over spans of 0 to 14 days.

It prints operations per second for each engine and the ratio, checks on a sample that both
engines give the same answers (so the comparison is honest), and prints the cost of adding one
hour against adding 2,000 hours. Without ``businesstimedelta`` installed it still prints
Accord's own figures and exits 0.

Run from the repository root: ``.venv/bin/python benchmarks/clock.py``
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accord.domain.clock import BusinessCalendar, holidays_for

SEED = 20_260_101
OPERATIONS = 3_000
AGREEMENT_SAMPLE = 400
LONG_SAMPLE = 20  # businesstimedelta walks day by day: keep its 2,000-hour run short
ZONE = "Europe/Berlin"
HOLIDAYS = holidays_for("DE", years=range(2025, 2029))


def workload() -> tuple[list[datetime], list[timedelta], list[datetime]]:
    rng = random.Random(SEED)
    year_start = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [year_start + timedelta(minutes=rng.randrange(365 * 1440)) for _ in range(OPERATIONS)]
    durations = [timedelta(hours=rng.randint(1, 40)) for _ in range(OPERATIONS)]
    ends = [start + timedelta(minutes=rng.randrange(14 * 1440 + 1)) for start in starts]
    return starts, durations, ends


def best_time(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


def accord_calendar() -> BusinessCalendar:
    return BusinessCalendar(ZONE, {day: [("09:00", "17:00")] for day in range(5)}, HOLIDAYS)


def btd_rules() -> Any | None:
    try:
        import businesstimedelta
        import pytz
    except ImportError:
        return None
    tz = pytz.timezone(ZONE)
    return businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=clock_time(9),
                end_time=clock_time(17),
                working_days=[0, 1, 2, 3, 4],
                tz=tz,
            ),
            businesstimedelta.HolidayRule(set(HOLIDAYS), tz=tz),
        ]
    )


def btd_add(rules: Any, start: datetime, duration: timedelta) -> datetime:
    import businesstimedelta

    result: datetime = start + businesstimedelta.BusinessTimeDelta(rules, timedelta=duration)
    return result


def btd_elapsed(rules: Any, start: datetime, end: datetime) -> timedelta:
    result: timedelta = rules.difference(start, end).timedelta
    return result


def main() -> int:
    starts, durations, ends = workload()
    calendar = accord_calendar()
    pairs_add = list(zip(starts, durations, strict=True))
    pairs_span = list(zip(starts, ends, strict=True))

    def accord_adds() -> None:
        for start, duration in pairs_add:
            calendar.add(start, duration)

    def accord_spans() -> None:
        for start, end in pairs_span:
            calendar.elapsed(start, end)

    accord_adds()  # warm the offset tables once, as a running service would have them
    accord_add_s = best_time(accord_adds, 5)
    accord_elapsed_s = best_time(accord_spans, 5)

    one_hour, long_run = timedelta(hours=1), timedelta(hours=2_000)

    def accord_add_1h() -> None:
        for start in starts:
            calendar.add(start, one_hour)

    def accord_add_2000h() -> None:
        for start in starts:
            calendar.add(start, long_run)

    accord_add_2000h()
    cost_1h = best_time(accord_add_1h, 5) / OPERATIONS
    cost_2000h = best_time(accord_add_2000h, 5) / OPERATIONS

    print(f"Workload: {OPERATIONS} random starts in 2026, Mon-Fri 09:00-17:00 {ZONE},")
    print(f"          {len(HOLIDAYS)} German public holidays 2025-2028, seed {SEED}")
    print()
    print(f"{'':24}{'Accord':>14}{'businesstimedelta':>20}{'ratio':>10}")

    rules = btd_rules()
    if rules is None:
        print(f"{'add (ops/s)':24}{OPERATIONS / accord_add_s:14,.0f}{'-':>20}{'-':>10}")
        print(f"{'elapsed (ops/s)':24}{OPERATIONS / accord_elapsed_s:14,.0f}{'-':>20}{'-':>10}")
        print()
        print(f"add cost, 1 h:     {cost_1h * 1e6:8.2f} us")
        print(f"add cost, 2,000 h: {cost_2000h * 1e6:8.2f} us  ({cost_2000h / cost_1h:.2f}x)")
        print()
        print("businesstimedelta is not installed: no comparison was made.")
        print("Install it with: .venv/bin/pip install businesstimedelta")
        return 0

    def btd_adds() -> None:
        for start, duration in pairs_add:
            btd_add(rules, start, duration)

    def btd_spans() -> None:
        for start, end in pairs_span:
            btd_elapsed(rules, start, end)

    btd_add_s = best_time(btd_adds, 1)
    btd_elapsed_s = best_time(btd_spans, 1)

    add_ratio = btd_add_s / accord_add_s
    elapsed_ratio = btd_elapsed_s / accord_elapsed_s
    print(
        f"{'add (ops/s)':24}{OPERATIONS / accord_add_s:14,.0f}"
        f"{OPERATIONS / btd_add_s:20,.0f}{add_ratio:9.0f}x"
    )
    print(
        f"{'elapsed (ops/s)':24}{OPERATIONS / accord_elapsed_s:14,.0f}"
        f"{OPERATIONS / btd_elapsed_s:20,.0f}{elapsed_ratio:9.0f}x"
    )

    # The same answers? Both engines return the earliest instant (an hour used up at 17:00
    # ends at 17:00), so every add and every elapsed of the sample must match exactly.
    rng = random.Random(SEED + 1)
    sample = rng.sample(range(OPERATIONS), AGREEMENT_SAMPLE)
    add_mismatches = [
        index
        for index in sample
        if calendar.add(starts[index], durations[index])
        != btd_add(rules, starts[index], durations[index])
    ]
    elapsed_mismatches = [
        index
        for index in sample
        if calendar.elapsed(starts[index], ends[index])
        != btd_elapsed(rules, starts[index], ends[index])
    ]
    print()
    print(
        f"agreement on {AGREEMENT_SAMPLE} sampled operations: "
        f"add {AGREEMENT_SAMPLE - len(add_mismatches)}/{AGREEMENT_SAMPLE}, "
        f"elapsed {AGREEMENT_SAMPLE - len(elapsed_mismatches)}/{AGREEMENT_SAMPLE}"
    )
    for index in add_mismatches[:5]:
        print(
            f"  add({starts[index].isoformat()}, {durations[index]}): "
            f"Accord {calendar.add(starts[index], durations[index]).isoformat()}, "
            f"businesstimedelta {btd_add(rules, starts[index], durations[index]).isoformat()}"
        )
    for index in elapsed_mismatches[:5]:
        print(
            f"  elapsed({starts[index].isoformat()}, {ends[index].isoformat()}): "
            f"Accord {calendar.elapsed(starts[index], ends[index])}, "
            f"businesstimedelta {btd_elapsed(rules, starts[index], ends[index])}"
        )

    long_starts = starts[:LONG_SAMPLE]
    btd_1h = best_time(lambda: [btd_add(rules, s, one_hour) for s in long_starts], 1)
    btd_2000h = best_time(lambda: [btd_add(rules, s, long_run) for s in long_starts], 1)
    print()
    print(f"{'add cost per call':24}{'Accord':>14}{'businesstimedelta':>20}")
    print(f"{'1 h':24}{cost_1h * 1e6:11.2f} us{btd_1h / LONG_SAMPLE * 1e6:17.0f} us")
    print(f"{'2,000 h':24}{cost_2000h * 1e6:11.2f} us{btd_2000h / LONG_SAMPLE * 1e6:17.0f} us")
    print(f"{'2,000 h / 1 h':24}{cost_2000h / cost_1h:13.2f}x{btd_2000h / btd_1h:19.0f}x")

    verdicts = [
        ("add at least 30x faster", add_ratio >= 30),
        ("elapsed at least 30x faster", elapsed_ratio >= 30),
        ("2,000 h add within 3x of 1 h", cost_2000h <= 3 * cost_1h),
        ("engines agree on the sample", not add_mismatches and not elapsed_mismatches),
    ]
    print()
    for label, passed in verdicts:
        print(f"{'PASS' if passed else 'FAIL'}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
