"""The service desk agent's main flow in a real browser, then the customer's view of it.

An agent records a customer's incident, takes it, replies publicly, adds a work note and a file,
waits on the customer and resolves it; the SLA clocks and the timeline follow every step. The
customer then sees the incident and the reply, and never the work note. The agreements run on a
calendar open around the clock, so the clocks count whatever the hour the test runs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from accord.agreements.choices import AgreementKind, Metric
from accord.core.choices import OrganisationKind, Role
from accord.incidents.models import Incident
from tests.factories import (
    PASSWORD,
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
from tests.incidents.test_pages_support import ALWAYS

pytestmark = pytest.mark.django_db(transaction=True)

H = dt.timedelta(hours=1)


def _desk():
    home = provider()
    calendar = CalendarFactory(name="Around the clock", weekly_hours=ALWAYS)
    service = ServiceFactory(code="MAIL", name="E-mail")
    contoso = OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="CONTOSO", name="Contoso")
    carl = PersonFactory(
        username="carl", first_name="Carl", organisation=contoso, roles=[Role.CUSTOMER_USER]
    )
    team = TeamFactory(code="DESK", name="Service desk", organisation=home)
    alice = agent(team=team, username="alice", first_name="Alice", last_name="Agent")
    sla = AgreementFactory(
        code="SLA-CONTOSO", organisation=contoso, calendar=calendar, services=[service]
    )
    TargetFactory(agreement=sla, metric=Metric.FIRST_RESPONSE, priority="", duration=H)
    TargetFactory(agreement=sla, metric=Metric.RESOLUTION, priority="", duration=8 * H)
    ola = AgreementFactory(
        code="OLA-DESK",
        kind=AgreementKind.OLA,
        organisation=home,
        team=team,
        calendar=calendar,
        services=[service],
    )
    TargetFactory(agreement=ola, metric=Metric.RESOLUTION, priority="", duration=6 * H)
    return service, carl, team, alice


def _clock(page: Page, kind: str, metric: str):
    return page.locator(f'[data-testid="clock"][data-kind="{kind}"][data-metric="{metric}"]')


def test_agent_works_an_incident_and_the_customer_follows_it(login, page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    service, carl, team, alice = _desk()
    login("alice", PASSWORD)

    # The workspace, then a new incident recorded for Carl of Contoso.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    expect(page.get_by_role("navigation", name="Queues")).to_contain_text("Breaching soon")
    page.get_by_role("link", name="New incident").click()
    page.fill("#id_title", "Mail does not arrive")
    page.select_option("#id_caller", str(carl.pk))
    page.select_option("#id_service", str(service.pk))
    page.select_option("#id_impact", "2")
    page.select_option("#id_urgency", "1")
    page.select_option("#id_assignment_group", str(team.pk))
    page.fill("#id_description", "Since 9:00 no external mail reaches the inbox.")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit").click()
    incident = Incident.objects.get(title="Mail does not arrive")
    expect(page.get_by_test_id("reference")).to_have_text(incident.reference)
    expect(page.get_by_test_id("status")).to_have_text("New")
    expect(page.get_by_test_id("priority")).to_have_text("P2 High")
    expect(_clock(page, "sla", "first_response")).to_have_attribute("data-state", "running")
    expect(_clock(page, "ola", "resolution")).to_be_visible()
    header_badge = page.get_by_test_id("badges").get_by_test_id("sla-badge")
    expect(header_badge).to_contain_text("left")
    expect(header_badge).to_have_attribute("data-colour", "blue")

    # Take it (htmx: the page part is replaced, no navigation).
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_test_id("status")).to_have_text("Assigned")
    expect(page.get_by_test_id("assignee")).to_have_text("Alice Agent")
    expect(page.get_by_test_id("notice")).to_contain_text("is assigned to you")

    # A public reply is the first response; a work note stays internal.
    page.fill("#id_body", "We are looking into it.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_test_id("notice")).to_have_text("Reply sent.")
    expect(_clock(page, "sla", "first_response")).to_have_attribute("data-state", "met")
    page.fill("#id_body", "Relay rejects the partner's certificate.")
    page.get_by_role("button", name="Add work note").click()
    expect(page.get_by_test_id("notice")).to_have_text("Work note added.")

    # A log file for everyone to see.
    log = tmp_path / "bounce.txt"
    log.write_text("550 5.7.1 relay denied\n")
    page.set_input_files("#file_file", str(log))
    page.check("#file_is_public")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("notice")).to_contain_text("bounce.txt attached")

    # Waiting on the customer pauses the resolution clocks.
    page.get_by_role("button", name="Pending customer").click()
    expect(page.get_by_test_id("status")).to_have_text("Pending customer")
    expect(_clock(page, "sla", "resolution")).to_have_attribute("data-state", "paused")
    expect(_clock(page, "sla", "resolution").get_by_test_id("clock-state")).to_have_attribute(
        "data-colour", "grey"
    )

    # Resolving without saying how is refused in place; with a code and notes it resolves.
    page.get_by_text("Resolve…").click()
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_text("Choose how the incident was resolved.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Pending customer")
    page.select_option("#resolve_resolution_code", "permanent")
    page.fill("#resolve_resolution_notes", "Renewed the partner certificate on the relay.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    expect(page.get_by_test_id("resolution")).to_contain_text("Solved permanently")
    expect(_clock(page, "sla", "resolution")).to_have_attribute("data-state", "met")
    expect(_clock(page, "ola", "resolution")).to_have_attribute("data-state", "met")

    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("We are looking into it.")
    expect(timeline).to_contain_text("Relay rejects the partner's certificate.")
    expect(timeline).to_contain_text("bounce.txt")
    expect(timeline).to_contain_text("Pending customer → Resolved")
    expect(timeline).to_contain_text("SLA-CONTOSO first response: stopped")
    incident.refresh_from_db()
    assert (incident.status, incident.resolution_code, incident.assignee) == (
        "resolved",
        "permanent",
        alice,
    )

    # In the workspace the incident shows its met SLA in green.
    page.goto("/incidents/?queue=all")
    row = page.locator(f'tr[data-reference="{incident.reference}"]')
    expect(row.get_by_test_id("sla-badge")).to_have_attribute("data-colour", "green")
    expect(row).to_contain_text("Resolved")

    # The customer sees the incident, the reply and the file, not the work note.
    page.context.clear_cookies()
    login("carl", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    page.get_by_role("link", name=incident.reference).click()
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("We are looking into it.")
    expect(timeline).to_contain_text("bounce.txt")
    expect(timeline).not_to_contain_text("Relay rejects")
    expect(page.locator("body")).not_to_contain_text("OLA-DESK")
    expect(page.get_by_test_id("quick-actions")).to_contain_text("Reopen")
