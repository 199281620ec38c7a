"""The home dashboard of each person: the panels their roles call for, with live figures.

Every figure comes from :mod:`accord.reports.kpis` (the one catalogue of definitions), so a
dashboard tile, an objective and a service report say the same thing. The panels:

* **agent**: my queue (incidents and requests assigned to me, and my teams' unassigned ones),
  the clocks breaching soon and those breached, what I resolved this week;
* **process managers** (incident, requests, problem, change, service level, availability,
  capacity, improvement): three to six KPIs each, this month so far against the same days of
  last month, with a trend arrow;
* **service owner**: each live service they own with its availability, open incidents, SLA
  attainment, breaches, capacity and open problems, and a link to its report;
* **top management**, the SMS owner and the auditor (read-only): objectives, SLA attainment,
  availability, the improvement register and the last audit.

Each panel reads a fixed number of aggregate queries, however many tickets or services there
are. Panels about records start from the apps' ``*_visible_to`` selectors; provider-wide KPIs
are shown to the provider's staff only.
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from accord.agreements.choices import AgreementKind, AgreementStatus, ClockState
from accord.agreements.models import Agreement, TicketClock
from accord.availability import selectors as availability
from accord.capacity.choices import LEVEL_ORDER
from accord.capacity.models import Metric as CapacityMetric
from accord.core.choices import Role
from accord.core.models import Team
from accord.core.permissions import has_capability, roles_of, sees_all_organisations
from accord.governance import measures
from accord.incidents.choices import OPEN_STATUSES as INCIDENT_OPEN
from accord.incidents.models import Incident
from accord.incidents.selectors import incidents_visible_to
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.problems.choices import OPEN_STATUSES as PROBLEM_OPEN
from accord.problems.models import Problem
from accord.reports import kpis
from accord.reports.kpis import HIGHER, LOWER, KpiResult, Reach, Window
from accord.reports.scope import default_zone, zone_of
from accord.reports.selectors import reportable_agreements
from accord.service_requests.choices import OPEN_STATUSES as REQUEST_OPEN
from accord.service_requests.models import ServiceRequest
from accord.service_requests.selectors import requests_visible_to, sees_organisation_requests

UP, DOWN, FLAT, NONE = "up", "down", "flat", "none"
GOOD, BAD, NEUTRAL = "good", "bad", "neutral"
#: A running clock due within this time, or past its warning share, is breaching soon.
SOON = dt.timedelta(hours=4)
#: Rows of the agent's queue listed.
QUEUE_ROWS = 10
#: Active objectives listed on the top management panel.
OBJECTIVES_SHOWN = 20

# --- periods and trends -----------------------------------------------------------------------


@dataclass(frozen=True)
class Periods:
    """This month so far, the same days of last month, and the whole of last month."""

    current: Window
    previous: Window
    last_month: Window


def periods(now: dt.datetime, zone: zoneinfo.ZoneInfo) -> Periods:
    """The windows a dashboard compares: the 1st of this month to today, against the 1st of
    last month to the same day (or last month's last day, when it is shorter): month to date
    against the same days, the fairest comparison while the month runs."""
    today = now.astimezone(zone).date()
    first = today.replace(day=1)
    last_end = first - dt.timedelta(days=1)
    last_first = last_end.replace(day=1)
    same_day = min(today.day, calendar.monthrange(last_first.year, last_first.month)[1])
    return Periods(
        current=Window(first, today, zone, now),
        previous=Window(last_first, last_first.replace(day=same_day), zone, now),
        last_month=Window(last_first, last_end, zone, now),
    )


def trend(
    current: Decimal | None, previous: Decimal | None, *, direction: str, tolerance: Decimal
) -> tuple[str, str]:
    """The arrow (up, down, flat; none without both figures) and whether the move is good, bad
    or neutral. A change no larger than ``tolerance`` (in the KPI's unit) is flat; up is good
    when higher is better, down when lower is, and neither for a KPI with no better side."""
    if current is None or previous is None:
        return NONE, NEUTRAL
    delta = current - previous
    if abs(delta) <= tolerance:
        return FLAT, NEUTRAL
    arrow = UP if delta > 0 else DOWN
    if direction == HIGHER:
        return arrow, GOOD if arrow == UP else BAD
    if direction == LOWER:
        return arrow, GOOD if arrow == DOWN else BAD
    return arrow, NEUTRAL


@dataclass(frozen=True)
class Tile:
    """One KPI on a panel: its figure now, the figure to compare with, and the trend."""

    kpi: kpis.Kpi
    current: KpiResult
    previous: KpiResult | None
    arrow: str
    judgement: str


def tile(key: str, window: Periods, reach: Reach = kpis.EVERYTHING) -> Tile:
    """KPI ``key`` this month so far, against the same days of last month (a figure of now,
    such as a level, has nothing to compare with)."""
    item = kpis.KPIS[key]
    current = item.compute(window.current, reach)
    if item.present:
        return Tile(item, current, None, NONE, NEUTRAL)
    previous = item.compute(window.previous, reach)
    arrow, judgement = trend(
        current.value, previous.value, direction=item.direction, tolerance=item.tolerance
    )
    return Tile(item, current, previous, arrow, judgement)


# --- panels ---------------------------------------------------------------------------------


@dataclass
class Panel:
    """One panel of a dashboard: ``template`` renders ``data``."""

    key: str
    title: str
    template: str
    data: dict[str, Any] = field(default_factory=dict)
    link: str | None = None


@dataclass(frozen=True)
class ProcessPanel:
    """The KPIs of one process, for the holders of its manager role (or capability)."""

    key: str
    title: str
    kpis: tuple[str, ...]
    holds: Callable[[Any], bool]
    link: str


def _role(role: str) -> Callable[[Any], bool]:
    return lambda person: role in roles_of(person)


PROCESS_PANELS: tuple[ProcessPanel, ...] = (
    ProcessPanel(
        "incident",
        "Incident management",
        (
            "incidents_opened",
            "incidents_resolved",
            "backlog",
            "time_to_resolve",
            "major_incidents",
            "sla_attainment",
        ),
        _role(Role.INCIDENT_MANAGER),
        "incident-list",
    ),
    ProcessPanel(
        "requests",
        "Request fulfilment",
        ("requests_fulfilled", "requests_on_time"),
        lambda person: has_capability(person, "requests.manage"),
        "request-list",
    ),
    ProcessPanel(
        "problem",
        "Problem management",
        ("problems_open", "problems_opened", "problems_resolved", "known_errors"),
        _role(Role.PROBLEM_MANAGER),
        "problem-list",
    ),
    ProcessPanel(
        "change",
        "Change management",
        (
            "changes_implemented",
            "change_success_rate",
            "emergency_change_ratio",
            "changes_caused_incidents",
        ),
        _role(Role.CHANGE_MANAGER),
        "change-list",
    ),
    ProcessPanel(
        "service_level",
        "Service level management",
        ("sla_attainment", "sla_breaches", "requests_on_time", "satisfaction", "complaints"),
        _role(Role.SERVICE_LEVEL_MANAGER),
        "report-index",
    ),
    ProcessPanel(
        "availability",
        "Availability management",
        ("availability", "availability_met", "major_incidents"),
        _role(Role.AVAILABILITY_MANAGER),
        "availability-overview",
    ),
    ProcessPanel(
        "capacity",
        "Capacity management",
        ("capacity_warning", "capacity_critical"),
        _role(Role.CAPACITY_MANAGER),
        "capacity-overview",
    ),
    ProcessPanel(
        "improvement",
        "Continual improvement",
        ("improvements_open", "improvements_closed", "nonconformities_open", "actions_overdue"),
        _role(Role.SMS_OWNER),
        "improvement-list",
    ),
)

#: Roles that see the top management panel (the auditor reads it, changes nothing).
OVERSIGHT_ROLES = frozenset({Role.TOP_MANAGEMENT, Role.SMS_OWNER, Role.AUDITOR})


def _staff(person: Any) -> bool:
    """The provider's staff (and the auditor), who may read provider-wide figures."""
    return sees_all_organisations(person) and has_capability(person, "reports.view")


def process_panel(spec: ProcessPanel, window: Periods) -> Panel:
    return Panel(
        key=spec.key,
        title=spec.title,
        template="reports/dashboard_kpis.html",
        data={"tiles": [tile(key, window) for key in spec.kpis]},
        link=reverse(spec.link),
    )


# --- the agent's queue ------------------------------------------------------------------------


def _clock_flags(model: Any, now: dt.datetime) -> tuple[Exists, Exists]:
    """For a ticket row: a running clock breaching soon (past its warning instant or due within
    :data:`SOON`, not yet due), and a clock breached (flagged, or running past its due)."""
    clocks = TicketClock.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=OuterRef("pk")
    )
    running = clocks.filter(state=ClockState.RUNNING, breached=False, due_at__gt=now)
    soon = running.filter(Q(warning_at__lte=now) | Q(due_at__lte=now + SOON))
    breached = clocks.exclude(state=ClockState.CANCELLED).filter(
        Q(breached=True) | Q(state=ClockState.RUNNING, due_at__lte=now)
    )
    return Exists(soon), Exists(breached)


def _queue(person: Any, model: Any) -> tuple[QuerySet[Any], Q, Q]:
    """Open tickets assigned to the person or unassigned in their teams, and the filters that
    tell the two apart."""
    teams = Team.objects.filter(members=person).values("pk")
    if model is Incident:
        rows = incidents_visible_to(person).filter(status__in=INCIDENT_OPEN)
        team = Q(assignee__isnull=True, assignment_group__in=teams)
    else:
        rows = requests_visible_to(person).filter(status__in=REQUEST_OPEN)
        team = Q(assignee__isnull=True, fulfilment_team__in=teams)
    mine = Q(assignee=person)
    return rows.filter(mine | team), mine, team


def agent_panel(person: Any, now: dt.datetime, zone: zoneinfo.ZoneInfo) -> Panel:
    """My queue: counts, the first rows by earliest due instant, clocks at risk, and what I
    resolved or fulfilled since Monday."""
    totals: dict[str, int] = defaultdict(int)
    rows: list[dict[str, Any]] = []
    today = now.astimezone(zone).date()
    monday = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time.min, zone)
    for model, kind, detail, done in (
        (Incident, "Incident", "incident-detail", "resolved_at"),
        (ServiceRequest, "Request", "request-detail", "fulfilled_at"),
    ):
        queue, mine, team = _queue(person, model)
        soon, breached = _clock_flags(model, now)
        counts = queue.order_by().aggregate(
            mine=Count("pk", filter=mine),
            team=Count("pk", filter=team),
            soon=Count("pk", filter=Q(soon)),
            breached=Count("pk", filter=Q(breached)),
        )
        for name, value in counts.items():
            totals[name] += value or 0
        for row in (
            queue.annotate(at_risk=soon, late=breached)
            .order_by(F("sla_due_at").asc(nulls_last=True), "opened_at", "pk")
            .values(
                "pk", "reference", "title", "priority", "status", "sla_due_at", "at_risk", "late"
            )[:QUEUE_ROWS]
        ):
            rows.append({**row, "kind": kind, "url": reverse(detail, args=[row["pk"]])})
        visible = incidents_visible_to(person) if model is Incident else requests_visible_to(person)
        totals["resolved"] += visible.filter(assignee=person, **{f"{done}__gte": monday}).count()
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r["sla_due_at"] or far, r["reference"]))
    return Panel(
        key="agent",
        title="My queue",
        template="reports/dashboard_agent.html",
        data={"totals": dict(totals), "rows": rows[:QUEUE_ROWS], "since": monday.date()},
        link=reverse("incident-list") + "?queue=mine",
    )


