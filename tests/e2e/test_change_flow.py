"""Acceptance of change management in the browser: an agent raises a normal change with the
risk questionnaire; the change manager assesses it and asks for approval; a change authority
sees in the CAB view that it conflicts with another change on the same configuration item,
approves it only with an override justification; the change manager schedules it and it shows
on the change calendar with its conflict marked."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accord.changes.models import Change
from accord.changes.services.policy import seed_policy
from accord.core.choices import Role
from tests.changes.factories import ChangeFactory
from tests.factories import PASSWORD, ConfigurationItemFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def change_policy():
    """The default policy: a browser test's database is emptied after every test, migrations'
    data with it, so whichever test runs first the policy is there."""
    seed_policy()


def typed(moment: dt.datetime, person) -> str:
    """``moment`` as the person types it: in their time zone, in the date-and-time box."""
    zone = zoneinfo.ZoneInfo(person.effective_time_zone)
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def test_normal_change_through_cab_with_a_conflict_override(login, page):
    service = ServiceFactory(name="Customer database")
    cluster = ConfigurationItemFactory(name="db-cluster-01")
    alice = PersonFactory(username="alice", first_name="Alice", roles=[Role.AGENT])
    PersonFactory(username="mia", first_name="Mia", roles=[Role.CHANGE_MANAGER])
    PersonFactory(username="carl", first_name="Carl", roles=[Role.CHANGE_AUTHORITY])
    start = (timezone.now() + dt.timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    other = ChangeFactory(
        reference="CHG-900001",  # clear of the numbers the raise page issues
        title="Cluster firmware update",
        status="scheduled",
        configuration_items=[cluster],
        planned_start=start,
        planned_end=start + dt.timedelta(hours=2),
    )

    # The agent raises the change, answering the risk questionnaire, and submits it.
    login("alice", PASSWORD)
    page.goto("/changes/")
    with page.expect_navigation():
        page.get_by_role("link", name="Raise change").click()
    page.get_by_label("Title").fill("Add an index to the orders table")
    page.select_option("#id_services", value=[str(service.pk)])
    page.select_option("#id_configuration_items", value=[str(cluster.pk)])
    page.fill("#id_planned_start", typed(start + dt.timedelta(minutes=30), alice))
    page.fill("#id_planned_end", typed(start + dt.timedelta(hours=1, minutes=30), alice))
    page.get_by_label("Implementation plan").fill("Create the index concurrently.")
    page.get_by_label("Backout plan").fill("Drop the index.")
    # The default questionnaire: these answers weigh 3 + 2 + 0 + 0, a medium risk, which the
    # default approval matrix sends to the change authority.
    questionnaire = page.get_by_test_id("risk-questionnaire")
    for question, answer in (
        ("How many users are affected", "A customer"),
        ("Has this change been done before?", "Once or twice"),
        ("Can it be backed out?", "Quickly"),
        ("Is the change tested", "Yes"),
    ):
        questionnaire.locator("fieldset[data-question]").filter(has_text=question).get_by_label(
            answer, exact=True
        ).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    change = Change.objects.get(title="Add an index to the orders table")
    expect(page.get_by_test_id("reference")).to_have_text(change.reference)
    assert (change.risk_score, change.risk_class) == (5, "medium")
    with page.expect_navigation():
        page.get_by_test_id("actions").get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("status")).to_have_text("Submitted")
    page.context.clear_cookies()

    # The change manager assesses it and asks for approval.
    login("mia", PASSWORD)
    page.goto(f"/changes/{change.reference}/")
    with page.expect_navigation():
        page.get_by_test_id("actions").get_by_role("button", name="Start assessment").click()
    with page.expect_navigation():
        page.get_by_test_id("actions").get_by_role("button", name="Ask for approval").click()
    expect(page.get_by_test_id("status")).to_have_text("Awaiting approval")
    page.context.clear_cookies()

    # The change authority sees the conflict in the CAB view; approving needs the override.
    login("carl", PASSWORD)
    page.goto("/changes/cab/")
    row = page.locator(f'tr[data-testid="cab-row"][data-change="{change.pk}"]')
    expect(row.get_by_test_id("conflict-warning")).to_be_visible()
    expect(row).to_contain_text(other.reference)
    decide = row.get_by_test_id(f"decide-{change.reference}")
    decide.get_by_label("Approve").check()
    with page.expect_navigation():
        decide.get_by_role("button", name="Record decision").click()
    expect(page.get_by_test_id("decide-form")).to_contain_text("justification")
    change.refresh_from_db()
    assert change.status == "awaiting_approval"
    page.goto("/changes/cab/")
    row = page.locator(f'tr[data-testid="cab-row"][data-change="{change.pk}"]')
    decide = row.get_by_test_id(f"decide-{change.reference}")
    decide.get_by_label("Approve").check()
    decide.get_by_label("Override justification").fill(
        "The firmware update works on the other node; the index build is online."
    )
    with page.expect_navigation():
        decide.get_by_role("button", name="Record decision").click()
    expect(page.locator("body")).to_contain_text(f"{change.reference} saved")
    change.refresh_from_db()
    assert change.status == "approved"
    assert change.conflict_override_justification.startswith("The firmware update")
    page.context.clear_cookies()

    # The change manager schedules it; the calendar shows it with its conflict.
    login("mia", PASSWORD)
    page.goto(f"/changes/{change.reference}/")
    schedule = page.get_by_test_id("actions").locator('form[data-move="scheduled"]')
    schedule.get_by_label("Override justification").fill("Accepted by the CAB.")
    with page.expect_navigation():
        schedule.get_by_role("button", name="Schedule").click()
    expect(page.get_by_test_id("status")).to_have_text("Scheduled")
    day = start.astimezone(zoneinfo.ZoneInfo(alice.effective_time_zone)).date()
    page.goto(f"/changes/calendar/?view=week&date={day.isoformat()}")
    entry = page.locator(f'[data-change="{change.reference}"]')
    expect(entry).to_be_visible()
    expect(entry.get_by_test_id("conflict")).to_be_visible()
