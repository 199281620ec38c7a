"""Demo service requests: a few dozen across the demo customers, through the services (so the
numbers, clocks, approvals and audit trail are those of real requests), in a realistic mix of
waiting for approval, approved, rejected, in fulfilment with tasks, pending the customer,
fulfilled and closed. Instants lie in the past weeks, in office hours.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from accord.agreements import clocks
from accord.agreements.models import TicketClock
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person
from accord.notifications.models import Notification, OutboundMail
from accord.portfolio.models import CatalogueItem
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.service_requests import services
from accord.service_requests.models import ServiceRequest

DEMO_REQUESTS = 40
# Where each generated request ends up (weights).
OUTCOMES = [
    ("submitted", 3),
    ("in_fulfilment", 5),
    ("pending_customer", 2),
    ("fulfilled", 4),
    ("closed", 8),
    ("rejected", 1),
    ("cancelled", 1),
]
ANSWERS: dict[str, Callable[[random.Random, Person], dict[str, Any]]] = {
    "text": lambda rng, p: f"{p.first_name or p.username} {rng.choice(['Sales', 'Finance', 'HR'])}",
    "email": lambda rng, p: f"team{rng.randint(1, 9)}@{p.organisation.code.lower()}.example",
}
TASKS = ["Check licences", "Prepare the order", "Configure", "Hand over to the requester"]


def _answer(rng: random.Random, field: dict[str, Any], person: Person) -> Any:
    kind = field.get("type")
    if kind in ANSWERS:
        return ANSWERS[kind](rng, person)
    if kind == "choice":
        return rng.choice(field["choices"])
    if kind == "multichoice":
        return rng.sample(field["choices"], rng.randint(1, len(field["choices"])))
    if kind == "number":
        return int(field.get("min", 1))
    if kind == "date":
        return (timezone.now().date() + dt.timedelta(days=14)).isoformat()
    if kind == "boolean":
        return True
    return "Demo"


def _office_moment(rng: random.Random, now: dt.datetime, days_back: int) -> dt.datetime:
    day = now - dt.timedelta(days=days_back)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day.replace(hour=rng.randint(8, 15), minute=rng.randint(0, 59), second=0, microsecond=0)


def generate(count: int = DEMO_REQUESTS, seed: int = 11) -> int:
    """Make ``count`` requests through the services; returns how many were made."""
    rng = random.Random(seed)
    now = timezone.now()
    requesters = list(
        Person.objects.filter(
            organisation__kind=OrganisationKind.CUSTOMER,
            is_active=True,
            role_assignments__role__in=[Role.CUSTOMER_USER],
        )
        .select_related("organisation")
        .distinct()
        .order_by("pk")
    )
    managers = {
        p.organisation_id: p
        for p in Person.objects.filter(role_assignments__role=Role.CUSTOMER_MANAGER).order_by("pk")
    }
    # Managers approve; their own requests would need another approver.
    requesters = [p for p in requesters if managers.get(p.organisation_id) != p]
    worker = Person.objects.filter(username="agent").first()
    if not requesters or worker is None:
        return 0
    made = 0
    for n in range(count):
        requester = requesters[n % len(requesters)]
        items = list(catalogue_items_visible_to(requester).order_by("pk"))
        if not items:
            continue
        item = items[n % len(items)]
        outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
        opened = _office_moment(rng, now, rng.randint(1, 40))
        step = dt.timedelta(hours=rng.randint(1, 5))
        request = services.request_create(
            actor=requester,
            catalogue_item=item,
            answers={f["name"]: _answer(rng, f, requester) for f in item.form_schema},
            now=opened,
        )
        made += 1
        _play(
            rng,
            request,
            item,
            outcome,
            managers.get(requester.organisation_id),
            worker,
            opened,
            step,
        )
    return made


def _play(
    rng: random.Random,
    request: ServiceRequest,
    item: CatalogueItem,
    outcome: str,
    manager: Person | None,
    worker: Person,
    at: dt.datetime,
    step: dt.timedelta,
) -> None:
    """Move a new request to ``outcome`` as people would, one step at a time."""
    if request.status == "awaiting_approval":
        if manager is None or outcome == "submitted":
            return
        at += step
        approve = outcome != "rejected"
        request = services.approval_decide(
            actor=manager,
            request=request,
            approve=approve,
            reason="" if approve else "Not in this quarter's budget.",
            now=at,
        )
        if not approve:
            return
    if outcome in ("submitted", "rejected"):
        return
    if outcome == "cancelled":
        services.request_transition(
            actor=request.requester, request=request, to="cancelled", now=at + step
        )
        return
    at += step
    request = services.request_update(
        actor=worker, request=request, data={"assignee": worker}, now=at
    )
    for title in rng.sample(TASKS, 2):
        services.task_add(actor=worker, request=request, title=title)
    if outcome == "in_fulfilment":
        return
    if outcome == "pending_customer":
        services.comment_add(
            actor=worker, request=request, body="Which cost centre should we charge?", now=at + step
        )
        services.request_transition(
            actor=worker, request=request, to="pending_customer", now=at + step
        )
        return
    for task in request.tasks.all():
        services.task_update(actor=worker, task=task, data={"status": "done"}, now=at + step)
    at += step * 2
    request = services.request_transition(
        actor=worker,
        request=request,
        to="fulfilled",
        fulfilment_notes=f"{item.name} delivered.",
        now=at,
    )
    if outcome == "closed":
        services.request_transition(
            actor=request.requester, request=request, to="closed", now=at + step
        )


def quiet_history(mark: tuple[int, int], now: dt.datetime) -> None:
    """The generated requests are invented history: what they would have told people is not
    news. Drop the notices and mails written while generating (``mark`` holds the last ids
    before), and mark the clock thresholds already passed as told, so the escalation job does
    not send a flood about them."""
    Notification.objects.filter(pk__gt=mark[0]).delete()
    OutboundMail.objects.filter(pk__gt=mark[1]).delete()
    rows = list(
        TicketClock.objects.filter(
            content_type=ContentType.objects.get_for_model(ServiceRequest),
            stopped_at__isnull=True,
        ).select_related("agreement__calendar")
    )
    for clock in rows:
        clocks.compute_readings(clock, now)
        if clock.warning_at is not None and clock.warning_at <= now:
            clock.warning_notified_at = clock.warning_notified_at or now
        if clock.breached:
            clock.warning_notified_at = clock.warning_notified_at or now
            clock.breach_notified_at = clock.breach_notified_at or now
    TicketClock.objects.bulk_update(
        rows,
        [
            "state",
            "due_at",
            "warning_at",
            "breached",
            "computed_at",
            "warning_notified_at",
            "breach_notified_at",
        ],
        batch_size=500,
    )


def _last_ids() -> tuple[int, int]:
    last_notice = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    last_mail = OutboundMail.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last_notice or 0, last_mail or 0)


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def requests() -> None:
        if not ServiceRequest.objects.exists():
            mark = _last_ids()
            with transaction.atomic():
                generate()
                quiet_history(mark, timezone.now())

    yield "service requests", requests


def total_steps() -> int:
    return 1
