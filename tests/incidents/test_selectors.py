"""What the incident selectors give each person: scope and the customer's view of history."""

from __future__ import annotations

import pytest

from accord.core.models import AuditEvent
from accord.incidents import selectors, services
from tests.factories import make_incident
from tests.incidents.conftest import berlin

pytestmark = pytest.mark.django_db


def test_customers_read_only_status_title_and_priority_changes(desk):
    incident = make_incident(
        actor=desk.agent, caller=desk.caller, service=desk.service, now=berlin(2026, 3, 2, 10)
    )
    services.incident_update(
        actor=desk.agent,
        incident=incident,
        data={
            "assignment_group": desk.team,
            "assignee": desk.agent,
            "supplier": desk.supplier,
            "supplier_reference": "ACME-77",
        },
        now=berlin(2026, 3, 2, 10, 5),
    )
    seen = [
        e.item.changes
        for e in selectors.timeline(desk.caller, incident)
        if e.kind == "audit" and e.item.action != "create"
    ]
    assert seen == [{"status": ["new", "assigned"]}]
    staff_view = [
        e.item.changes for e in selectors.timeline(desk.agent, incident) if e.kind == "audit"
    ]
    assert any("supplier_reference" in changes for changes in staff_view)
    # Trimming the customer's copy never touched what is stored.
    stored = AuditEvent.objects.filter(object_type="incidents.incident").order_by("id").last()
    assert "supplier_reference" in stored.changes


def test_the_first_response_is_recorded_in_the_audit_trail(desk):
    incident = make_incident(
        actor=desk.agent, caller=desk.caller, service=desk.service, now=berlin(2026, 3, 2, 10)
    )
    services.comment_add(
        actor=desk.agent, incident=incident, body="On it", now=berlin(2026, 3, 2, 10, 20)
    )
    event = (
        AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(incident.pk))
        .order_by("id")
        .last()
    )
    assert "first_response_at" in event.changes
    assert event.actor_id == desk.agent.pk


def test_scope_of_incidents(desk, other_customer_org):
    from tests.factories import PersonFactory

    mine = make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)
    stranger = PersonFactory(organisation=other_customer_org, roles=["customer_user"])
    theirs = make_incident(
        actor=desk.agent, caller=stranger, organisation=other_customer_org, title="Other"
    )
    assert set(selectors.incidents_visible_to(desk.caller)) == {mine}
    assert set(selectors.incidents_visible_to(stranger)) == {theirs}
    assert set(selectors.incidents_visible_to(desk.agent)) == {mine, theirs}
    supplier_person = PersonFactory(organisation=desk.supplier)
    assert not selectors.incidents_visible_to(supplier_person).exists()
