"""Where improvements come from without anyone typing them in (ISO/IEC 20000-1, 10.2 asks that
opportunities are identified from the SMS's own results).

Two ways in:

- **From a record**: a problem, a complaint or a poor satisfaction answer carries an action
  "Raise an improvement" that opens one prefilled and linked to it. One open improvement per
  record: asking again returns the one that exists.
- **Detected**: a job reads last month's results per live service and raises an improvement
  when the SLA breaches rose (at least ``ACCORD_IMPROVEMENT_BREACH_TREND_MIN`` breaches and more
  than the month before) or the mean satisfaction fell below
  ``ACCORD_IMPROVEMENT_SATISFACTION_BELOW`` (on at least
  ``ACCORD_IMPROVEMENT_SATISFACTION_MIN_ANSWERS`` answers). Each service and month is raised
  once, however often the job runs; the owner (the service's owner, else an SMS owner) is told.

Audit findings (opportunities) and management review decisions raise theirs through the audit
and review services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from accord.agreements.choices import AgreementKind, ClockState
from accord.agreements.models import TicketClock
from accord.core.choices import Role
from accord.core.models import Person
from accord.feedback.models import Complaint, Survey
from accord.governance.measures import breached_in
from accord.improvement.choices import MeasureKind, Source, Stage
from accord.improvement.models import Improvement
from accord.improvement.services import improvement_create, may_raise
from accord.incidents.models import Incident
from accord.notifications.choices import NotificationKind
from accord.notifications.services import event_key, notify
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.problems.models import Problem
from accord.service_requests.models import ServiceRequest

#: The records an improvement may be raised from by hand, and the source each one gives.
RECORD_SOURCES: dict[type[Any], str] = {
    Problem: Source.PROBLEM,
    Complaint: Source.COMPLAINT,
    Survey: Source.SATISFACTION,
}
TITLE_LIMIT = 200


def visible_record(person: Any, record_type: str, pk: Any) -> Any | None:
    """The problem, complaint or survey ``pk`` if ``person`` may see it (None otherwise), so
    that a record out of someone's scope answers as if it did not exist."""
    from accord.feedback.selectors import complaints_visible_to, surveys_visible_to
    from accord.problems.selectors.problems import problems_visible_to

    selector = {
        "problem": problems_visible_to,
        "complaint": complaints_visible_to,
        "survey": surveys_visible_to,
    }.get(record_type)
    if selector is None:
        return None
    try:
        return selector(person).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def open_improvement_for(record: Any) -> Improvement | None:
    """The improvement not yet closed that was raised from ``record``, if any."""
    return (
        Improvement.objects.filter(
            source_type=ContentType.objects.get_for_model(type(record)), source_id=record.pk
        )
        .exclude(stage=Stage.CLOSED)
        .order_by("pk")
        .first()
    )


def _prefill(record: Any) -> dict[str, Any]:
    """Title, description and service of an improvement raised from ``record``."""
    if isinstance(record, Survey):
        score = f"{record.score}/5" if record.score is not None else "no score"
        title = f"Satisfaction {score} on {record.ticket_reference}"
        description = record.comment
        reference = record.ticket_reference
    else:
        title = f"{record.reference}: {record.title}"
        description = getattr(record, "description", "") or ""
        reference = record.reference
    return {
        "title": title[:TITLE_LIMIT],
        "description": description,
        "service": getattr(record, "service", None),
        "source_reference": str(reference)[:64],
    }


@transaction.atomic
def improvement_from_record(
    *, actor: Any, record: Any, now: dt.datetime | None = None
) -> tuple[Improvement, bool]:
    """Raise an improvement from a problem, complaint or survey answer, owned by ``actor``.
    Returns the improvement and whether it is new: a record with an open improvement returns
    that one. The caller has checked that ``actor`` may see ``record``."""
    source = RECORD_SOURCES.get(type(record))
    if source is None:
        raise ValidationError({"source_record": "Improvements are not raised from this record."})
    if not may_raise(actor):
        raise PermissionDenied("Only the provider's staff raise improvements.")
    existing = open_improvement_for(record)
    if existing is not None:
        return existing, False
    data = _prefill(record) | {"source": source, "source_record": record}
    return improvement_create(actor=actor, data=data, now=now), True


# --- detection -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """A calendar month as UTC days, the way the objective measures count them."""

    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(self.first, dt.time.min, tzinfo=dt.UTC)
        after = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        return start, after


def month_before(day: dt.date) -> Month:
    """The calendar month before the one ``day`` is in."""
    last = day.replace(day=1) - dt.timedelta(days=1)
    return Month(last.replace(day=1), last)


