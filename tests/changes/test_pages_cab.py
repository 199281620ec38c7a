"""The approver's queue and the CAB agenda: who sees what, inline decisions, the override a
conflicting change needs, the period of the agenda, and queries that do not grow with the
agenda."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.changes.models import Change, ChangeApprovalStep
from accord.core.choices import Role
from tests.base import assert_constant_queries, assert_form_error, nothing_changed
from tests.changes.factories import ChangeFactory
from tests.factories import ConfigurationItemFactory, ServiceFactory, person_with_role

pytestmark = pytest.mark.django_db


def awaiting(approver, **kwargs) -> Change:
    """A change awaiting approval by ``approver`` (one step, any one approver)."""
    change = ChangeFactory(status="awaiting_approval", **kwargs)
    ChangeApprovalStep.objects.create(
        change=change,
        label="Change authority",
        authority="role",
        role=Role.CHANGE_AUTHORITY,
        mode="any",
        eligible=[approver.pk],
    )
    return change


@pytest.fixture
def authority():
    return person_with_role(Role.CHANGE_AUTHORITY)


def test_queue_lists_what_waits_for_me(client, authority):
    mine = awaiting(authority, title="Move the mail relay")
    other = awaiting(person_with_role(Role.CHANGE_AUTHORITY), title="Someone else's")
    client.force_login(authority)
    content = client.get("/changes/approvals/").content.decode()
    assert mine.reference in content and other.reference not in content
    assert f'data-testid="decide-{mine.reference}"' in content


def test_queue_queries_do_not_grow(client, authority):
    client.force_login(authority)
    service = ServiceFactory()

    def grow(n):
        for _ in range(n):
            awaiting(authority, services=[service])

    def call():
        assert client.get("/changes/approvals/").status_code == 200

    assert_constant_queries(call, grow)


def test_cab_agenda_lists_the_period(client, authority):
    soon = timezone.now() + dt.timedelta(days=2)
    later = timezone.now() + dt.timedelta(days=40)
    pending = awaiting(authority, title="Awaiting a decision")
    scheduled = ChangeFactory(
        status="scheduled",
        title="Planned soon",
        planned_start=soon,
        planned_end=soon + dt.timedelta(hours=1),
    )
    far = ChangeFactory(
        status="scheduled",
        title="Planned later",
        planned_start=later,
        planned_end=later + dt.timedelta(hours=1),
    )
    draft = ChangeFactory(title="A draft")
    client.force_login(person_with_role(Role.AUDITOR))
    content = client.get("/changes/cab/").content.decode()
    for change in (pending, scheduled):
        assert change.reference in content
    for change in (far, draft):
        assert change.reference not in content
    # An auditor reads the agenda but gets no decision form.
    assert "decide-" not in content
    start = (later - dt.timedelta(days=1)).date().isoformat()
    end = (later + dt.timedelta(days=2)).date().isoformat()
    content = client.get(f"/changes/cab/?from={start}&to={end}").content.decode()
    assert far.reference in content and scheduled.reference not in content
    assert client.get("/changes/cab/?from=someday").status_code == 400
    assert client.get(f"/changes/cab/?from={end}&to={start}").status_code == 400


def test_cab_queries_do_not_grow(client, authority):
    client.force_login(authority)
    service = ServiceFactory()

    def grow(n):
        for _ in range(n):
            awaiting(authority, services=[service])
            ChangeFactory(status="scheduled", services=[service, ServiceFactory()])

    def call():
        assert client.get("/changes/cab/").status_code == 200

    assert_constant_queries(call, grow)


def test_cab_approval_of_a_conflicting_change_needs_a_justification(client, authority):
    ci = ConfigurationItemFactory(name="db-cluster-01")
    other = ChangeFactory(status="scheduled", configuration_items=[ci])
    change = awaiting(
        authority,
        configuration_items=[ci],
        planned_start=other.planned_start,
        planned_end=other.planned_end,
    )
    client.force_login(authority)
    cab = client.get("/changes/cab/").content.decode()
    assert f'data-testid="decide-{change.reference}"' in cab
    conflicts = client.get(f"/changes/{change.reference}/conflicts/").content.decode()
    assert 'data-testid="conflict-warning"' in conflicts and other.reference in conflicts
    decide = f"/changes/{change.reference}/decide/"
    with nothing_changed(Change, change):
        refused = client.post(decide, {"decision": "approve", "next": "/changes/cab/"})
    assert_form_error(refused, "override_justification", form_name="decide_form")
    response = client.post(
        decide,
        {
            "decision": "approve",
            "override_justification": "The firmware update is on the other node.",
            "next": "/changes/cab/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/changes/cab/"
    change.refresh_from_db()
    assert change.status == "approved"
    assert change.conflict_override_justification.startswith("The firmware update")
    assert change.conflict_override_by == authority


def test_reject_needs_a_reason(client, authority):
    change = awaiting(authority)
    client.force_login(authority)
    decide = f"/changes/{change.reference}/decide/"
    with nothing_changed(Change, change):
        refused = client.post(decide, {"decision": "reject"})
    assert refused.status_code == 400
    client.post(decide, {"decision": "reject", "reason": "No backout plan tested."})
    change.refresh_from_db()
    assert change.status == "rejected"


def test_who_is_not_an_approver_may_not_decide(client, authority):
    change = awaiting(authority)
    for role in (Role.AUDITOR, Role.AGENT):
        client.force_login(person_with_role(role))
        with nothing_changed(Change, change):
            response = client.post(
                f"/changes/{change.reference}/decide/",
                {"decision": "approve", "override_justification": "x"},
            )
        assert response.status_code == 403, role
