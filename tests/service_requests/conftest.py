"""A small shop: a live service with an SLA and an OLA that carry fulfilment targets, a
catalogue item that needs the customer manager's approval and one that does not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accord.agreements.choices import AgreementKind, Metric
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person, Team
from accord.portfolio.models import CatalogueItem, Service
from accord.service_requests import services
from accord.service_requests.models import ServiceRequest
from tests.factories import (
    AgreementFactory,
    CalendarFactory,
    CatalogueItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TargetFactory,
    TeamFactory,
    agent,
    provider,
)

BERLIN = ZoneInfo("Europe/Berlin")

LAPTOP_FORM = [
    {"name": "cost_centre", "label": "Cost centre", "type": "text", "required": True},
    {
        "name": "quantity",
        "label": "How many",
        "type": "number",
        "required": True,
        "min": 1,
        "max": 5,
    },
]
GOOD_ANSWERS = {"cost_centre": "CC-42", "quantity": 2}


def berlin(*args: int) -> dt.datetime:
    """An instant given in Berlin wall time."""
    return dt.datetime(*args, tzinfo=BERLIN)


@dataclass
class Shop:
    customer: Organisation
    requester: Person
    manager: Person
    colleague: Person
    team: Team
    worker: Person
    service: Service
    laptop: CatalogueItem
    mailbox: CatalogueItem

    def request(self, item: CatalogueItem | None = None, **kwargs: Any) -> ServiceRequest:
        """A request made by the requester through the service."""
        kwargs.setdefault("answers", GOOD_ANSWERS if (item or self.laptop) == self.laptop else {})
        return services.request_create(
            actor=kwargs.pop("actor", self.requester),
            catalogue_item=item or self.laptop,
            **kwargs,
        )


def make_shop(customer: Organisation | None = None) -> Shop:
    """SLA: fulfilment P3 16 business hours; OLA (team): fulfilment P3 8 business hours.
    Laptops need the customer manager's approval; mailboxes do not."""
    home = provider()
    customer = customer or OrganisationFactory(
        kind=OrganisationKind.CUSTOMER, code="CONTOSO", name="Contoso"
    )
    calendar = CalendarFactory(name=f"Berlin office {customer.code}")
    service = ServiceFactory(code=f"WORKPLACE-{customer.code}", name="Workplace")
    team = TeamFactory(code=f"FULFIL-{customer.code}", name="Fulfilment", organisation=home)
    worker = agent(team=team, username=f"wendy{customer.pk}")
    sla = AgreementFactory(
        code=f"SLA-{customer.code}", organisation=customer, calendar=calendar, services=[service]
    )
    TargetFactory(
        agreement=sla, metric=Metric.FULFILMENT, priority="", duration=dt.timedelta(hours=16)
    )
    ola = AgreementFactory(
        code=f"OLA-FULFIL-{customer.code}",
        kind=AgreementKind.OLA,
        organisation=home,
        team=team,
        calendar=calendar,
        services=[service],
    )
    TargetFactory(
        agreement=ola, metric=Metric.FULFILMENT, priority="", duration=dt.timedelta(hours=8)
    )
    laptop = CatalogueItemFactory(
        service=service,
        name="Laptop",
        form_schema=LAPTOP_FORM,
        approval_required=True,
        approver_role=Role.CUSTOMER_MANAGER,
        fulfilment_team=team,
    )
    mailbox = CatalogueItemFactory(service=service, name="Shared mailbox", fulfilment_team=team)
    return Shop(
        customer=customer,
        requester=PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER]),
        manager=PersonFactory(organisation=customer, roles=[Role.CUSTOMER_MANAGER]),
        colleague=PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER]),
        team=team,
        worker=worker,
        service=service,
        laptop=laptop,
        mailbox=mailbox,
    )


@pytest.fixture
def shop(db) -> Shop:
    return make_shop()
