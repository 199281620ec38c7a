"""The SMS policy from draft to approval, in a real browser.

The SMS owner registers the policy, writes its draft and submits it; top management opens it
and approves it; the page then shows it in force with the approver's name, and the approved
text is no longer offered for editing (and a forced edit is refused).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord.core.choices import Door, Role
from accord.core.models import AuditEvent
from accord.governance.models import Document
from tests.factories import PASSWORD, PersonFactory, ServiceFactory, provider

pytestmark = pytest.mark.django_db(transaction=True)


def test_sms_owner_drafts_the_policy_and_top_management_approves_it(page, login):
    home = provider()
    PersonFactory(
        username="sam", first_name="Sam", last_name="Owner", organisation=home,
        roles=[Role.SMS_OWNER],
    )  # fmt: skip
    PersonFactory(
        username="tara", first_name="Tara", last_name="Board", organisation=home,
        roles=[Role.TOP_MANAGEMENT],
    )  # fmt: skip

    # The SMS owner registers the policy and writes its first draft.
    login("sam", PASSWORD)
    page.goto("/governance/documents/")
    page.get_by_role("link", name="Register a document").click()
    page.get_by_label("Title").fill("Service management policy")
    page.get_by_label("Kind").select_option("sms_policy")
    page.get_by_label("Text of version 1 (Markdown)").fill("# Policy\n\nWe commit to our SLAs.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("status")).to_have_text("No version in force")
    page.get_by_test_id("edit-draft").first.click()
    page.get_by_label("Text (Markdown)").fill("# Policy\n\nWe commit to our SLAs and to improve.")
    page.get_by_label("What changed").fill("First issue")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("body")).to_contain_text("We commit to our SLAs and to improve.")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_test_id("status")).to_have_text("In review")
    expect(page.locator("button[data-action=approve]")).to_have_count(0)
    page.context.clear_cookies()

    # Top management opens it and approves it.
    login("tara", PASSWORD)
    document = Document.objects.get()
    page.goto(f"/governance/documents/{document.pk}/")
    page.get_by_test_id("open-version").get_by_role("link", name="Read it").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("status")).to_have_text("Approved")
    expect(page.get_by_test_id("approver")).to_contain_text("Tara Board")
    page.goto(f"/governance/documents/{document.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("Version 1 in force")
    expect(page.get_by_test_id("in-force")).to_contain_text("Approved by Tara Board")
    expect(page.get_by_test_id("edit-draft")).to_have_count(0)

    # Editing the approved version is not offered, and going there anyway is refused.
    page.goto(f"/governance/documents/{document.pk}/versions/1/edit/")
    expect(page.locator(".messages, [role=alert], .errors").first).to_contain_text(
        "only a draft can change"
    )
    expect(page.get_by_label("Text (Markdown)")).to_have_count(0)
    approval = (
        AuditEvent.objects.filter(
            object_type="governance.documentversion", action="transition", door=Door.UI
        )
        .order_by("id")
        .last()
    )
    assert approval is not None and approval.actor_label == "tara"


def test_generated_policy_and_scope_are_approved_by_top_management(page, login):
    """Acceptance: the policy and the scope, generated from live data on the governance home
    page, go to top management, who approves both in the browser."""
    home = provider()
    PersonFactory(
        username="sofia", first_name="Sofia", last_name="Sms", organisation=home,
        roles=[Role.SMS_OWNER],
    )  # fmt: skip
    PersonFactory(
        username="tina", first_name="Tina", last_name="Top", organisation=home,
        roles=[Role.TOP_MANAGEMENT],
    )  # fmt: skip
    ServiceFactory(name="Payroll service")

    login("sofia", PASSWORD)
    for kind in ("sms_policy", "sms_scope"):
        page.goto("/governance/")
        page.get_by_test_id(f"generate-{kind}").click()
        expect(page.get_by_test_id("body")).to_contain_text("Payroll service")
        page.get_by_role("button", name="Submit for approval").click()
        expect(page.get_by_test_id("status")).to_have_text("In review")
    page.context.clear_cookies()

    login("tina", PASSWORD)
    for kind in ("sms_policy", "sms_scope"):
        page.goto("/governance/")
        page.get_by_test_id(f"key-{kind}").get_by_role("link", name="v1").click()
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_test_id("status")).to_have_text("Approved")
    page.goto("/governance/")
    for kind in ("sms_policy", "sms_scope"):
        expect(page.get_by_test_id(f"key-{kind}")).to_contain_text("approved by Tina Top")
    approvals = AuditEvent.objects.filter(
        object_type="governance.documentversion", action="transition", actor_label="tina"
    )
    assert approvals.count() == 2
    assert all(d.current_version.approved_by.username == "tina" for d in Document.objects.all())
