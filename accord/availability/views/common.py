"""What every availability page shares: who may open it, the period asked for, and how figures
are put into words.

Availability pages are for the provider's staff and auditors (``availability.view``); to anyone
else they answer 404, so customers do not learn of them (customers have their status page).
Staff without the right to record or manage outages get 403 on the writing pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accord.availability import selectors
from accord.availability.charts import format_duration
from accord.domain.availability import period_bounds

FORBIDDEN = "This page is not part of your role."

#: Worst first on the overview: a missed target needs attention before a threatened one.
STATUS_ORDER = {"breached": 0, "threatened": 1, "on_track": 2, "no_target": 3}

#: Short definitions shown beside the figures (and as tooltips).
DEFINITIONS = {
    "agreed": "Agreed service time: the service hours of the period, less agreed maintenance "
    "windows.",
    "downtime": "Time the service was down during agreed service time, weighted by the share "
    "lost for degraded outages.",
    "availability": "Share of the agreed service time the service was up.",
    "target": "The availability the governing agreement promises.",
    "budget": "Downtime the target allows over the whole period, and what is left of it.",
    "failures": "Unplanned interruptions during agreed service time.",
    "mtbf": "Mean time between failures: average uptime between the end of one failure and "
    "the start of the next.",
    "mtrs": "Mean time to restore service: average length of a failure.",
    "mtbsi": "Mean time between service incidents: average time from the start of one failure "
    "to the start of the next (MTBF + MTRS).",
}


class AvailabilityReaderMixin(LoginRequiredMixin):
    """Signed-in staff who read availability; 404 for everyone else."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not selectors.is_availability_staff(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def require(allowed: bool) -> None:
    """403 unless ``allowed`` (staff whose role does not include the action)."""
    if not allowed:
        raise PermissionDenied(FORBIDDEN)


@dataclass
class PeriodChoice:
    """The period a page shows: the one asked for when it reads, else the default (None: the
    current month of each subject), with the reason a bad one was refused."""

    asked: str
    period: str | None
    error: str = ""

    def month_value(self, shown: str) -> str:
        """The value of the month picker: the month shown, when a month is shown."""
        return shown if len(shown) == 7 and shown[4] == "-" else ""


def period_from(request: HttpRequest) -> PeriodChoice:
    """Read ``?period=`` (free text) or ``?month=`` (the month picker); a period that does not
    read comes back with its error and the default period instead."""
    asked = (request.GET.get("period") or request.GET.get("month") or "").strip()
    if not asked:
        return PeriodChoice(asked="", period=None)
    try:
        period_bounds(asked, selectors.default_zone())
    except ValueError as exc:
        return PeriodChoice(asked=asked, period=None, error=str(exc))
    return PeriodChoice(asked=asked, period=asked)


def duration(value: dt.timedelta | None) -> str:
    return "—" if value is None else format_duration(value)


def period_words(measured: selectors.Measured, now: dt.datetime) -> str:
    """ "this month" for the running month, else "in 2026-10"."""
    if measured.period == selectors.current_period(measured.zone, now):
        return "this month"
    return f"in {measured.period}"


def budget_words(measured: selectors.Measured, now: dt.datetime) -> str:
    """The downtime budget in words: what may still be lost, or by how much it is exceeded."""
    budget = measured.budget
    if budget is None:
        return "No availability target."
    if budget.breached:
        return f"Over budget by {format_duration(budget.used - budget.allowed)}."
    if budget.remaining <= dt.timedelta(0):
        return f"Budget used up {period_words(measured, now)}: no more downtime allowed."
    return f"May still be down {format_duration(budget.remaining)} {period_words(measured, now)}."


def status_badge(status: str) -> dict[str, str]:
    label, colour = selectors.STATUS_LABELS[status]
    return {"status": status, "label": label, "colour": colour}


def figure_rows(measured: selectors.Measured, now: dt.datetime) -> list[dict[str, str]]:
    """The figures of one measurement as labelled rows with their definitions."""
    f = measured.figures
    budget = measured.budget
    availability = "—" if f.availability is None else f"{f.availability} %"
    target = "—" if measured.target is None else f"{measured.target} %"
    rows = [
        ("agreed", "Agreed service time", duration(f.agreed)),
        ("downtime", "Downtime", duration(f.downtime)),
        ("availability", "Availability", availability),
        ("target", "Target", target),
        (
            "budget",
            "Downtime budget",
            "—"
            if budget is None
            else f"{duration(budget.allowed)} allowed, {duration(budget.used)} used. "
            + budget_words(measured, now),
        ),
        ("failures", "Failures", str(f.failures)),
        ("mtbf", "MTBF", duration(f.mtbf)),
        ("mtrs", "MTRS", duration(f.mtrs)),
        ("mtbsi", "MTBSI", duration(f.mtbsi)),
    ]
    return [
        {"key": key, "label": label, "value": value, "definition": DEFINITIONS[key]}
        for key, label, value in rows
    ]
