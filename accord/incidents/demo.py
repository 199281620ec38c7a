"""Demo incidents: categories, a few callers per customer and a realistic mix of incidents.

:func:`generate` writes many incidents quickly (bulk inserts of incidents, their clocks and clock
history, computed with the same clock engine as live incidents) for the demo and for
benchmarks (`accord demo --incidents N`). It bypasses the per-incident services on purpose,
for speed; the run as a whole is recorded as one audit event.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from accord.agreements import clocks
from accord.agreements.choices import ClockEventKind, ClockState, Metric
from accord.agreements.models import ClockEvent, TicketClock
from accord.agreements.selectors import applicable_targets
from accord.core import audit
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import Organisation, Person, Team
from accord.core.services import person_create, reserve_references, role_assign
from accord.domain.priority import priority_for
from accord.incidents.choices import IncidentStatus, ResolutionCode
from accord.incidents.models import Category, Incident
from accord.incidents.services import category_create, priority_matrix
from accord.incidents.services.incident import refresh_sla_summaries
from accord.portfolio.models import Service
from accord.tickets.models import Comment

S = IncidentStatus
CATEGORIES = [
    ("Access", "Accounts, passwords, permissions", "SERVICE-DESK"),
    ("E-mail", "Mailboxes, delivery, calendars", "SERVICE-DESK"),
    ("Hardware", "Laptops, printers, peripherals", "SERVICE-DESK"),
    ("Network", "Connectivity, VPN, Wi-Fi", "OPERATIONS"),
    ("Application", "Business applications and their data", "OPERATIONS"),
]
CALLERS_PER_CUSTOMER = 3
FIRST_NAMES = ["Alex", "Bea", "Chris", "Dana", "Eli"]
DEMO_INCIDENTS = 300
TITLES = [
    "Cannot log in to {service}",
    "{service} is slow since this morning",
    "Error message when opening {service}",
    "{service} not reachable from the branch office",
    "Password reset needed for {service}",
    "Printing from {service} fails",
    "{service} shows old data",
    "Mobile access to {service} broken",
]
# Status mix of generated incidents (weights), and the impact/urgency mix.
STATUS_MIX = [
    (S.NEW, 12),
    (S.ASSIGNED, 10),
    (S.IN_PROGRESS, 20),
    (S.PENDING_CUSTOMER, 8),
    (S.PENDING_SUPPLIER, 2),
    (S.RESOLVED, 20),
    (S.CLOSED, 25),
    (S.CANCELLED, 3),
]
IMPACT_MIX = [(1, 1), (2, 4), (3, 5)]
URGENCY_MIX = [(1, 3), (2, 5), (3, 2)]
H = dt.timedelta(hours=1)


@dataclass
class _Context:
    customers: list[tuple[Organisation, list[Person], list[Service]]]
    teams: list[Team]
    agents: dict[int, list[Person]]
    categories: list[Category]
    matrix: dict[tuple[int, int], str]
    targets: dict[tuple[int, int, str, int | None], list[Any]]


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _context(now: dt.datetime) -> _Context:
    customers = []
    for org in Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, is_active=True):
        people = list(Person.objects.filter(organisation=org, is_active=True)[:20])
        services = list(
            Service.objects.filter(
                status="live", agreements__organisation=org, agreements__status="active"
            ).distinct()
        )
        if people and services:
            customers.append((org, people, services))
    teams = list(Team.objects.filter(organisation__kind=OrganisationKind.PROVIDER, is_active=True))
    agents = {
        team.pk: [
            p
            for p in team.members.filter(is_active=True)
            if p.role_assignments.filter(role__in=(Role.AGENT, Role.INCIDENT_MANAGER)).exists()
        ]
        for team in teams
    }
    matrix = priority_matrix()
    return _Context(
        customers, teams, agents, list(Category.objects.filter(is_active=True)), matrix, {}
    )


def _targets(
    ctx: _Context, org: int, service: int, priority: str, team: int | None, at: dt.datetime
) -> list[Any]:
    key = (org, service, priority, team)
    if key not in ctx.targets:
        found = []
        for item in applicable_targets(organisation=org, service=service, priority=priority, at=at):
            if not clocks.applies(
                item.agreement, organisation_id=org, team_id=team, supplier_id=None
            ):
                continue
            if (
                item.target.metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION)
                and item.target.duration
            ):
                found.append(item)
        ctx.targets[key] = found
    return ctx.targets[key]


def _office_moment(rng: random.Random, now: dt.datetime, back: float) -> dt.datetime:
    """A plausible opening instant about ``back`` days ago: mostly working hours."""
    moment = now - dt.timedelta(days=back)
    local = moment.astimezone(timezone.get_default_timezone())
    if local.weekday() >= 5 or not 8 <= local.hour < 18:
        moment -= dt.timedelta(hours=rng.randint(1, 14))
    return min(moment, now - dt.timedelta(minutes=5))


def _build(
    rng: random.Random, ctx: _Context, now: dt.datetime, days: int
) -> tuple[Incident, list[tuple[Any, dict[str, Any]]], str | None]:
    org, people, services = rng.choice(ctx.customers)
    service = rng.choice(services)
    impact = _weighted(rng, IMPACT_MIX)
    urgency = _weighted(rng, URGENCY_MIX)
    priority = priority_for(impact, urgency, ctx.matrix if len(ctx.matrix) == 9 else None)
    status = _weighted(rng, STATUS_MIX)
    finished = status in (S.RESOLVED, S.CLOSED, S.CANCELLED)
    # Finished incidents spread over the period; open ones are mostly recent, as on a real desk.
    back = rng.uniform(0.1, days) if finished else min(rng.expovariate(1 / 1.5), days)
    opened = _office_moment(rng, now, back)
    team = rng.choice(ctx.teams) if ctx.teams else None
    candidates = ctx.agents.get(team.pk, []) if team else []
    assignee = rng.choice(candidates) if candidates and status != S.NEW else None
    if status == S.ASSIGNED and assignee is None:
        status = S.NEW
    span = now - opened
    first_response = None
    resolved = closed = None
    pause: tuple[dt.datetime, dt.datetime | None] | None = None
    if status not in (S.NEW, S.ASSIGNED, S.CANCELLED):
        first_response = opened + min(span * 0.5, dt.timedelta(minutes=rng.expovariate(1 / 40)))
    if status in (S.PENDING_CUSTOMER, S.PENDING_SUPPLIER):
        pause = (opened + span * rng.uniform(0.2, 0.9), None)
    if status in (S.RESOLVED, S.CLOSED):
        took = dt.timedelta(hours=rng.expovariate(1 / 10))
        resolved = opened + min(took, span * 0.9)
        if first_response is not None and first_response > resolved:
            first_response = resolved
        if rng.random() < 0.3:
            start = opened + (resolved - opened) * rng.uniform(0.2, 0.5)
            pause = (start, start + (resolved - start) * rng.uniform(0.1, 0.6))
        if status == S.CLOSED:
            closed = resolved + (now - resolved) * rng.uniform(0.05, 0.5)
    if status == S.CANCELLED:
        closed = opened + min(span * 0.5, dt.timedelta(hours=rng.uniform(0.1, 4)))
    category = rng.choice(ctx.categories) if ctx.categories else None
    incident = Incident(
        title=rng.choice(TITLES).format(service=service.name),
        description="Reported through the portal. Several colleagues are affected.",
        caller=rng.choice(people),
        organisation=org,
        service=service,
        category=category,
        channel=rng.choice(["portal", "email", "phone"]),
        impact=impact,
        urgency=urgency,
        priority=priority,
        status=status,
        assignment_group=team,
        assignee=assignee,
        resolution_code=ResolutionCode.SOLVED_PERMANENTLY if resolved else "",
        resolution_notes="Fixed and confirmed with the caller." if resolved else "",
        opened_at=opened,
        first_response_at=first_response,
        resolved_at=resolved,
        closed_at=closed,
    )
    facts = []
    for item in _targets(ctx, org.pk, service.pk, priority, team.pk if team else None, opened):
        metric = item.target.metric
        stop = first_response if metric == Metric.FIRST_RESPONSE else resolved
        if metric == Metric.FIRST_RESPONSE and stop is None and resolved is not None:
            stop = resolved
        pauses = []
        if pause and metric == Metric.RESOLUTION and (stop is None or pause[0] < stop):
            pauses = [pause]
        facts.append(
            (
                item,
                {
                    "pauses": pauses,
                    "stop": stop,
                    "cancel": closed if status == S.CANCELLED else None,
                },
            )
        )
    return incident, facts, ("public" if first_response else None)


def generate(
    count: int,
    *,
    now: dt.datetime | None = None,
    days: int = 60,
    seed: int = 20,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``count`` incidents with their clocks, opened over the last ``days`` days."""
    now = now or timezone.now()
    rng = random.Random(seed)
    ctx = _context(now)
    if not ctx.customers:
        raise ValueError(
            "No customer has an active agreement, a live service and people: load the demo "
            "data first (accord demo)."
        )
    incident_type = ContentType.objects.get_for_model(Incident)
    written = 0
    while written < count:
        size = min(batch_size, count - written)
        with transaction.atomic():
            refs = reserve_references("INC", size)
            built = [_build(rng, ctx, now, days) for _ in range(size)]
            incidents = [b[0] for b in built]
            for incident, ref in zip(incidents, refs, strict=True):
                incident.reference = ref
            Incident.objects.bulk_create(incidents, batch_size=1000)
            rows: list[TicketClock] = []
            comments: list[Comment] = []
            for incident, facts, reply in built:
                for item, fact in facts:
                    clock = TicketClock(
                        content_type=incident_type,
                        object_id=incident.pk,
                        organisation_id=incident.organisation_id,
                        agreement=item.agreement,
                        agreement_kind=item.agreement.kind,
                        target=item.target,
                        metric=item.target.metric,
                        priority=incident.priority,
                        target_duration=item.target.duration,
                        warning_threshold=Decimal(item.target.warning_threshold),
                        started_at=incident.opened_at,
                        pauses=[
                            [p[0].isoformat(), p[1].isoformat() if p[1] else None]
                            for p in fact["pauses"]
                        ],
                        stopped_at=fact["stop"] or fact["cancel"],
                    )
                    if fact["cancel"] is not None:
                        clock.state = ClockState.CANCELLED
                    clocks.compute_readings(clock, now)
                    # Thresholds passed before the data was generated are history, not news:
                    # the escalation job must not send a flood of notices about them.
                    if clock.warning_at is not None and clock.warning_at <= now:
                        clock.warning_notified_at = now
                    if clock.breached:
                        clock.warning_notified_at = clock.warning_notified_at or now
                        clock.breach_notified_at = now
                    rows.append(clock)
                if reply:
                    comments.append(
                        Comment(
                            content_type=incident_type,
                            object_id=incident.pk,
                            organisation_id=incident.organisation_id,
                            author=incident.assignee,
                            body="Thanks, we are on it and will update you shortly.",
                            is_public=True,
                            by_provider=True,
                            created_at=incident.first_response_at,
                        )
                    )
            TicketClock.objects.bulk_create(rows, batch_size=1000)
            if rows and rows[0].pk is None:
                raise RuntimeError("the database did not return the ids of the new clocks")
            events = []
            for clock in rows:
                events.append(
                    ClockEvent(clock=clock, kind=ClockEventKind.STARTED, at=clock.started_at)
                )
                for start, end in clock.pauses:
                    events.append(
                        ClockEvent(
                            clock=clock,
                            kind=ClockEventKind.PAUSED,
                            at=dt.datetime.fromisoformat(start),
                        )
                    )
                    if end:
                        events.append(
                            ClockEvent(
                                clock=clock,
                                kind=ClockEventKind.RESUMED,
                                at=dt.datetime.fromisoformat(end),
                            )
                        )
                if clock.stopped_at is not None:
                    kind = (
                        ClockEventKind.CANCELLED
                        if clock.state == ClockState.CANCELLED
                        else ClockEventKind.STOPPED
                    )
                    events.append(ClockEvent(clock=clock, kind=kind, at=clock.stopped_at))
            ClockEvent.objects.bulk_create(events, batch_size=2000)
            Comment.objects.bulk_create(comments, batch_size=1000)
            refresh_sla_summaries([i.pk for i in incidents])
            audit.record(
                actor=None,
                action=AuditAction.CREATE,
                instance=incidents[0],
                changes={"generated": [None, len(incidents)], "references": [refs[0], refs[-1]]},
                object_repr=f"{len(incidents)} generated incidents {refs[0]} … {refs[-1]}",
            )
        written += size
        if progress:
            progress(size)
    return written


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def categories() -> None:
        for name, description, team_code in CATEGORIES:
            if not Category.objects.filter(name=name).exists():
                category_create(
                    actor=None,
                    name=name,
                    description=description,
                    default_team=Team.objects.filter(code=team_code).first(),
                )

    def callers() -> None:
        for org in Organisation.objects.filter(kind=OrganisationKind.CUSTOMER):
            for n in range(1, CALLERS_PER_CUSTOMER + 1):
                username = f"{org.code.lower()}{n}"
                if Person.objects.filter(username=username).exists():
                    continue
                person = person_create(
                    actor=None,
                    username=username,
                    organisation=org,
                    email=f"{username}@{org.code.lower()}.example",
                    first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                    last_name=org.name.split()[0],
                )
                role_assign(actor=None, person=person, role=Role.CUSTOMER_USER)

    def incidents() -> None:
        if not Incident.objects.exists():
            generate(DEMO_INCIDENTS, seed=7)

    yield "incident categories", categories
    yield "customer callers", callers
    yield "incidents", incidents


def total_steps() -> int:
    return 3
