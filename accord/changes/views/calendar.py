"""Pages of the forward schedule of change: the change calendar (month and week), projected
service availability and the change metrics, with the iCalendar links of the viewer.

Change pages are for the provider's staff and auditors (``selectors.changes.may_view``); to
anyone else they answer 404, so customers do not learn what is planned on the provider's side.
Everything shown is read through the schedule and metrics selectors, in the viewer's time zone.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views import View

from accord.changes.models import CalendarFeed
from accord.changes.selectors import metrics as metric_selectors
from accord.changes.selectors import schedule
from accord.changes.selectors.changes import may_view
from accord.changes.services import feeds
from accord.core.choices import OrganisationKind
from accord.core.models import Team
from accord.core.permissions import has_capability
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to

FORBIDDEN = "This page is not part of your role."
#: Past this many conflicted changes on one page the others show the marker without the
#: reasons (their own page lists them), so a busy month stays fast.
MAX_CONFLICT_DETAILS = 200
MAX_METRIC_MONTHS = 12


def may_manage_changes(person: Any) -> bool:
    """The change manager: reads the change pages and keeps the policy, templates, releases."""
    return may_view(person) and has_capability(person, "changes.manage")


class ChangeReaderMixin(LoginRequiredMixin):
    """Signed-in staff who read changes; 404 for everyone else (customers), so that the change
    pages do not reveal themselves."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_view(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def change_url(reference: str) -> str:
    """The change's page (by reference)."""
    return reverse("change-detail", args=[reference])


def feed_url(request: HttpRequest, feed: CalendarFeed) -> str:
    """The absolute secret address a calendar client subscribes to."""
    return request.build_absolute_uri(reverse("change-feed", args=[feed.token]))


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in the viewer's time zone (the zone the middleware activated)."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone()
    )


def parse_date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


