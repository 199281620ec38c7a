"""REST API of the audit trail: read-only, scoped, filterable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.core import services
from accord.core.choices import Role
from accord.core.context import audit_context
from accord.core.models import AuditEvent
from tests.base import (
    AUDIT_ALL_READERS,
    AUDIT_ORG_READERS,
    CUSTOMER_ROLE_SET,
    FAST_HASHERS,
    NOBODY,
    APIReadOnlyTests,
    APIReadTests,
    api_client_for,
    assert_error_body,
    person_for_role,
    result_ids,
)
from tests.core.helpers import org_event
from tests.factories import provider

URL = "/api/v1/audit-events/"


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


class TestAuditEventAPI(APIReadTests, APIReadOnlyTests):
    url = URL
    model = AuditEvent
    versioned = False
    readers = AUDIT_ALL_READERS | AUDIT_ORG_READERS
    writers = NOBODY
    outsider_roles = CUSTOMER_ROLE_SET

    def make_object(self, organisation):
        return org_event(organisation)


@pytest.fixture
def trail(customer_org, other_customer_org):
    """Events in two customer organisations, one without organisation, and one of an agent."""
    agent = person_for_role(Role.AGENT, customer_org)
    with audit_context("api"):
        services.person_update(actor=agent, person=agent, data={"phone": "+1 555 0100"})
    return {
        "a": org_event(customer_org),
        "b": org_event(other_customer_org),
        "agent": AuditEvent.objects.get(actor=agent),
        "agent_person": agent,
        "system": org_event(provider()),
    }


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMINISTRATOR, Role.TOP_MANAGEMENT])
def test_oversight_roles_see_every_event(role, trail, customer_org):
    person = person_for_role(role, customer_org)
    ids = set(result_ids(api_client_for(person).get(URL)))
    assert ids == set(AuditEvent.objects.values_list("pk", flat=True))
    assert {trail["a"].pk, trail["b"].pk, trail["agent"].pk, trail["system"].pk} <= ids


def test_customer_manager_sees_their_organisations_events(trail, customer_org):
    manager = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    ids = result_ids(api_client_for(manager).get(URL))
    assert ids == [trail["a"].pk]


def test_customer_user_sees_only_their_own_events(trail, customer_org):
    user = person_for_role(Role.CUSTOMER_USER, customer_org)
    client = api_client_for(user)
    assert result_ids(client.get(URL)) == []
    client.patch(f"/api/v1/people/{user.pk}/", {"phone": "+49 1"}, format="json")
    [own] = result_ids(client.get(URL))
    assert AuditEvent.objects.get(pk=own).actor_id == user.pk


def test_agent_sees_only_their_own_events(trail):
    client = api_client_for(trail["agent_person"])
    assert result_ids(client.get(URL)) == [trail["agent"].pk]
    response = client.get(f"{URL}{trail['a'].pk}/")
    assert_error_body(response, 404, "not_found")


def test_events_come_newest_first_with_their_changes(trail, customer_org):
    auditor = person_for_role(Role.AUDITOR, customer_org)
    rows = api_client_for(auditor).get(URL).json()["results"]
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    agent_row = next(r for r in rows if r["id"] == trail["agent"].pk)
    assert agent_row["changes"] == {"phone": ["", "+1 555 0100"]}
    assert agent_row["door"] == "api"
    assert agent_row["object_type"] == "core.person"
    assert len(agent_row["hash"]) == 64


@pytest.fixture
def auditor_client(customer_org):
    return api_client_for(person_for_role(Role.AUDITOR, customer_org))


def test_filter_by_door_action_and_object(trail, auditor_client):
    assert result_ids(auditor_client.get(URL, {"door": "api"})) == [trail["agent"].pk]
    org_a = trail["a"]
    ids = result_ids(
        auditor_client.get(URL, {"object_type": "core.organisation", "object_id": org_a.object_id})
    )
    assert ids == [org_a.pk]
    assert result_ids(auditor_client.get(URL, {"action": "delete"})) == []
    assert len(result_ids(auditor_client.get(URL, {"action": "update"}))) == 4


def test_filter_by_actor_organisation_and_request(trail, auditor_client):
    agent = trail["agent_person"]
    assert result_ids(auditor_client.get(URL, {"actor": agent.pk})) == [trail["agent"].pk]
    b = trail["b"]
    assert result_ids(auditor_client.get(URL, {"organisation": b.organisation_id})) == [b.pk]
    assert result_ids(auditor_client.get(URL, {"request_id": b.request_id})) == [b.pk]


def test_filter_by_time(trail, auditor_client, customer_org, monkeypatch):
    long_ago = timezone.now() - dt.timedelta(days=30)
    monkeypatch.setattr(timezone, "now", lambda: long_ago)
    old = org_event(customer_org)
    monkeypatch.undo()
    cut = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert result_ids(auditor_client.get(URL, {"occurred_before": cut})) == [old.pk]
    after = set(result_ids(auditor_client.get(URL, {"occurred_after": cut})))
    assert after == {trail[k].pk for k in ("a", "b", "agent", "system")}


@pytest.mark.parametrize(
    ("name", "value"),
    [("door", "window"), ("action", "explode"), ("actor", "me"), ("occurred_after", "yesterday")],
)
def test_bad_filter_value_is_a_clear_400(name, value, auditor_client, trail):
    assert_error_body(auditor_client.get(URL, {name: value}), 400, "invalid", [name])


def test_customer_manager_cannot_filter_into_another_organisation(trail, customer_org):
    manager = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    response = api_client_for(manager).get(URL, {"organisation": trail["b"].organisation_id})
    assert result_ids(response) == []
