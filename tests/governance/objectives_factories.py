"""Rows for the objective tests: objectives and measurements, and the records the live measures
count (clocks, incidents, requests, surveys, complaints), written directly so that each test
states exactly the instants it is about."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.agreements.models import Agreement, TicketClock
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person
from accord.core.services import next_reference
from accord.feedback.models import Complaint, Survey
from accord.governance.choices import Direction, ObjectiveMeasure
from accord.governance.models import Objective, ObjectiveMeasurement
from accord.incidents.models import Incident
from accord.portfolio.models import Service
from accord.service_requests.models import ServiceRequest
from tests.factories import (
    AgreementFactory,
    CatalogueItemFactory,
    OrganisationFactory,
    PersonFactory,
    provider,
)

_numbers = itertools.count(1)
PERIOD_START = dt.date(2026, 3, 1)
PERIOD_END = dt.date(2026, 3, 31)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def staff(role: str = Role.AGENT) -> Person:
    """A person of the provider's staff holding ``role``."""
    return PersonFactory(organisation=provider(), roles=[role])


def make_objective(**kwargs: Any) -> Objective:
    """An objective row (manual, March 2026, at least 90) owned by provider staff."""
    values: dict[str, Any] = {
        "title": f"Objective {next(_numbers)}",
        "measure": ObjectiveMeasure.MANUAL,
        "direction": Direction.AT_LEAST,
        "target": Decimal("90"),
        "unit": "%",
        "period_start": PERIOD_START,
        "period_end": PERIOD_END,
        "plan": "Weekly review of the figures.",
    }
    values.update(kwargs)
    if "owner" not in values:
        values["owner"] = staff()
    return Objective.objects.create(reference=next_reference("OBJ"), **values)


def make_measurement(objective: Objective, value: str, day: dt.date) -> ObjectiveMeasurement:
    return ObjectiveMeasurement.objects.create(
        objective=objective,
        value=Decimal(value),
        measured_on=day,
        evidence="Quarterly report",
        recorded_by=objective.owner,
        recorded_at=timezone.now(),
    )


# --- what the live measures count -------------------------------------------------------------


def customer() -> Organisation:
    return OrganisationFactory(kind=OrganisationKind.CUSTOMER)


def incident_row(service: Service | None, **kwargs: Any) -> Incident:
    organisation = kwargs.pop("organisation", None) or customer()
    values: dict[str, Any] = {
        "reference": f"INC-9{next(_numbers):05d}",
        "title": "Mail is down",
        "caller": PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER]),
        "organisation": organisation,
        "service": service,
        "priority": "P3",
        "opened_at": utc(2026, 3, 1, 8),
    }
    values.update(kwargs)
    return Incident.objects.create(**values)


def request_row(service: Service, **kwargs: Any) -> ServiceRequest:
    organisation = kwargs.pop("organisation", None) or customer()
    values: dict[str, Any] = {
        "reference": f"REQ-9{next(_numbers):05d}",
        "catalogue_item": CatalogueItemFactory(service=service),
        "title": "New laptop",
        "requester": PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER]),
        "organisation": organisation,
        "service": service,
        "opened_at": utc(2026, 3, 1, 8),
    }
    values.update(kwargs)
    return ServiceRequest.objects.create(**values)


def clock(
    ticket: Any,
    *,
    agreement: Agreement | None = None,
    kind: str = AgreementKind.SLA,
    metric: str = Metric.RESOLUTION,
    state: str = ClockState.MET,
    stopped_at: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
    breached: bool | None = None,
) -> TicketClock:
    """A clock of ``ticket``; a breached state implies the breach flag unless told."""
    agreement = agreement or AgreementFactory(organisation=ticket.organisation, kind=kind)
    return TicketClock.objects.create(
        content_type=ContentType.objects.get_for_model(type(ticket)),
        object_id=ticket.pk,
        organisation=ticket.organisation,
        agreement=agreement,
        agreement_kind=kind,
        metric=metric,
        priority="P3",
        target_duration=dt.timedelta(hours=4),
        warning_threshold=Decimal("0.8"),
        started_at=utc(2026, 2, 1),
        stopped_at=stopped_at,
        state=state,
        due_at=due_at,
        breached=(state == ClockState.BREACHED) if breached is None else breached,
    )


def survey_row(
    score: int | None, answered_at: dt.datetime | None, service: Service | None = None
) -> Survey:
    organisation = customer()
    return Survey.objects.create(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=800_000 + next(_numbers),
        ticket_reference="INC-000001",
        organisation=organisation,
        service=service,
        respondent=PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER]),
        token_hash=f"{next(_numbers):064d}",
        offered_at=utc(2026, 2, 20),
        expires_at=utc(2026, 6, 20),
        score=score,
        answered_at=answered_at,
    )


def complaint_row(raised_at: dt.datetime, service: Service | None = None) -> Complaint:
    organisation = customer()
    return Complaint.objects.create(
        reference=f"CMP-9{next(_numbers):05d}",
        organisation=organisation,
        raised_by=PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER]),
        title="Nobody called back",
        description="We waited all afternoon.",
        service=service,
        raised_at=raised_at,
        acknowledge_due_at=raised_at + dt.timedelta(hours=24),
    )