class ScheduleFilterForm(forms.Form):
    """What the calendar is narrowed to: one service, one CI, one implementer team."""

    service = forms.ModelChoiceField(queryset=None, required=False)
    ci = forms.ModelChoiceField(queryset=None, required=False, label="Configuration item")
    team = forms.ModelChoiceField(queryset=None, required=False, label="Implementer team")

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services_visible_to(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["ci"].queryset = cis_visible_to(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            organisation__kind=OrganisationKind.PROVIDER, is_active=True
        ).order_by("name")


def conflict_reasons(changes: list[Any]) -> dict[int, list[str]]:
    """The conflict reasons of the conflicted changes shown (at most MAX_CONFLICT_DETAILS of
    them), worked out together in as many queries as one change costs."""
    found = schedule.conflicts_for_many(changes[:MAX_CONFLICT_DETAILS])
    return {pk: [c.reason for c in conflicts] for pk, conflicts in found.items()}


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(day), local_midnight(day + dt.timedelta(days=1))


class CalendarView(ChangeReaderMixin, View):
    """``/changes/calendar/``: the forward schedule of change for a month (``?view=month``, the
    default) or a week (``?view=week``) around ``?date=``, filtered by service, CI or team, with
    freeze windows shaded and conflicts marked."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        today = timezone.localdate()
        anchor = parse_date(request.GET.get("date"), today)
        mode = "week" if request.GET.get("view") == "week" else "month"
        if mode == "week":
            first = anchor - dt.timedelta(days=anchor.weekday())
            days = [first + dt.timedelta(days=i) for i in range(7)]
            prev_date, next_date = first - dt.timedelta(days=7), first + dt.timedelta(days=7)
            heading = f"Week of {first:%d %b %Y}"
        else:
            month_days = pycalendar.Calendar(firstweekday=0).monthdatescalendar(
                anchor.year, anchor.month
            )
            days = [day for week in month_days for day in week]
            first_of_month = anchor.replace(day=1)
            prev_date = (first_of_month - dt.timedelta(days=1)).replace(day=1)
            next_date = (first_of_month + dt.timedelta(days=32)).replace(day=1)
            heading = f"{first_of_month:%B %Y}"
        filters = ScheduleFilterForm(request.GET or None, user=user)
        valid = not filters.is_bound or filters.is_valid()
        chosen = filters.cleaned_data if filters.is_bound and valid else {}
        start, end = local_midnight(days[0]), local_midnight(days[-1] + dt.timedelta(days=1))
        entries = schedule.calendar_entries(
            user,
            start,
            end,
            service=chosen.get("service"),
            configuration_item=chosen.get("ci"),
            team=chosen.get("team"),
        )
        conflicted = [e.change for e in entries if e.kind == "change" and e.conflicted and e.change]
        reasons = conflict_reasons(conflicted)
        cells = []
        for day in days:
            day_start, day_end = _day_bounds(day)
            items = []
            freezes = []
            for entry in entries:
                if not (entry.start < day_end and entry.end > day_start):
                    continue
                if entry.kind == "freeze":
                    freezes.append(entry)
                    continue
                items.append(self.item(entry, reasons))
            cells.append(
                {
                    "date": day,
                    "today": day == today,
                    "other_month": mode == "month" and day.month != anchor.month,
                    "freezes": freezes,
                    "items": items,
                }
            )
        weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
        # Reading the page creates nothing: a link exists once its person asks for it.
        service = chosen.get("service")
        links = {
            feed.service_id: feed
            for feed in CalendarFeed.objects.filter(person=user).filter(
                Q(service__isnull=True) | Q(service_id=getattr(service, "pk", None))
            )
        }
        own_feed = links.get(None)
        service_feed = links.get(service.pk) if service else None
        query = request.GET.copy()
        query.pop("date", None)
        query.pop("view", None)
        return render(
            request,
            "changes/calendar.html",
            {
                "mode": mode,
                "heading": heading,
                "weeks": weeks,
                "days": cells,
                "filters": filters,
                "prev_date": prev_date,
                "next_date": next_date,
                "today": today,
                "week_anchor": today if today.month == anchor.month else anchor.replace(day=1),
                "query": query.urlencode(),
                "own_feed": own_feed,
                "own_feed_url": feed_url(request, own_feed) if own_feed else "",
                "service": service,
                "service_feed": service_feed,
                "service_feed_url": feed_url(request, service_feed) if service_feed else "",
                "change_count": sum(1 for e in entries if e.kind == "change"),
                "details_limited": len(conflicted) > MAX_CONFLICT_DETAILS,
                "time_zone": timezone.get_current_timezone_name(),
            },
            status=200 if valid else 400,
        )

    @staticmethod
    def item(entry: Any, reasons: dict[int, list[str]]) -> dict[str, Any]:
        change = entry.change
        return {
            "entry": entry,
            "change": change,
            "url": change_url(change.reference) if change is not None else "",
            "conflicted": entry.conflicted,
            "reasons": reasons.get(change.pk, []) if change is not None else [],
        }


class FeedCreateView(ChangeReaderMixin, View):
    """POST: the viewer's calendar link (their own changes, or ``service``'s), made once."""

    def post(self, request: HttpRequest) -> HttpResponse:
        service = None
        target = reverse("change-calendar")
        if request.POST.get("service"):
            service = (
                services_visible_to(request.user)
                .filter(pk=request.POST["service"] if request.POST["service"].isdigit() else 0)
                .first()
            )
            if service is None:
                raise Http404("No such service.")
            target += f"?service={service.pk}"
        feeds.feed_for(actor=request.user, service=service)
        messages.success(request, "Calendar link made: subscribe to it in your calendar client.")
        return redirect(target)


class FeedResetView(ChangeReaderMixin, View):
    """POST: a new secret for one of the viewer's own calendar links (the old one stops)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        feed = get_object_or_404(CalendarFeed, pk=pk, person=request.user)
        feeds.feed_reset(actor=request.user, feed=feed)
        messages.success(request, "Calendar link reset: the old link no longer works.")
        target = reverse("change-calendar")
        if feed.service_id:
            target += f"?service={feed.service_id}"
        return redirect(target)


