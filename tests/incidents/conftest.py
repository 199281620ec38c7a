"""Fixtures of the incident tests: a customer with an SLA, a team with an OLA, a supplier with a
UC, all on Berlin office hours (Mon-Fri 09:00-17:00), on one live service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from accord.agreements.choices import AgreementKind, Metric
from accord.agreements.models import Agreement, Calendar
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person, Team
from accord.portfolio.models import Service
from tests.base import FAST_HASHERS
from tests.factories import (
    AgreementFactory,
    CalendarFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TargetFactory,
    TeamFactory,
    agent,
    provider,
)

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> dt.datetime:
    """An instant given in Berlin wall time."""
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@dataclass
class Desk:
    calendar: Calendar
    service: Service
    customer: Organisation
    caller: Person
    team: Team
    agent: Person
    manager: Person
    supplier: Organisation
    sla: Agreement
    ola: Agreement
    uc: Agreement


@pytest.fixture
def desk(db) -> Desk:
    """SLA: first response 1h (all priorities), resolution P1 4h / P2 8h / others 16h.
    OLA (team): resolution P2 6h. UC (supplier): resolution all 12h, runs while pending supplier."""
    home = provider()
    calendar = CalendarFactory(name="Berlin office")
    service = ServiceFactory(code="MAIL", name="E-mail")
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="CONTOSO", name="Contoso")
    caller = PersonFactory(username="carl", organisation=customer, roles=[Role.CUSTOMER_USER])
    team = TeamFactory(code="DESK", name="Service desk", organisation=home)
    worker = agent(team=team, username="alice")
    manager = PersonFactory(username="ivan", organisation=home, roles=[Role.INCIDENT_MANAGER])
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER, code="ACME", name="Acme")
    sla = AgreementFactory(
        code="SLA-CONTOSO", organisation=customer, calendar=calendar, services=[service]
    )
    TargetFactory(
        agreement=sla, metric=Metric.FIRST_RESPONSE, priority="", duration=dt.timedelta(hours=1)
    )
    TargetFactory(
        agreement=sla, metric=Metric.RESOLUTION, priority="P1", duration=dt.timedelta(hours=4)
    )
    TargetFactory(
        agreement=sla, metric=Metric.RESOLUTION, priority="P2", duration=dt.timedelta(hours=8)
    )
    TargetFactory(
        agreement=sla, metric=Metric.RESOLUTION, priority="", duration=dt.timedelta(hours=16)
    )
    ola = AgreementFactory(
        code="OLA-DESK",
        kind=AgreementKind.OLA,
        organisation=home,
        team=team,
        calendar=calendar,
        services=[service],
    )
    TargetFactory(
        agreement=ola, metric=Metric.RESOLUTION, priority="P2", duration=dt.timedelta(hours=6)
    )
    uc = AgreementFactory(
        code="UC-ACME",
        kind=AgreementKind.UC,
        organisation=supplier,
        calendar=calendar,
        services=[service],
        pause_on_pending_supplier=False,
    )
    TargetFactory(
        agreement=uc, metric=Metric.RESOLUTION, priority="", duration=dt.timedelta(hours=12)
    )
    return Desk(calendar, service, customer, caller, team, worker, manager, supplier, sla, ola, uc)
