"""Factories of availability records, shared by the availability tests. They write rows
directly (no audit, no numbering service, no alerts): a test that needs the rules calls the
services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accord.agreements.choices import Metric
from accord.availability.choices import OutageKind, OutageSeverity
from accord.availability.models import Investigation, Outage
from tests.factories import AgreementFactory, ServiceFactory, TargetFactory


class OutageFactory(DjangoModelFactory):
    """A restored one-hour unplanned full outage that began two hours ago; pass ``customers``
    as a list to limit it to some customers."""

    class Meta:
        model = Outage
        skip_postgeneration_save = True

    # Numbered far above what the numbering service issues in a test, so both can mix.
    reference = factory.Sequence(lambda n: f"OUT-9{n + 1:05d}")
    title = factory.Sequence(lambda n: f"Outage {n}")
    service = factory.SubFactory(ServiceFactory)
    kind = OutageKind.UNPLANNED
    severity = OutageSeverity.FULL
    weight = Decimal("1")
    start = factory.LazyFunction(
        lambda: timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    )
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=1))

    @factory.post_generation
    def customers(self, create, extracted, **kwargs):
        if create and extracted:
            self.customers.set(extracted)


class InvestigationFactory(DjangoModelFactory):
    class Meta:
        model = Investigation

    outage = factory.SubFactory(OutageFactory)


def sla_with_availability(services, percentage: str = "99.5", organisation=None, **kwargs):
    """An active 24x7-calendar SLA over ``services`` with an availability target."""
    from tests.factories import CalendarFactory

    calendar = kwargs.pop(
        "calendar",
        None,
    ) or CalendarFactory(
        time_zone="UTC", weekly_hours={str(d): [["00:00", "24:00"]] for d in range(7)}
    )
    extra = {"organisation": organisation} if organisation is not None else {}
    agreement = AgreementFactory(services=list(services), calendar=calendar, **extra, **kwargs)
    TargetFactory(
        agreement=agreement,
        metric=Metric.AVAILABILITY,
        priority="",
        duration=None,
        percentage=Decimal(percentage),
    )
    return agreement


__all__ = ["InvestigationFactory", "OutageFactory", "ServiceFactory", "sla_with_availability"]