class AvailabilityView(ChangeReaderMixin, View):
    """``/changes/availability/``: for a period (default the next 30 days), which services the
    scheduled changes take down or put at risk, and when."""

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        first = parse_date(request.GET.get("from"), today)
        last = parse_date(request.GET.get("to"), first + dt.timedelta(days=30))
        error = ""
        if last <= first or (last - first).days > 366:
            error = "The end must follow the start, within a year."
            first, last = today, today + dt.timedelta(days=30)
        rows = schedule.projected_availability(
            request.user, local_midnight(first), local_midnight(last)
        )
        by_service: dict[int, dict[str, Any]] = {}
        for row in sorted(rows, key=lambda r: (r.service_name, r.start)):
            group = by_service.setdefault(
                row.service_id, {"name": row.service_name, "rows": [], "down": False}
            )
            group["rows"].append({"projection": row, "url": change_url(row.change_reference)})
            group["down"] = group["down"] or row.state == "down"
        return render(
            request,
            "changes/availability.html",
            {
                "services": list(by_service.values()),
                "first": first,
                "last": last,
                "error": error,
                "time_zone": timezone.get_current_timezone_name(),
            },
            status=400 if error else 200,
        )


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from ``first``'s month up to (not including) ``last``."""
    months = []
    current = first.replace(day=1)
    while current < last and len(months) < MAX_METRIC_MONTHS:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


class MetricsView(ChangeReaderMixin, View):
    """``/changes/metrics/``: success rate, emergency ratio and changes that caused incidents
    for a period (default the last three months), month by month and by service."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        today = timezone.localdate()
        this_month = today.replace(day=1)
        # The current month and the two before it.
        default_first = this_month
        for _ in range(2):
            default_first = (default_first - dt.timedelta(days=1)).replace(day=1)
        default_last = (this_month + dt.timedelta(days=32)).replace(day=1)
        first = parse_date(request.GET.get("from"), default_first)
        last = parse_date(request.GET.get("to"), default_last)
        error = ""
        if last <= first or (last - first).days > 366 * 3:
            error = "The end must follow the start, within three years."
            first, last = default_first, default_last
        filters = ScheduleFilterForm(request.GET or None, user=user)
        for name in ("ci", "team"):
            filters.fields.pop(name)
        service = None
        if filters.is_bound and filters.is_valid():
            service = filters.cleaned_data.get("service")
        totals = metric_selectors.change_metrics(
            user, local_midnight(first), local_midnight(last), service=service
        )
        months = []
        for start in month_starts(first, last):
            end = min((start + dt.timedelta(days=32)).replace(day=1), last)
            month_first = max(start, first)
            months.append(
                {
                    "label": f"{start:%b %Y}",
                    "metrics": metric_selectors.change_metrics(
                        user, local_midnight(month_first), local_midnight(end), service=service
                    ),
                }
            )
        return render(
            request,
            "changes/metrics.html",
            {
                "totals": totals,
                "months": months,
                "by_service": totals.get("by_service", []),
                "first": first,
                "last": last,
                "filters": filters,
                "service": service,
                "error": error,
            },
            status=400 if error else 200,
        )


urlpatterns: list[URLPattern] = [
    path("changes/calendar/", CalendarView.as_view(), name="change-calendar"),
    path("changes/calendar/feeds/", FeedCreateView.as_view(), name="change-feed-create"),
    path(
        "changes/calendar/feeds/<int:pk>/reset/",
        FeedResetView.as_view(),
        name="change-feed-reset",
    ),
    path("changes/availability/", AvailabilityView.as_view(), name="change-availability"),
    path("changes/metrics/", MetricsView.as_view(), name="change-metrics"),
]
