"""The customer's status page: their services now, outages going on and planned maintenance
that reach them (never another customer's), and this month's availability of their agreements."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accord.core.choices import Role
from tests.availability.factories import OutageFactory, sla_with_availability
from tests.base import ALL_ROLES, CUSTOMER_ROLE_SET, assert_constant_queries, person_for_role
from tests.factories import PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db

URL = "/portal/status/"
H = dt.timedelta(hours=1)


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def estate(customer_org, other_customer_org):
    now = timezone.now()
    mail = ServiceFactory(name="Mail")
    web = ServiceFactory(name="Web shop")
    files = ServiceFactory(name="File share")
    sla_with_availability([mail, web, files], percentage="99.5", organisation=customer_org)
    sla_with_availability([mail], organisation=other_customer_org)
    OutageFactory(service=mail, title="Mail queue stuck", start=now - H, end=None)
    OutageFactory(
        service=web,
        title="Slow checkout",
        severity="degraded",
        weight="0.5",
        start=now - H,
        end=None,
    )
    OutageFactory(
        service=files,
        title="Storage upgrade",
        kind="planned",
        start=now + 48 * H,
        end=now + 50 * H,
    )
    OutageFactory(
        service=mail,
        title="Their relay only",
        start=now - 2 * H,
        end=None,
        customers=[other_customer_org],
    )
    OutageFactory(service=files, title="Yesterday's blip", start=now - 30 * H, end=now - 29 * H)
    return mail, web, files


def test_the_customer_sees_their_services_now(estate, customer_org):
    person = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    page = signed_in(person).get(URL).content.decode()
    assert 'data-service="' in page
    for name, label in (("Mail", "Outage"), ("Web shop", "Degraded"), ("File share", "Operating")):
        row = page.split(f"<td>{name}</td>", 1)[1].split("</tr>", 1)[0]
        assert label in row, name
    assert "Mail queue stuck" in page and "Slow checkout" in page
    assert "Storage upgrade" in page  # planned maintenance ahead
    assert "Yesterday&#x27;s blip" in page or "Yesterday's blip" in page
    assert "Their relay only" not in page  # another customer's outage
    assert 'data-testid="status-availability"' in page and "99.500 %" in page


def test_another_customer_sees_only_what_reached_them(estate, other_customer_org):
    person = PersonFactory(organisation=other_customer_org, roles=[Role.CUSTOMER_MANAGER])
    page = signed_in(person).get(URL).content.decode()
    assert "Their relay only" in page and "Mail queue stuck" in page
    assert "Slow checkout" not in page and "Storage upgrade" not in page
    assert "Web shop" not in page


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_customers_have_a_status_page(estate, customer_org, role):
    response = signed_in(person_for_role(role, customer_org)).get(URL)
    assert response.status_code == (200 if role in CUSTOMER_ROLE_SET else 403)


def test_anonymous_people_are_sent_to_sign_in():
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_queries_do_not_grow_with_services_and_outages(customer_org):
    person = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    client = signed_in(person)
    now = timezone.now()

    def grow(count: int) -> None:
        for _ in range(count):
            service = ServiceFactory()
            sla_with_availability([service], organisation=customer_org)
            OutageFactory(service=service, start=now - H, end=None)
            OutageFactory(service=service, kind="planned", start=now + H, end=now + 2 * H)

    assert_constant_queries(lambda: client.get(URL), grow, rows=2)
