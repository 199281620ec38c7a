"""Pages of availability figures (ISO/IEC 20000-1, 8.7.1): the overview of every live service
against its target, one service with its history and the outages behind its figure, and one
agreement with the services it covers.

Figures are computed by the selectors for the period asked for (``?period=``; the current month
by default) in a constant number of queries, whatever the number of services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View

from accord.agreements.choices import AgreementStatus
from accord.availability import selectors, services
from accord.availability.charts import MonthPoint, availability_chart, outage_heatmap
from accord.availability.choices import OUTAGE_KIND_COLOURS, OUTAGE_STATE_COLOURS, OutageState
from accord.availability.models import Outage
from accord.availability.views.common import (
    STATUS_ORDER,
    AvailabilityReaderMixin,
    PeriodChoice,
    budget_words,
    duration,
    figure_rows,
    period_from,
    status_badge,
)
from accord.core.web import scoped_object
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service

HISTORY_MONTHS = 12
HEATMAP_DAYS = 365


def _period_error(request: HttpRequest, choice: PeriodChoice) -> int:
    """Show a refused period as a message; the page then answers 400 with the default period."""
    if choice.error:
        messages.error(request, f"The period {choice.asked!r} was not understood: {choice.error}")
        return 400
    return 200


def ongoing_counts(service_ids: list[int], now: dt.datetime) -> dict[int, int]:
    """Outages going on now per service, in one query."""
    rows = (
        Outage.objects.filter(
            service_id__in=service_ids,
            cancelled_at__isnull=True,
            closed_at__isnull=True,
            start__lte=now,
        )
        .filter(Q(end__isnull=True) | Q(end__gt=now))
        .values("service_id")
        .annotate(n=Count("pk"))
    )
    return {row["service_id"]: row["n"] for row in rows}


def _sort_key(measured: selectors.Measured) -> tuple[int, Any, str]:
    availability = measured.figures.availability
    return (
        STATUS_ORDER[measured.status],
        (0, availability) if availability is not None else (1, 0),
        measured.subject.name.lower(),
    )


def _row(measured: selectors.Measured, now: dt.datetime, ongoing: int = 0) -> dict[str, Any]:
    f = measured.figures
    return {
        "measured": measured,
        "subject": measured.subject,
        "availability": f.availability,
        "target": measured.target,
        "badge": status_badge(measured.status),
        "budget": budget_words(measured, now),
        "failures": f.failures,
        "downtime": duration(f.downtime),
        "mtrs": duration(f.mtrs),
        "ongoing": ongoing,
    }


class OverviewView(AvailabilityReaderMixin, View):
    """``/availability/``: every live service against its target, worst first."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        choice = period_from(request)
        status = _period_error(request, choice)
        live = list(
            Service.objects.filter(status=ServiceStatus.LIVE)
            .select_related("service_hours", "owner")
            .order_by("name", "pk")
        )
        measured = sorted(
            selectors.measure_services(live, period=choice.period, now=now), key=_sort_key
        )
        ongoing = ongoing_counts([s.pk for s in live], now)
        rows = [_row(m, now, ongoing.get(m.subject.pk, 0)) for m in measured]
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for m in measured:
            counts[m.status] += 1
        period = (
            measured[0].period
            if measured
            else selectors.current_period(selectors.default_zone(), now)
        )
        return render(
            request,
            "availability/overview.html",
            {
                "rows": rows,
                "counts": counts,
                "ongoing_total": sum(ongoing.values()),
                "period": period,
                "choice": choice,
                "month_value": choice.month_value(period),
                "query": _query(choice),
                "may_record": services.may_record(request.user),
            },
            status=status,
        )


def _query(choice: PeriodChoice) -> str:
    """The query string that keeps the period on links (empty for the default)."""
    return f"?{urlencode({'period': choice.period})}" if choice.period else ""


def outage_length(outage: Outage, now: dt.datetime) -> str:
    """How long the outage lasted, lasts so far, or (planned) will last."""
    end = outage.end or now
    return duration(end - outage.start) if end > outage.start else "—"


