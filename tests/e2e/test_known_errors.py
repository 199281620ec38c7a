"""An agent opens an incident, sees the known error that matches it, applies its workaround
as a public reply, and sees the reply on the incident."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord.core.choices import OrganisationKind, Role
from tests.factories import (
    PASSWORD,
    ConfigurationItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    agent,
    make_incident,
)
from tests.problems.known_error_factories import known_error

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_applies_a_suggested_workaround(login, page):
    service = ServiceFactory(code="PRINT", name="Printing")
    server = ConfigurationItemFactory(name="print-server-01")
    fabrik = OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="FABRIK", name="Fabrik")
    caller = PersonFactory(organisation=fabrik, roles=[Role.CUSTOMER_USER])
    agent(username="alice")
    problem = known_error(
        title="Printer queue stuck",
        workaround="Restart the print spooler on print-server-01.",
        service=service,
        cis=[server],
    )
    incident = make_incident(
        organisation=fabrik,
        caller=caller,
        title="Printer queue stuck again",
        service=service,
        configuration_item=server,
    )

    login("alice", PASSWORD)
    page.goto(f"/incidents/{incident.pk}/")
    panel = page.get_by_test_id("known-errors")
    expect(panel).to_contain_text(problem.reference)
    expect(panel).to_contain_text("same CI")
    expect(panel).to_contain_text("similar words: queue, stuck")
    panel.get_by_role("radio", name="reply to the caller").check()
    with page.expect_navigation():
        panel.get_by_role("button", name="Apply workaround").click()
    expect(page.locator(".messages")).to_contain_text(f"Workaround of {problem.reference} applied")
    reply = page.get_by_test_id("timeline").locator('[data-kind="reply"]')
    expect(reply).to_contain_text("Restart the print spooler on print-server-01.")
    expect(page.get_by_test_id("known-errors")).not_to_contain_text(problem.reference)


def test_the_incident_form_suggests_known_errors_while_the_agent_writes(login, page):
    service = ServiceFactory(code="PRINT", name="Printing")
    fabrik = OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="FABRIK", name="Fabrik")
    PersonFactory(organisation=fabrik, roles=[Role.CUSTOMER_USER])
    agent(username="alice")
    problem = known_error(
        title="Printer queue stuck",
        workaround="Restart the print spooler on print-server-01.",
        service=service,
    )
    login("alice", PASSWORD)
    page.goto("/incidents/new/")
    panel = page.get_by_test_id("form-known-errors")
    page.get_by_label("Service").select_option(value=str(service.pk))
    page.get_by_label("Title").fill("The printer queue is stuck")
    expect(panel).to_contain_text(problem.reference)
    expect(panel).to_contain_text("Restart the print spooler")
