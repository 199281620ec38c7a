"""Acceptance of change management in the browser, the rest of the change manager's week: a
standard change raised from a published template is scheduled at once with no approval step;
an emergency change raised with a reason and a service only is approved by a change manager,
implemented, documented afterwards by its owner, refused closing until its review is recorded
and then closed; a change that was backed out is reviewed and closed."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accord.changes.models import Change
from accord.changes.services.policy import seed_policy
from accord.changes.services.templates import template_publish
from accord.core.choices import Role
from tests.changes.factories import ChangeFactory, ChangeTemplateFactory
from tests.factories import PASSWORD, ConfigurationItemFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def typed(moment: dt.datetime, person) -> str:
    """``moment`` as the person types it: in their time zone, in the date-and-time box."""
    zone = zoneinfo.ZoneInfo(person.effective_time_zone)
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def move(page, status: str):
    """The form of one move in the change's status card."""
    return page.get_by_test_id("actions").locator(f'form[data-move="{status}"]')


def click_move(page, status: str, button: str) -> None:
    with page.expect_navigation():
        move(page, status).get_by_role("button", name=button).click()


def sign_in_as(login, page, username: str) -> None:
    page.context.clear_cookies()
    login(username, PASSWORD)


@pytest.fixture
def people():
    """The default policy (a transactional test starts from empty tables), an agent who raises
    and carries out changes, and a change manager."""
    seed_policy()
    return {
        "alice": PersonFactory(username="alice", first_name="Alice", roles=[Role.AGENT]),
        "mia": PersonFactory(username="mia", first_name="Mia", roles=[Role.CHANGE_MANAGER]),
    }


def test_standard_change_then_emergency_change_documented_late(login, page, people):
    alice, mia = people["alice"], people["mia"]
    web = ServiceFactory(name="Public website")
    proxy = ConfigurationItemFactory(name="web-proxy-01")
    template = ChangeTemplateFactory(
        name="Renew TLS certificate",
        title="Renew the website certificate",
        expected_minutes=30,
        owner=mia,
        services=[web],
        configuration_items=[proxy],
    )
    template_publish(actor=mia, template=template)
    payments = ServiceFactory(name="Card payments")

    # 1. The agent raises the standard change: it is scheduled at once, with no approval step.
    login("alice", PASSWORD)
    page.goto("/changes/")
    with page.expect_navigation():
        page.get_by_role("link", name="Standard change", exact=True).click()
    page.get_by_label("Standard change").select_option(label="Renew TLS certificate")
    start = (timezone.now() + dt.timedelta(days=2)).replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    page.get_by_label("Planned start").fill(typed(start, alice))
    with page.expect_navigation():
        page.get_by_role("button", name="Raise").click()
    standard = Change.objects.get(template=template)
    expect(page.get_by_test_id("reference")).to_have_text(standard.reference)
    expect(page.get_by_test_id("status")).to_have_text("Scheduled")
    steps = page.get_by_test_id("approval-steps")
    expect(steps.locator("tbody tr")).to_have_count(1)
    expect(steps).to_contain_text("No approval asked yet.")
    expect(page.get_by_test_id("decide-form")).to_have_count(0)
    expect(
        page.get_by_test_id("actions").get_by_role("button", name="Ask for approval")
    ).to_have_count(0)
    assert standard.planned_end == start + dt.timedelta(minutes=30)
    # The audit trail names the template as what approved it.
    expect(page.get_by_test_id("history")).to_contain_text(
        "Automatic pre-approval by the standard change template"
    )

    # 2. An outage: the agent raises an emergency change with a reason and a service only.
    page.goto("/changes/new/")
    page.get_by_label("Title").fill("Restart the payment gateway with the hotfix")
    page.get_by_label("Type", exact=True).select_option(label="Emergency")
    page.get_by_label("Reason").fill("Card payments fail for every customer.")
    page.select_option("#id_services", value=[str(payments.pk)])
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    emergency = Change.objects.get(title="Restart the payment gateway with the hotfix")
    expect(page.get_by_test_id("reference")).to_have_text(emergency.reference)
    click_move(page, "submitted", "Submit")
    expect(page.get_by_test_id("status")).to_have_text("Submitted")
    # No assessment: the requester sends it straight to the emergency authority.
    expect(move(page, "assessment")).to_have_count(0)
    click_move(page, "awaiting_approval", "Ask for approval")
    expect(page.get_by_test_id("status")).to_have_text("Awaiting approval")
    expect(page.get_by_test_id("approval-steps")).to_contain_text("Pending")

    # The change manager, the emergency authority, approves it.
    sign_in_as(login, page, "mia")
    page.goto(f"/changes/{emergency.reference}/")
    decide = page.get_by_test_id("decide-form")
    decide.get_by_label("Approve").check()
    with page.expect_navigation():
        decide.get_by_role("button", name="Record decision").click()
    expect(page.get_by_test_id("status")).to_have_text("Approved")
    emergency.refresh_from_db()
    assert emergency.documentation_due_at is not None
    assert emergency.documented_at is None

    # The owner implements it at once; the page shows the deadline and what is still missing.
    sign_in_as(login, page, "alice")
    page.goto(f"/changes/{emergency.reference}/")
    click_move(page, "implementing", "Start implementing")
    expect(page.get_by_test_id("status")).to_have_text("Implementing")
    click_move(page, "implemented", "Implemented")
    expect(page.get_by_test_id("status")).to_have_text("Implemented")
    documentation = page.get_by_test_id("documentation")
    expect(documentation).to_contain_text("The record must be complete by")
    shown = documentation.locator("time").get_attribute("datetime")
    due = dt.datetime.fromisoformat(shown)
    assert abs(due - emergency.documentation_due_at) < dt.timedelta(seconds=1)
    expect(documentation.get_by_test_id("overdue")).to_have_count(0)
    expect(documentation).to_contain_text("Still missing")
    for what in ("implementation plan", "backout plan", "planned start", "risk answers"):
        expect(documentation).to_contain_text(what)

    # The owner fills in what was skipped on the edit page; the record is documented.
    with page.expect_navigation():
        page.get_by_role("link", name="Edit", exact=True).click()
    began = timezone.now() - dt.timedelta(hours=1)
    page.get_by_label("Planned start").fill(typed(began, alice))
    page.get_by_label("Planned end").fill(typed(began + dt.timedelta(hours=2), alice))
    page.get_by_label("Implementation plan").fill("Deploy hotfix 2.4.1 and restart the gateway.")
    page.get_by_label("Backout plan").fill("Redeploy 2.4.0.")
    questionnaire = page.get_by_test_id("risk-questionnaire")
    for question, answer in (
        ("How many users are affected", "Many customers"),
        ("Has this change been done before?", "Once or twice"),
        ("Can it be backed out?", "Quickly"),
        ("Is the change tested", "Partly"),
    ):
        questionnaire.locator("fieldset[data-question]").filter(has_text=question).get_by_label(
            answer, exact=True
        ).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("documentation")).to_contain_text("Documented on")
    expect(page.get_by_test_id("documentation")).not_to_contain_text("Still missing")
    emergency.refresh_from_db()
    assert emergency.documented_at is not None
    # Once documented, the owner no longer edits it.
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    # The change manager may not close it before its review is recorded.
    sign_in_as(login, page, "mia")
    page.goto(f"/changes/{emergency.reference}/")
    expect(page.get_by_test_id("review")).to_contain_text("required")
    click_move(page, "closed", "Close")
    expect(page.get_by_test_id("actions").get_by_role("alert")).to_contain_text(
        "needs its post-implementation review before it is closed"
    )
    emergency.refresh_from_db()
    assert emergency.status == "implemented"

    # The owner records the review; then the change manager closes it.
    sign_in_as(login, page, "alice")
    page.goto(f"/changes/{emergency.reference}/")
    review = page.get_by_test_id("review")
    review.get_by_label("Review summary").fill("The hotfix restored card payments in 20 minutes.")
    review.get_by_label("Lessons learnt").fill("Keep the previous build ready for a rollback.")
    with page.expect_navigation():
        review.get_by_role("button", name="Record the review").click()
    expect(page.get_by_test_id("review")).to_contain_text("restored card payments")
    sign_in_as(login, page, "mia")
    page.goto(f"/changes/{emergency.reference}/")
    move(page, "closed").get_by_label("Closure notes").fill("Payments stable since the hotfix.")
    click_move(page, "closed", "Close")
    expect(page.get_by_test_id("status")).to_have_text("Closed")
    emergency.refresh_from_db()
    assert emergency.status == "closed"