# --- the service owner's services -------------------------------------------------------------


def _ticket_service(model: Any) -> Subquery:
    return Subquery(
        model._default_manager.filter(pk=OuterRef("object_id")).values("service_id")[:1]
    )


def service_clock_figures(service_ids: list[int], window: Window) -> dict[int, dict[str, int]]:
    """SLA clocks per service over the window: ``measured`` and ``met`` (the attainment's
    rules) and ``breaches`` (the breaches' rules), one grouped query per ticket kind."""
    first, after = window.bounds()
    judged = Q(
        state__in=[ClockState.MET, ClockState.BREACHED],
        stopped_at__isnull=False,
        stopped_at__gte=first,
        stopped_at__lt=after,
    )
    late = measures.breached_in(first, after)
    found: dict[int, dict[str, int]] = {
        pk: {"measured": 0, "met": 0, "breaches": 0} for pk in service_ids
    }
    for model in (Incident, ServiceRequest):
        rows = (
            TicketClock.objects.filter(
                agreement_kind=AgreementKind.SLA,
                content_type=ContentType.objects.get_for_model(model),
            )
            .exclude(state=ClockState.CANCELLED)
            .filter(judged | late)
            .annotate(service_id=_ticket_service(model))
            .filter(service_id__in=service_ids)
            .values("service_id")
            .annotate(
                measured=Count("pk", filter=judged),
                met=Count("pk", filter=judged & Q(state=ClockState.MET, breached=False)),
                breaches=Count("pk", filter=late),
            )
            .order_by()
        )
        for row in rows:
            line = found[row["service_id"]]
            for name in ("measured", "met", "breaches"):
                line[name] += row[name]
    return found