def breaches_by_service(month: Month) -> dict[int, int]:
    """SLA breaches of ``month`` (as the objectives count them: a stopped clock in the month it
    stopped, a running one in the month it fell due), per service of their ticket, in one query
    per ticket kind (a clock reaches its service only through its ticket)."""
    start, after = month.bounds()
    clocks = (
        TicketClock.objects.filter(agreement_kind=AgreementKind.SLA)
        .filter(breached_in(start, after))
        .exclude(state=ClockState.CANCELLED)
    )
    counts: dict[int, int] = {}
    for model in (Incident, ServiceRequest):
        service_of = model._default_manager.filter(pk=OuterRef("object_id")).values("service_id")
        rows = (
            clocks.filter(content_type=ContentType.objects.get_for_model(model))
            .annotate(ticket_service=Subquery(service_of[:1]))
            .exclude(ticket_service=None)
            .values("ticket_service")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            counts[row["ticket_service"]] = counts.get(row["ticket_service"], 0) + row["n"]
    return counts


def satisfaction_by_service(month: Month) -> dict[int, tuple[Decimal, int]]:
    """Mean score (two places) and answers per service of the surveys answered in ``month``."""
    start, after = month.bounds()
    rows = (
        Survey.objects.filter(
            answered_at__gte=start,
            answered_at__lt=after,
            score__isnull=False,
            service__isnull=False,
        )
        .values("service_id")
        .annotate(n=Count("pk"), total=Sum("score"))
    )
    return {
        row["service_id"]: (
            (Decimal(row["total"]) / Decimal(row["n"])).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            ),
            row["n"],
        )
        for row in rows
    }


def _sms_owner() -> Person | None:
    return (
        Person.objects.filter(
            is_active=True,
            role_assignments__role=Role.SMS_OWNER,
            role_assignments__organisation=None,
        )
        .order_by("pk")
        .first()
    )


def _owner_for(service: Service) -> Person | None:
    owner = service.owner
    if owner is not None and owner.is_active and may_raise(owner):
        return owner
    return _sms_owner()


def _raise_detected(
    *,
    service: Service,
    source: str,
    reference: str,
    title: str,
    description: str,
    month: Month,
    now: dt.datetime,
) -> Improvement | None:
    """Raise one detected improvement unless this service and month already has one. The
    service row is locked first, so two runs at once raise it once."""
    with transaction.atomic():
        Service.objects.select_for_update().filter(pk=service.pk).first()
        if Improvement.objects.filter(
            source=source, service=service, source_reference=reference
        ).exists():
            return None
        owner = _owner_for(service)
        if owner is None:
            return None
        improvement = improvement_create(
            actor=None,
            data={
                "title": title[:TITLE_LIMIT],
                "description": description,
                "source": source,
                "source_reference": reference,
                "service": service,
                "owner": owner,
                "measure_kind": MeasureKind.SLA_ATTAINMENT
                if source == Source.SLA_BREACH_TREND
                else MeasureKind.MANUAL,
                "baseline_from": month.first,
                "baseline_to": month.last,
            },
            now=now,
        )
        kind = NotificationKind.IMPROVEMENT_RAISED
        notify(
            event_key=event_key(improvement, kind),
            kind=kind,
            recipients=[owner],
            subject=f"{improvement.reference}: {improvement.title}",
            body=(
                f"{description} Accord raised {improvement.reference} in the improvement "
                "register for you to plan: a baseline, a target and the actions."
            ),
            link=f"/improvements/{improvement.pk}/",
            organisation=owner.organisation_id,
            source=improvement,
            now=now,
        )
        return improvement


def detect_opportunities(now: dt.datetime) -> list[Improvement]:
    """Raise the improvements last month's results call for (see the module's docstring).
    Returns those raised by this run."""
    month = month_before(timezone.localdate(now))
    earlier = month_before(month.first)
    breach_min = settings.ACCORD_IMPROVEMENT_BREACH_TREND_MIN
    below = Decimal(str(settings.ACCORD_IMPROVEMENT_SATISFACTION_BELOW))
    min_answers = settings.ACCORD_IMPROVEMENT_SATISFACTION_MIN_ANSWERS

    breaches, before = breaches_by_service(month), breaches_by_service(earlier)
    rising = {
        service_id: count
        for service_id, count in breaches.items()
        if count >= breach_min and count > before.get(service_id, 0)
    }
    unhappy = {
        service_id: found
        for service_id, found in satisfaction_by_service(month).items()
        if found[1] >= min_answers and found[0] < below
    }
    services = Service.objects.filter(
        Q(pk__in=rising) | Q(pk__in=unhappy), status=ServiceStatus.LIVE
    ).select_related("owner")
    raised: list[Improvement] = []
    for service in services.order_by("code"):
        if service.pk in rising:
            count, was = rising[service.pk], before.get(service.pk, 0)
            found = _raise_detected(
                service=service,
                source=Source.SLA_BREACH_TREND,
                reference=f"SLA breaches {month.label}",
                title=f"SLA breaches rising on {service.name}",
                description=(
                    f"{count} SLA breaches on {service.name} in {month.label}, against {was} "
                    f"in {earlier.label}."
                ),
                month=month,
                now=now,
            )
            if found is not None:
                raised.append(found)
        if service.pk in unhappy:
            mean, answers = unhappy[service.pk]
            found = _raise_detected(
                service=service,
                source=Source.SATISFACTION,
                reference=f"Satisfaction {month.label}",
                title=f"Customer satisfaction low on {service.name}",
                description=(
                    f"Mean satisfaction {mean} of 5 on {service.name} in {month.label} "
                    f"({answers} answers), below {below}."
                ),
                month=month,
                now=now,
            )
            if found is not None:
                raised.append(found)
    return raised
