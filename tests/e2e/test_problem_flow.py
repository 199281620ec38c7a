"""Acceptance of problem management in the browser: the problem manager accepts a proposed
cluster of incidents, records the workaround and makes the problem a known error; an agent
then sees it suggested on a new matching incident."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accord.core.choices import OrganisationKind, Role
from accord.problems.models import Problem
from accord.problems.services.proposals import problems_detect
from tests.factories import (
    PASSWORD,
    ConfigurationItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    agent,
    make_incident,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_from_a_cluster_of_incidents_to_a_known_error_agents_see(login, page):
    service = ServiceFactory(code="VPN", name="Remote access")
    gateway = ConfigurationItemFactory(name="vpn-gw-01")
    fabrik = OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="FABRIK", name="Fabrik")
    caller = PersonFactory(organisation=fabrik, roles=[Role.CUSTOMER_USER])
    PersonFactory(
        username="pat", first_name="Pat", last_name="Problem", roles=[Role.PROBLEM_MANAGER]
    )
    agent(username="alice")
    opened = timezone.now() - dt.timedelta(days=2)
    for n in range(3):
        make_incident(
            organisation=fabrik,
            caller=caller,
            title=f"VPN drops every few minutes (laptop {n})",
            service=service,
            configuration_item=gateway,
            now=opened + dt.timedelta(hours=n),
        )
    assert problems_detect(timezone.now()) >= 1

    # The problem manager accepts the proposal and documents the workaround.
    login("pat", PASSWORD)
    page.goto("/problems/proposals/")
    proposal = page.get_by_test_id("proposal").filter(has_text="vpn-gw-01").first
    proposal.get_by_text("Accept: make a problem of it").click()
    with page.expect_navigation():
        proposal.get_by_role("button", name="Accept").click()
    problem = Problem.objects.get()
    expect(page.get_by_test_id("reference")).to_have_text(problem.reference)
    actions = page.get_by_test_id("actions")
    actions.get_by_label("Move to").select_option("known_error")
    actions.get_by_label("Workaround").fill("Switch the VPN client to TCP mode in its settings.")
    with page.expect_navigation():
        actions.get_by_role("button", name="Move").click()
    expect(page.locator("body")).to_contain_text("Known error")
    problem.refresh_from_db()
    assert problem.status == "known_error" and problem.incidents.count() == 3
    page.context.clear_cookies()

    # A new incident like those: the agent sees the known error suggested.
    incident = make_incident(
        organisation=fabrik,
        caller=caller,
        title="VPN drops again",
        service=service,
        configuration_item=gateway,
    )
    login("alice", PASSWORD)
    page.goto(f"/incidents/{incident.pk}/")
    panel = page.get_by_test_id("known-errors")
    expect(panel).to_contain_text(problem.reference)
    expect(panel).to_contain_text("Switch the VPN client to TCP mode")
