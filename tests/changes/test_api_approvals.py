"""Approving and rejecting changes through the API: any / all, the wrong approver refused,
reasons required, and the steps shown with the eligible people's names."""

from __future__ import annotations

import pytest

from accord.changes.models import ApprovalRule, Change, ChangeApproval
from accord.core.choices import Role
from tests.base import api_client_for, assert_error_body, nothing_changed
from tests.changes.factories import ApprovalRuleFactory, ChangeFactory
from tests.factories import ServiceFactory, person_with_role

pytestmark = pytest.mark.django_db


def awaiting(mode: str) -> tuple[Change, list]:
    """An emergency change awaiting approval by every change authority (``mode``)."""
    ApprovalRule.objects.filter(change_type="emergency").update(active=False)
    ApprovalRuleFactory(change_type="emergency", role=Role.CHANGE_AUTHORITY, mode=mode)
    approvers = [person_with_role(Role.CHANGE_AUTHORITY) for _ in range(2)]
    change = ChangeFactory(
        change_type="emergency", status="submitted", services=[ServiceFactory()], reason="Now."
    )
    manager = api_client_for(person_with_role(Role.CHANGE_MANAGER))
    moved = manager.patch(
        f"/api/v1/changes/{change.pk}/", {"status": "awaiting_approval"}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["status"] == "awaiting_approval"
    return change, approvers


def url(change: Change) -> str:
    return f"/api/v1/changes/{change.pk}/approvals/"


def test_all_mode_needs_every_approver():
    change, (first, second) = awaiting("all")
    steps = api_client_for(first).get(url(change)).json()
    assert len(steps) == 1
    eligible = {row["id"]: row["name"] for row in steps[0]["eligible"]}
    assert {first.pk, second.pk} <= set(eligible) and eligible[first.pk] == str(first)
    response = api_client_for(first).post(url(change), {"decision": "approve"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "awaiting_approval"
    assert response.json()["approval_steps"][0]["decisions"][0]["approver"] == first.pk
    again = api_client_for(first).post(url(change), {"decision": "approve"}, format="json")
    assert_error_body(again, 403, "permission_denied")
    done = api_client_for(second).post(url(change), {"decision": "approve"}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "approved"


def test_any_mode_needs_one_approver():
    change, (first, _second) = awaiting("any")
    response = api_client_for(first).post(url(change), {"decision": "approve"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    assert response["ETag"] == f'"{response.json()["version"]}"'


def test_wrong_approver_is_refused_and_nothing_changes():
    change, _ = awaiting("any")
    for role in (Role.AGENT, Role.AUDITOR, Role.CHANGE_MANAGER):
        client = api_client_for(person_with_role(role))
        with nothing_changed(ChangeApproval), nothing_changed(Change, change):
            response = client.post(url(change), {"decision": "approve"}, format="json")
        assert_error_body(response, 403, "permission_denied")


def test_reject_needs_a_reason_and_rejects_the_change():
    change, (first, _second) = awaiting("all")
    client = api_client_for(first)
    with nothing_changed(ChangeApproval), nothing_changed(Change, change):
        bare = client.post(url(change), {"decision": "reject"}, format="json")
    assert_error_body(bare, 400, "invalid", ["reason"])
    with nothing_changed(ChangeApproval):
        nonsense = client.post(url(change), {"decision": "maybe"}, format="json")
    assert_error_body(nonsense, 400, "invalid", ["decision"])
    rejected = client.post(
        url(change), {"decision": "reject", "reason": "Too risky."}, format="json"
    )
    assert rejected.status_code == 200, rejected.json()
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Too risky."


def test_customer_gets_404():
    change, _ = awaiting("any")
    from tests.factories import OrganisationFactory

    customer = person_with_role(Role.CUSTOMER_MANAGER, OrganisationFactory(kind="customer"))
    assert_error_body(api_client_for(customer).get(url(change)), 404, "not_found")
