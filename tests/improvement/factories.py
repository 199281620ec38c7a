"""Factories of improvement records. ``ImprovementFactory`` writes the row directly (no audit,
no numbering service): a test that needs the rules calls the services."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.agreements.clocks import stop_readings
from accord.agreements.models import TicketClock
from accord.core.choices import OrganisationKind, Role
from accord.improvement.models import Action, Improvement
from tests.factories import (
    AgreementFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TargetFactory,
    agent,
    make_incident,
    provider,
)


def staff(role: str = Role.AGENT):
    """An active person of the provider holding ``role``."""
    return PersonFactory(organisation=provider(), roles=[role])


class ImprovementFactory(DjangoModelFactory):
    """An improvement in Plan owned by an agent."""

    class Meta:
        model = Improvement

    # Numbered far above what the numbering service issues in a test, so both can mix.
    reference = factory.Sequence(lambda n: f"IMP-9{n + 1:05d}")
    title = factory.Sequence(lambda n: f"Improvement {n}")
    owner = factory.LazyFunction(staff)


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = Action

    improvement = factory.SubFactory(ImprovementFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    owner = factory.LazyAttribute(lambda a: a.improvement.owner)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    cycle = factory.LazyAttribute(lambda a: a.improvement.cycle)


def covered_service():
    """A live service covered by a customer's SLA with a 4-hour resolution target for any
    priority; returns (service, customer)."""
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    service = ServiceFactory()
    sla = AgreementFactory(organisation=customer, services=[service])
    TargetFactory(
        agreement=sla, metric=Metric.RESOLUTION, priority="", duration=dt.timedelta(hours=4)
    )
    return service, customer


def stopped_clock(service, customer, at, *, breached):
    """An incident of ``service`` whose SLA clocks stopped at ``at``, met or breached."""
    incident = make_incident(
        actor=agent(), organisation=customer, service=service, now=at - dt.timedelta(hours=1)
    )
    clocks = TicketClock.objects.filter(incident=incident, agreement_kind=AgreementKind.SLA)
    assert clocks.count() == 1
    clocks.update(
        stopped_at=at,
        state=ClockState.BREACHED if breached else ClockState.MET,
        breached=breached,
    )
    # What the clock service stores when a clock stops (the figures reports rank).
    for clock in clocks.select_related("agreement__calendar"):
        clock.elapsed, clock.final_due_at = stop_readings(clock)
        clock.save(update_fields=["elapsed", "final_due_at"])
