"""The iCalendar feed of changes (RFC 5545) for calendar clients.

A feed is read with the visibility of its owner at the moment it is read: a person who no
longer reads changes gets an empty calendar, not an error, so calendar clients keep polling
quietly. Times are written in UTC (every client converts to its own zone), and each event's
SEQUENCE is the change's version, so clients replace an event whose change was re-planned.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from accord.changes.choices import SCHEDULE_STATUSES, ChangeStatus
from accord.changes.models import CalendarFeed, Change, ChangeApprovalStep, FreezeWindow
from accord.changes.selectors.changes import changes_visible_to, freeze_windows_visible_to
from accord.portfolio.models import Service

PRODID = "-//Accord//Changes//EN"
#: Finished changes stay in the feed this long, so the recent past is still on the calendar.
RECENT_DAYS = 90
RECENT_STATUSES = (ChangeStatus.CLOSED, ChangeStatus.FAILED)
TENTATIVE = {ChangeStatus.AWAITING_APPROVAL}


def _change_path(reference: str) -> str:
    return reverse("change-detail", args=[reference])


def _base(base_url: str) -> str:
    return (base_url or str(getattr(settings, "ACCORD_PUBLIC_URL", "") or "")).rstrip("/")


def feed_changes(feed: CalendarFeed, now: dt.datetime) -> QuerySet[Change]:
    """The changes a feed shows: on the schedule, or closed or failed in the last 90 days; the
    person's own (requester, owner, implementer, implementer team, eligible approver) or those
    on the feed's service; always within what the person may see."""
    person = feed.person
    visible = changes_visible_to(person)
    cutoff = now - dt.timedelta(days=RECENT_DAYS)
    timely = Q(status__in=SCHEDULE_STATUSES) | (
        Q(status__in=RECENT_STATUSES)
        & (
            Q(actual_end__gte=cutoff)
            | Q(actual_end__isnull=True, closed_at__gte=cutoff)
            | Q(actual_end__isnull=True, closed_at__isnull=True, planned_end__gte=cutoff)
        )
    )
    changes = visible.filter(timely)
    if feed.service_id is not None:
        from accord.portfolio.selectors.service import services_visible_to

        if not services_visible_to(person).filter(pk=feed.service_id).exists():
            return Change.objects.none()
        return changes.filter(services=feed.service_id)
    mine = (
        Q(requester=person)
        | Q(owner=person)
        | Q(implementer=person)
        | Q(implementer_team__in=person.teams.values("pk"))
    )
    # Eligible approvers are a JSON list on each step; JSON containment is not portable, so
    # the steps of the candidate changes are read once and matched here.
    approving = [
        change_id
        for change_id, eligible in ChangeApprovalStep.objects.filter(
            change__in=changes
        ).values_list("change_id", "eligible")
        if person.pk in (eligible or [])
    ]
    return changes.filter(mine | Q(pk__in=approving))


def _window(change: Change) -> tuple[dt.datetime, dt.datetime] | None:
    """When the change happens: what was recorded once done, else what was planned."""
    done = change.status in RECENT_STATUSES
    if (
        done
        and change.actual_start
        and change.actual_end
        and change.actual_end > change.actual_start
    ):
        return change.actual_start, change.actual_end
    if change.planned_start and change.planned_end and change.planned_end > change.planned_start:
        return change.planned_start, change.planned_end
    return None


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _change_event(change: Change, base: str, stamp: dt.datetime) -> Event | None:
    window = _window(change)
    if window is None:
        return None
    event = Event()
    event.add("uid", f"{change.reference}@accord")
    event.add("dtstamp", stamp)
    event.add("dtstart", _utc(window[0]))
    event.add("dtend", _utc(window[1]))
    event.add("summary", f"{change.reference} {change.title}")
    event.add("status", "TENTATIVE" if change.status in TENTATIVE else "CONFIRMED")
    event.add("sequence", int(change.version or 0))
    services = ", ".join(s.name for s in change.services.all()) or "none"
    lines = [
        f"Type: {change.get_change_type_display()}",
        f"Status: {change.get_status_display()}",
        f"Risk: {change.get_risk_class_display() or 'not assessed'}",
        f"Services: {services}",
    ]
    if change.service_outage:
        lines.append("The services are unavailable while it is implemented.")
    event.add("description", "\n".join(lines))
    url = f"{base}{_change_path(change.reference)}"
    event.add("url", url)
    event.add("categories", ["Change", change.get_change_type_display()])
    return event


def _freeze_event(freeze: FreezeWindow, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", f"freeze-{freeze.pk}@accord")
    event.add("dtstamp", stamp)
    event.add("dtstart", _utc(freeze.starts_at))
    event.add("dtend", _utc(freeze.ends_at))
    event.add("summary", f"Change freeze: {freeze.name}")
    event.add("status", "CONFIRMED")
    event.add("sequence", int(freeze.version or 0))
    event.add("transp", "TRANSPARENT")
    services = ", ".join(s.name for s in freeze.services.all()) or "all services"
    lines = [f"No changes on {services}."]
    if freeze.allow_emergency:
        lines.append("Emergency changes may go ahead.")
    if freeze.reason:
        lines.append(freeze.reason)
    event.add("description", "\n".join(lines))
    event.add("categories", ["Change freeze"])
    return event


def _freezes(feed: CalendarFeed, service_ids: set[int], now: dt.datetime) -> QuerySet[FreezeWindow]:
    """Freezes on all services, and those on the feed's service (or, for a person's feed, on
    the services of the changes shown), not yet over 90 days ago."""
    cutoff = now - dt.timedelta(days=RECENT_DAYS)
    on = {feed.service_id} if feed.service_id is not None else service_ids
    return (
        freeze_windows_visible_to(feed.person)
        .filter(ends_at__gte=cutoff)
        .filter(Q(services__isnull=True) | Q(services__in=on or [0]))
        .distinct()
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id", "name")))
        .order_by("starts_at", "pk")
    )


def ical_for(feed: CalendarFeed, *, base_url: str = "", now: dt.datetime | None = None) -> bytes:
    """The feed's calendar: one VEVENT per visible scheduled change (UID from the reference,
    SUMMARY with reference and title, DTSTART/DTEND in UTC, STATUS, URL, DESCRIPTION with
    type, risk and services) and the freeze windows on the feed's services.

    ``base_url`` prefixes the links to the change pages (default ``ACCORD_PUBLIC_URL``)."""
    now = now or timezone.now()
    stamp = _utc(now).replace(microsecond=0)
    base = _base(base_url)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = feed.service.name if feed.service_id is not None else feed.person.get_full_name()
    cal.add("x-wr-calname", f"Changes: {name or feed.person.get_username()}")
    cal.add("x-wr-caldesc", "Scheduled changes and change freezes from Accord")
    changes: list[Change] = list(
        feed_changes(feed, now)
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id", "name")))
        .order_by("planned_start", "pk")
    )
    service_ids: set[int] = set()
    for change in changes:
        service_ids.update(s.pk for s in change.services.all())
        event = _change_event(change, base, stamp)
        if event is not None:
            cal.add_component(event)
    # Freezes are read through the owner's visibility too: none for a person who lost it.
    for freeze in _freezes(feed, service_ids, now):
        cal.add_component(_freeze_event(freeze, stamp))
    return cal.to_ical()
