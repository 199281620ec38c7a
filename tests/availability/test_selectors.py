"""Availability read from the database: which outages count for whom, the governing agreement
of a service, clipping to when a service or agreement applied, the same figures on SQLite and
PostgreSQL, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.agreements.models import Agreement
from accord.availability.selectors import (
    agreements_for_measure,
    availability_targets,
    measure_agreements,
    measure_services,
    outages_visible_to,
)
from accord.core.choices import Role
from accord.portfolio.models import Service
from tests.availability.factories import OutageFactory, sla_with_availability
from tests.factories import (
    CalendarFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    person_with_role,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 10, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def at(day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


def _agreements(*agreements):
    return measure_agreements(
        agreements_for_measure(Agreement.objects.filter(pk__in=[a.pk for a in agreements])),
        period="2026-11",
        now=NOW,
    )


def test_the_worked_example_on_this_database(customer_org):
    """November 2026, 24x7, 99.5 %: one 2-hour outage and one 1-hour outage at half weight.
    The same figures on SQLite and PostgreSQL (this test runs on both)."""
    service = ServiceFactory()
    agreement = sla_with_availability([service], percentage="99.5", organisation=customer_org)
    OutageFactory(service=service, start=at(3, 10), end=at(3, 12))
    OutageFactory(
        service=service, start=at(5, 8), end=at(5, 9), severity="degraded", weight=Decimal("0.5")
    )
    measured = _agreements(agreement)[0]
    figures = measured.figures
    assert figures.agreed == dt.timedelta(days=30)
    assert figures.downtime == dt.timedelta(minutes=150)
    assert figures.availability == Decimal("99.652")
    assert figures.failures == 2
    assert figures.mtrs == dt.timedelta(minutes=75)
    assert figures.mtbsi == dt.timedelta(days=15)
    assert measured.budget.allowed == dt.timedelta(minutes=216)
    assert measured.budget.remaining == dt.timedelta(minutes=66)
    assert measured.status == "on_track"
    service_figure = measure_services([service], period="2026-11", now=NOW)[0]
    assert service_figure.figures.downtime == dt.timedelta(minutes=150)
    assert service_figure.target == Decimal("99.500")
    assert service_figure.agreement == agreement


def test_outages_limited_to_other_customers_do_not_count(customer_org, other_customer_org):
    service = ServiceFactory()
    ours = sla_with_availability([service], organisation=customer_org)
    theirs = sla_with_availability([service], organisation=other_customer_org)
    OutageFactory(service=service, start=at(3), end=at(3, 1), customers=[other_customer_org])
    OutageFactory(service=service, start=at(4), end=at(4, 2))
    downtime = {m.agreement.pk: m.figures.downtime for m in _agreements(ours, theirs)}
    assert downtime == {ours.pk: 2 * H, theirs.pk: 3 * H}


def test_business_hours_and_maintenance_windows(customer_org):
    """Agreed time is business hours; planned work inside the agreed windows is neither agreed
    time nor downtime, outside them it is downtime."""
    service = ServiceFactory()
    calendar = CalendarFactory(
        time_zone="UTC", weekly_hours={str(d): [["08:00", "18:00"]] for d in range(5)}
    )
    agreement = sla_with_availability([service], organisation=customer_org, calendar=calendar)
    agreement.maintenance_windows = {"1": [["06:00", "10:00"]]}  # Tuesdays 06:00-10:00
    agreement.save()
    # Tuesday 3 November 07:00-11:00: 08:00-10:00 inside the window, 10:00-11:00 outside.
    OutageFactory(service=service, kind="planned", start=at(3, 7), end=at(3, 11))
    # Saturday 7 November: outside business hours, costs nothing.
    OutageFactory(service=service, start=at(7, 9), end=at(7, 12))
    figures = _agreements(agreement)[0].figures
    assert figures.scheduled == dt.timedelta(hours=21 * 10)  # 21 weekdays in November 2026
    assert figures.excluded == 2 * H
    assert figures.agreed == dt.timedelta(hours=208)
    assert figures.downtime == H
    assert figures.failures == 1


def test_clipped_to_the_agreement_and_the_service_life(customer_org):
    service = ServiceFactory(live_since=at(16))
    agreement = sla_with_availability([service], organisation=customer_org)
    agreement.starts_on = dt.date(2026, 11, 11)
    agreement.save()
    OutageFactory(service=service, start=at(10), end=at(12))  # before either began
    OutageFactory(service=service, start=at(20), end=at(20, 1))
    measured = _agreements(agreement)[0]
    assert measured.start == at(11)
    assert measured.figures.agreed == dt.timedelta(days=20)
    assert measured.figures.downtime == dt.timedelta(days=1) + H
    service_figure = measure_services([service], period="2026-11", now=NOW)[0]
    assert service_figure.start == at(16)
    assert service_figure.figures.agreed == dt.timedelta(days=15)
    assert service_figure.figures.downtime == H


def test_the_strictest_active_sla_governs_a_service(customer_org, other_customer_org):
    service = ServiceFactory()
    loose = sla_with_availability([service], percentage="99.0", organisation=customer_org)
    strict = sla_with_availability([service], percentage="99.9", organisation=other_customer_org)
    draft = sla_with_availability([service], percentage="99.99", status="draft")
    governing = availability_targets([service.pk])
    assert governing[service.pk][0] == strict
    assert loose.pk and draft.pk


def test_queries_do_not_grow_with_services_and_outages(customer_org):
    def measure() -> int:
        services = list(Service.objects.select_related("service_hours"))
        with CaptureQueriesContext(connection) as queries:
            measure_services(services, period="2026-11", now=NOW)
        return len(queries)

    for _ in range(2):
        service = ServiceFactory()
        sla_with_availability([service], organisation=customer_org)
        OutageFactory(service=service, start=at(3), end=at(3, 1))
    few = measure()
    for _ in range(6):
        service = ServiceFactory()
        sla_with_availability([service], organisation=OrganisationFactory())
        for day in (4, 5, 6):
            OutageFactory(service=service, start=at(day), end=at(day, 1))
    assert measure() == few


def test_customers_see_the_outages_that_reached_them(customer_org, other_customer_org):
    service = ServiceFactory()
    sla_with_availability([service], organisation=customer_org)
    everyone = OutageFactory(service=service)
    ours = OutageFactory(service=service, customers=[customer_org])
    OutageFactory(service=service, customers=[other_customer_org])
    OutageFactory(service=ServiceFactory())  # a service they have no agreement for
    customer = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    assert set(outages_visible_to(customer)) == {everyone, ours}
    assert outages_visible_to(person_with_role(Role.AUDITOR)).count() == 4
    nobody = PersonFactory(organisation=customer_org, roles=[])
    assert not outages_visible_to(nobody).exists()
