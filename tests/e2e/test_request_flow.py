"""A customer's service request from the catalogue to their rating, in a real browser.

A customer user finds a catalogue item in the portal and submits its form; their manager
approves it in the portal; an agent of the fulfilling team takes it, works through a task and
fulfils it; the customer rates it and confirms it is done. Every step is in the audit trail,
recorded as coming through the web UI by the person who took it. The agreements run on a
calendar open around the clock, so the clocks count whatever the hour the test runs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from accord.agreements.choices import AgreementKind, Metric
from accord.core.choices import Door, OrganisationKind, Role
from accord.core.models import AuditEvent
from accord.feedback.models import Survey
from accord.service_requests.models import ServiceRequest
from tests.factories import (
    PASSWORD,
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
from tests.incidents.test_pages_support import ALWAYS

pytestmark = pytest.mark.django_db(transaction=True)

H = dt.timedelta(hours=1)


def _shop():
    home = provider()
    calendar = CalendarFactory(name="Around the clock", weekly_hours=ALWAYS)
    service = ServiceFactory(code="WORKPLACE", name="Workplace")
    contoso = OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="CONTOSO", name="Contoso")
    team = TeamFactory(code="FULFIL", name="Fulfilment", organisation=home)
    agent(team=team, username="alice", first_name="Alice", last_name="Agent")
    PersonFactory(
        username="carl", first_name="Carl", organisation=contoso, roles=[Role.CUSTOMER_USER]
    )
    PersonFactory(
        username="mia", first_name="Mia", organisation=contoso, roles=[Role.CUSTOMER_MANAGER]
    )
    sla = AgreementFactory(
        code="SLA-CONTOSO", organisation=contoso, calendar=calendar, services=[service]
    )
    TargetFactory(agreement=sla, metric=Metric.FULFILMENT, priority="", duration=16 * H)
    ola = AgreementFactory(
        code="OLA-FULFIL",
        kind=AgreementKind.OLA,
        organisation=home,
        team=team,
        calendar=calendar,
        services=[service],
    )
    TargetFactory(agreement=ola, metric=Metric.FULFILMENT, priority="", duration=8 * H)
    CatalogueItemFactory(
        service=service,
        name="New laptop",
        description="A laptop set up for your work.",
        form_schema=[
            {
                "name": "model",
                "label": "Model",
                "type": "choice",
                "required": True,
                "choices": ["14 inch", "16 inch"],
            },
            {"name": "cost_centre", "label": "Cost centre", "type": "text", "required": True},
        ],
        approval_required=True,
        approver_role=Role.CUSTOMER_MANAGER,
        fulfilment_team=team,
        target_fulfilment=16 * H,
    )


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_request_from_catalogue_to_rating(page, login):
    _shop()

    # The customer finds the item and asks for it.
    login("carl", PASSWORD)
    page.goto("/portal/")
    page.get_by_role("link", name="Request something").click()
    page.get_by_role("link", name="New laptop").click()
    page.get_by_label("Model").select_option("16 inch")
    page.get_by_label("Cost centre").fill("CC-42")
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_test_id("status")).to_have_text("Awaiting approval")
    expect(page.get_by_test_id("sla-sentence")).to_contain_text("Waiting for approval")
    request = ServiceRequest.objects.get()
    assert request.answers == {"model": "16 inch", "cost_centre": "CC-42"}
    _sign_out(page)

    # Their manager sees it waiting and approves it.
    login("mia", PASSWORD)
    page.goto("/portal/")
    page.get_by_test_id("approvals-waiting").get_by_role("link", name=request.reference).click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("status")).to_have_text("Approved")
    _sign_out(page)

    # The fulfilling team takes it, works its checklist and fulfils it.
    login("alice", PASSWORD)
    page.goto(f"/requests/{request.pk}/")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_test_id("status")).to_contain_text("In fulfilment")
    page.get_by_test_id("task-form").get_by_label("New task").fill("Image the laptop")
    page.get_by_role("button", name="Add task").click()
    task = page.get_by_test_id("task")
    expect(task).to_contain_text("Image the laptop")
    task.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("task")).to_have_attribute("data-status", "done")
    page.get_by_test_id("fulfil").locator("summary").click()
    page.get_by_label("What was delivered").fill("Laptop handed over at reception.")
    page.get_by_role("button", name="Mark fulfilled").click()
    expect(page.get_by_test_id("status")).to_contain_text("Fulfilled")
    _sign_out(page)

    # The customer rates it and confirms it is done.
    login("carl", PASSWORD)
    page.goto(f"/portal/requests/{request.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("Fulfilled")
    expect(page.get_by_test_id("sla-sentence")).to_have_text("Done within the agreed time.")
    page.get_by_role("link", name="Rate it").click()
    page.get_by_label("5").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_test_id("survey-answered")).to_contain_text("score of 5")
    page.goto(f"/portal/requests/{request.pk}/")
    page.get_by_role("button", name="Confirm: this is done").click()
    expect(page.get_by_test_id("status")).to_have_text("Closed")

    request.refresh_from_db()
    assert request.status == "closed"
    survey = Survey.objects.get(object_id=request.pk)
    assert survey.score == 5
    # Every step is in the audit trail, through the web UI, by whoever took it.
    steps = [
        (e.actor_label, e.action, e.object_type)
        for e in AuditEvent.objects.order_by("id")
        if e.door == Door.UI
    ]
    for expected in [
        ("carl", "create", "service_requests.servicerequest"),
        ("mia", "transition", "service_requests.approval"),
        ("mia", "transition", "service_requests.servicerequest"),
        ("alice", "transition", "service_requests.servicerequest"),
        ("alice", "create", "service_requests.fulfilmenttask"),
        ("alice", "update", "service_requests.fulfilmenttask"),
        ("carl", "update", "feedback.survey"),
        ("carl", "transition", "service_requests.servicerequest"),
    ]:
        assert expected in steps, (expected, steps)