def services_panel(person: Any, window: Periods) -> Panel:
    """Each live service the person owns, with its health this month so far."""
    services = list(
        Service.objects.filter(owner=person, status=ServiceStatus.LIVE)
        .select_related("service_hours")
        .order_by("code", "pk")
    )
    ids = [s.pk for s in services]
    measured = {
        m.subject.pk: m
        for m in availability.measure_services(
            services,
            period=window.current.period,
            now=window.current.now or dt.datetime.now(dt.UTC),
        )
    }
    clocks = service_clock_figures(ids, window.current)
    incidents = dict(
        Incident.objects.filter(service_id__in=ids, status__in=INCIDENT_OPEN)
        .values("service_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("service_id", "n")
    )
    problems = dict(
        Problem.objects.filter(service_id__in=ids, status__in=PROBLEM_OPEN)
        .values("service_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("service_id", "n")
    )
    levels: dict[int, str] = {}
    for service_id, level in (
        CapacityMetric.objects.filter(service_id__in=ids, is_active=True)
        .values_list("service_id", "state__level")
        .distinct()
    ):
        level = level or "normal"
        if LEVEL_ORDER.get(level, 0) >= LEVEL_ORDER.get(levels.get(service_id, ""), -1):
            levels[service_id] = level
    month = f"{window.current.start:%Y-%m}"
    rows = []
    for service in services:
        result = measured.get(service.pk)
        figures = clocks[service.pk]
        availability_value = result.figures.availability if result else None
        target = result.target if result else None
        rows.append(
            {
                "service": service,
                "availability": availability_value,
                "target": target,
                "met": None
                if availability_value is None or target is None
                else availability_value >= target,
                "open_incidents": incidents.get(service.pk, 0),
                "attainment": measures.percent(figures["met"], figures["measured"]),
                "measured": figures["measured"],
                "breaches": figures["breaches"],
                "capacity": levels.get(service.pk),
                "open_problems": problems.get(service.pk, 0),
                "report": f"{reverse('report-service')}?service={service.pk}&period={month}",
            }
        )
    return Panel(
        key="services",
        title="My services",
        template="reports/dashboard_services.html",
        data={"rows": rows},
        link=reverse("service-list"),
    )


# --- top management ---------------------------------------------------------------------------


def oversight_panel(person: Any, window: Periods) -> Panel:
    """Objectives against their targets, SLA attainment, availability, the improvement register
    and the conformity found by the last internal audit."""
    from accord.governance.choices import ObjectiveStatus
    from accord.governance.selectors.objectives import (
        objectives_visible_to,
        objectives_with_progress,
        with_latest_measurement,
    )

    active = objectives_visible_to(person).filter(status=ObjectiveStatus.ACTIVE)
    objectives = objectives_with_progress(
        with_latest_measurement(active).order_by("period_end", "pk")[:OBJECTIVES_SHOWN],
        window.current.now,
    )
    return Panel(
        key="oversight",
        title="Objectives and conformity",
        template="reports/dashboard_top.html",
        data={
            "objectives": objectives,
            "tiles": [
                tile(key, window)
                for key in (
                    "sla_attainment",
                    "availability",
                    "availability_met",
                    "nonconformities_open",
                    "actions_overdue",
                )
            ],
            "stages": kpis.improvements_by_stage(),
            "audits": kpis.audit_results(),
        },
        link=reverse("objective-list"),
    )


# --- the whole dashboard ----------------------------------------------------------------------


def dashboard_for(person: Any, now: dt.datetime) -> list[Panel]:
    """The panels of ``person``'s dashboard, in order: their own work first (the queue), then
    the processes they run, the services they own, and the oversight of the whole SMS.
    Customers get none here (their figures are on the portal)."""
    if not _staff(person):
        return []
    held = roles_of(person)
    window = periods(now, default_zone())
    panels: list[Panel] = []
    if Role.AGENT in held:
        panels.append(agent_panel(person, now, window.current.zone))
    for spec in PROCESS_PANELS:
        if spec.holds(person):
            panels.append(process_panel(spec, window))
    if Role.SERVICE_OWNER in held:
        panels.append(services_panel(person, window))
    if held & OVERSIGHT_ROLES:
        panels.append(oversight_panel(person, window))
    return panels


# --- the customer's agreements ----------------------------------------------------------------


def customer_panel(person: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """For each active SLA of the person's organisation: SLA attainment this month so far and
    last month, open tickets, availability this month against target, and (for a customer
    manager) the link to its report. A customer user who is not a manager sees the figures of
    their own tickets only; availability is about the services, the same for both."""
    if person.organisation_id is None:
        return []
    whole = sees_organisation_requests(person, person.organisation_id)
    agreements = list(
        availability.agreements_for_measure(
            Agreement.objects.filter(
                organisation_id=person.organisation_id,
                kind=AgreementKind.SLA,
                status=AgreementStatus.ACTIVE,
            ).order_by("code")
        )
    )
    measured = {
        m.subject.pk: m for m in availability.measure_agreements(agreements, period=None, now=now)
    }
    reportable = set(reportable_agreements(person).values_list("pk", flat=True))
    found = []
    for agreement in agreements:
        window = periods(now, zone_of(agreement))
        reach = Reach(
            service_ids=tuple(sorted(s.pk for s in agreement.services.all())),
            organisation_id=person.organisation_id,
            agreement_id=agreement.pk,
            person_id=None if whole else person.pk,
        )
        result = measured.get(agreement.pk)
        found.append(
            {
                "agreement": agreement,
                "attainment": kpis.compute("sla_attainment", window.current, reach),
                "last_month": kpis.compute("sla_attainment", window.last_month, reach),
                "open": kpis.compute("backlog", window.current, reach),
                "availability": result.figures.availability if result else None,
                "target": result.target if result else None,
                "status": availability.STATUS_LABELS[result.status] if result else None,
                "report": (
                    f"{reverse('report-service')}?agreement={agreement.pk}"
                    f"&period={window.last_month.start:%Y-%m}"
                    if agreement.pk in reportable
                    else None
                ),
            }
        )
    return found