def test_backed_out_change_reviewed_and_closed(login, page, people):
    alice = people["alice"]
    erp = ServiceFactory(name="ERP")
    db = ConfigurationItemFactory(name="erp-db")
    change = ChangeFactory(
        reference="CHG-900101",
        title="Upgrade the ERP database",
        status="scheduled",
        risk_class="low",
        requester=alice,
        owner=alice,
        services=[erp],
        configuration_items=[db],
        planned_start=timezone.now() - dt.timedelta(minutes=30),
        planned_end=timezone.now() + dt.timedelta(hours=2),
        approved_at=timezone.now() - dt.timedelta(days=1),
    )

    # The owner starts the work; it goes wrong and is backed out.
    login("alice", PASSWORD)
    page.goto(f"/changes/{change.reference}/")
    click_move(page, "implementing", "Start implementing")
    expect(page.get_by_test_id("status")).to_have_text("Implementing")
    failed = move(page, "failed")
    failed.get_by_label("Outcome", exact=True).select_option(label="Backed out")
    failed.get_by_label("Outcome notes").fill("The schema migration locked the orders table.")
    click_move(page, "failed", "Failed / backed out")
    expect(page.get_by_test_id("status")).to_have_text("Failed / backed out")
    expect(page.locator("body")).to_contain_text("Backed out: The schema migration locked")
    change.refresh_from_db()
    assert (change.outcome, change.actual_end is not None) == ("backed_out", True)
    # A failed change goes to review, never straight to closed.
    expect(move(page, "closed")).to_have_count(0)

    # The owner records the review and starts it; the change manager closes the change.
    review = page.get_by_test_id("review")
    expect(review).to_contain_text("required")
    review.get_by_label("Review summary").fill("Backed out cleanly; no data lost.")
    review.get_by_label("Lessons learnt").fill("Rehearse the migration on a copy first.")
    with page.expect_navigation():
        review.get_by_role("button", name="Record the review").click()
    expect(page.get_by_test_id("review")).to_contain_text("Backed out cleanly")
    click_move(page, "in_review", "Start the review")
    expect(page.get_by_test_id("status")).to_have_text("In review")
    sign_in_as(login, page, "mia")
    page.goto(f"/changes/{change.reference}/")
    click_move(page, "closed", "Close")
    expect(page.get_by_test_id("status")).to_have_text("Closed")
    change.refresh_from_db()
    assert change.status == "closed"
    assert change.pir_summary == "Backed out cleanly; no data lost."
