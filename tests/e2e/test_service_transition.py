"""A service owner takes a new service live through its transition, in the browser alone:
plan it from the service page, write requirements and design, agree a criterion, build, do
the plan, accept with evidence, link the agreement and the support team, and go live."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accord.agreements.choices import AgreementStatus
from accord.core.choices import Role
from accord.portfolio.choices import ServiceStatus
from accord.transitions.choices import Stage
from accord.transitions.models import AcceptanceCriterion, ServiceTransition
from tests.factories import (
    PASSWORD,
    AgreementFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    provider,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _press(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_a_service_owner_takes_a_new_service_live_through_its_transition(login, page):
    owner = PersonFactory(
        username="olivia", first_name="Olivia", organisation=provider(), roles=[Role.SERVICE_OWNER]
    )
    service = ServiceFactory(
        code="WIKI", name="Team wiki", status=ServiceStatus.PIPELINE, owner=owner
    )
    team = TeamFactory(name="Wiki support")
    agreement = AgreementFactory(
        code="SLA-WIKI",
        services=[service],
        status=AgreementStatus.ACTIVE,
        approved_at=timezone.now(),
    )
    login("olivia", PASSWORD)

    # Plan it from the service page: the service and the kind are already chosen.
    page.goto(f"/services/{service.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Plan a transition").click()
    page.fill("#id_title", "Launch the team wiki")
    page.fill("#id_requirements", "Every team keeps its notes in one searchable place.")
    page.fill("#id_design", "## Wiki\n\nA **hosted** wiki with single sign-on.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    transition = ServiceTransition.objects.get(service=service)
    expect(page.get_by_test_id("stage")).to_have_text("Design")
    expect(page.get_by_test_id("design").locator("strong")).to_have_text("hosted")

    # One acceptance criterion, then into build.
    page.fill("#criterion_description", "Pilot users sign in with single sign-on.")
    page.fill("#criterion_verification", "Three pilot users try it.")
    _press(page, "Add the criterion")
    expect(page.get_by_test_id("criteria")).to_contain_text("Pilot users sign in")
    _press(page, "To build")
    expect(page.get_by_test_id("stage")).to_have_text("Build")

    # The plan: one activity, done.
    page.get_by_text("Add an activity").click()
    page.fill("#activity_title", "Install the wiki")
    _press(page, "Add the activity")
    _press(page, "Done")
    expect(page.get_by_test_id("activity-done")).to_be_visible()
    _press(page, "To acceptance")
    expect(page.get_by_test_id("stage")).to_have_text("Acceptance")

    # Readiness lists what is missing before going live.
    readiness = page.get_by_test_id("readiness")
    expect(readiness).to_contain_text("criterion 1 is not verified")
    expect(readiness).to_contain_text("No agreement is linked for WIKI")
    expect(readiness).to_contain_text("No support team is named")

    criterion = AcceptanceCriterion.objects.get(transition=transition)
    page.fill(f"#verify_{criterion.pk}_evidence", "All three pilot users signed in.")
    _press(page, "Verify")
    expect(page.get_by_test_id("verified")).to_be_visible()

    # Link the approved agreement and the support team.
    with page.expect_navigation():
        page.get_by_role("link", name="Edit", exact=True).click()
    page.select_option("#id_agreements", [str(agreement.pk)])
    page.select_option("#id_support_team", str(team.pk))
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("ready")).to_have_text("Ready to go live")

    _press(page, "Go live")
    expect(page.get_by_test_id("stage")).to_have_text("Live (early life support)")
    expect(page.get_by_test_id("early-life")).to_be_visible()

    # The service is live, with the transition in its history.
    with page.expect_navigation():
        page.get_by_test_id("service").click()
    expect(page.get_by_test_id("service-status")).to_have_text("Live")
    history = page.get_by_test_id("service-transitions")
    expect(history).to_contain_text(transition.reference)
    expect(history).to_contain_text("Live")
    transition.refresh_from_db()
    assert transition.stage == Stage.LIVE and transition.completed_at is not None
