"""The portfolio and agreement pages in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord.core.choices import Role
from tests.factories import (
    PASSWORD,
    AgreementFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_browses_portfolio_and_sees_dependency_graph(login, page):
    network = ServiceFactory(code="NET", name="Network")
    mail = ServiceFactory(code="MAIL", name="E-mail")
    mail.depends_on.add(network)
    PersonFactory(username="alice", roles=[Role.AGENT])
    login("alice", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
    expect(page.locator("body")).to_contain_text("Network")
    page.locator("table a", has_text="MAIL").first.click()

    graph = page.locator("svg").first
    expect(graph).to_be_visible()
    expect(graph).to_contain_text("Network")


def test_customer_sees_own_sla_and_not_another_customers(login, page):
    contoso = OrganisationFactory(name="Contoso")
    globex = OrganisationFactory(name="Globex")
    service = ServiceFactory(name="ERP")
    own = AgreementFactory(
        code="SLA-C", name="Contoso SLA", organisation=contoso, services=[service]
    )
    TargetFactory(agreement=own, priority="P1")
    other = AgreementFactory(
        code="SLA-G", name="Globex SLA", organisation=globex, services=[service]
    )
    PersonFactory(username="carl", organisation=contoso, roles=[Role.CUSTOMER_USER])
    login("carl", PASSWORD)

    page.goto("/agreements/")
    expect(page.locator("body")).to_contain_text("Contoso SLA")
    expect(page.locator("body")).not_to_contain_text("Globex SLA")
    page.locator("table a", has_text="SLA-C").first.click()
    expect(page.locator("body")).to_contain_text("Resolution")

    response = page.goto(f"/agreements/{other.pk}/")
    assert response is not None and response.status == 404