def outage_rows(outages: list[Outage], counted: set[int], now: dt.datetime) -> list[dict]:
    """Outages with their state and whether they count in the figure shown."""
    rows = []
    for outage in outages:
        state = services.state_of(outage, now)
        rows.append(
            {
                "outage": outage,
                "state": state,
                "state_label": OutageState(state).label,
                "state_colour": OUTAGE_STATE_COLOURS[state],
                "kind_colour": OUTAGE_KIND_COLOURS.get(outage.kind, "grey"),
                "counted": outage.pk in counted,
                "length": outage_length(outage, now),
            }
        )
    return rows


class ServiceView(AvailabilityReaderMixin, View):
    """``/availability/services/<pk>/``: one service's figures, its last twelve months, the
    downtime of its last year day by day, its agreements and the outages behind the figure."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        now = timezone.now()
        user = request.user
        service = scoped_object(
            lambda person: Service.objects.exclude(status=ServiceStatus.PIPELINE).select_related(
                "service_hours", "owner"
            ),
            user,
            pk=pk,
        )
        choice = period_from(request)
        status = _period_error(request, choice)
        measured = selectors.measure_services([service], period=choice.period, now=now)[0]
        url = reverse("availability-service", args=[service.pk])
        history = selectors.monthly_history(service, months=HISTORY_MONTHS, now=now)
        chart = availability_chart(
            [
                MonthPoint(
                    label=label,
                    availability=m.figures.availability,
                    target=m.target,
                    href=f"{url}?period={label}",
                )
                for label, m in history
            ],
            title=f"Availability of {service.name}, last {HISTORY_MONTHS} months",
        )
        days, zone = selectors.daily_downtime(
            service, start=now - dt.timedelta(days=HEATMAP_DAYS + 1), end=now, now=now
        )
        last = now.astimezone(zone).date()
        first = last - dt.timedelta(days=HEATMAP_DAYS - 1)
        outage_list = reverse("outage-list")
        hrefs = {
            day: f"{outage_list}?{urlencode({'service': service.pk, 'period': f'{day}..{day}'})}"
            for day, down in days.items()
            if down > dt.timedelta(0)
        }
        heatmap = outage_heatmap(
            days, first, last, title=f"Downtime of {service.name} per day", hrefs=hrefs
        )
        agreements = selectors.measure_agreements(
            list(
                selectors.agreements_for_measure(
                    selectors.availability_agreements_visible_to(user).filter(
                        services=service, status=AgreementStatus.ACTIVE
                    )
                ).order_by("code")
            ),
            period=choice.period,
            now=now,
        )
        outages = list(
            selectors.outages_in(
                selectors.outages_visible_to(user).filter(service=service),
                measured.start,
                measured.end,
            ).order_by("start", "pk")
        )
        return render(
            request,
            "availability/service.html",
            {
                "service": service,
                "measured": measured,
                "badge": status_badge(measured.status),
                "figures": figure_rows(measured, now),
                "chart": mark_safe(chart),  # noqa: S308 - every input text is escaped by charts
                "heatmap": mark_safe(heatmap),  # noqa: S308 - every input text is escaped by charts
                "agreements": [_row(a, now) for a in agreements],
                "outages": outage_rows(outages, set(measured.figures.counted), now),
                "choice": choice,
                "month_value": choice.month_value(measured.period),
                "query": _query(choice),
                "may_record": services.may_record(user),
            },
            status=status,
        )


class AgreementView(AvailabilityReaderMixin, View):
    """``/availability/agreements/<pk>/``: an agreement's figure and one row per service."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        now = timezone.now()
        agreement = scoped_object(
            lambda person: selectors.agreements_for_measure(
                selectors.availability_agreements_visible_to(person)
            ),
            request.user,
            pk=pk,
        )
        choice = period_from(request)
        status = _period_error(request, choice)
        measured = selectors.measure_agreements([agreement], period=choice.period, now=now)[0]
        return render(
            request,
            "availability/agreement.html",
            {
                "agreement": agreement,
                "measured": measured,
                "badge": status_badge(measured.status),
                "figures": figure_rows(measured, now),
                "services": [_row(m, now) for m in measured.services],
                "choice": choice,
                "month_value": choice.month_value(measured.period),
                "query": _query(choice),
            },
            status=status,
        )


urlpatterns: list[URLPattern] = [
    path("availability/", OverviewView.as_view(), name="availability-overview"),
    path("availability/services/<int:pk>/", ServiceView.as_view(), name="availability-service"),
    path(
        "availability/agreements/<int:pk>/",
        AgreementView.as_view(),
        name="availability-agreement",
    ),
]
