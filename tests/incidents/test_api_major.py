"""Major incidents through the API: propose, declare, reject, and the post-incident review."""

from __future__ import annotations

import pytest

from accord.core.choices import Door, Role
from accord.incidents import services
from accord.incidents.models import Incident, PostIncidentReview
from tests.base import (
    ALL_ROLES,
    api_client_for,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import PersonFactory, make_incident, provider

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
PROPOSERS = roles_with("incidents.work")
DECIDERS = roles_with("incidents.manage")
REVIEW = {
    "summary": "Mail relay down for two hours",
    "root_cause": "Expired certificate",
    "went_well": "Quick declaration",
    "went_wrong": "Monitoring missed it",
    "actions": "Certificate expiry alerts (Ivan, April)",
}


@pytest.fixture
def incident(desk):
    return make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)


def action(incident, name):
    return f"{URL}{incident.pk}/{name}/"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_propose(role, desk, incident):
    client = api_client_for(person_for_role(role, desk.customer))
    url = action(incident, "propose-major")
    if role not in PROPOSERS:
        with nothing_changed(Incident, incident):
            response = client.post(url, {"reason": "Everyone is down"}, format="json")
        assert_error_body(response, 403, "permission_denied")
        return
    mark = last_event_id()
    response = client.post(url, {"reason": "Everyone is down"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["major_status"] == "proposed" and body["is_major"] is False
    assert response["ETag"] == f'"{body["version"]}"'
    kinds = [(e.object_type, e.action, e.door) for e in events_since(mark)]
    assert ("incidents.incident", "transition", Door.API) in kinds
    # The reason is kept as a work note: customers do not see it.
    customer_view = api_client_for(desk.caller).get(f"{URL}{incident.pk}/comments/").json()
    assert customer_view == []


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_declare(role, desk, incident):
    person = person_for_role(role, desk.customer)
    client = api_client_for(person)
    url = action(incident, "declare-major")
    if role not in DECIDERS:
        with nothing_changed(Incident, incident):
            response = client.post(url, {}, format="json")
        assert_error_body(response, 403, "permission_denied")
        return
    response = client.post(url, {}, format="json", HTTP_IF_MATCH=f'"{incident.version}"')
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["is_major"] is True and body["major_status"] == "declared"
    assert body["major_owner"] == person.pk and body["major_declared_at"]
    # The customer learns that it is a major incident, not who owns it internally.
    seen = api_client_for(desk.caller).get(f"{URL}{incident.pk}/").json()
    assert seen["is_major"] is True and seen["major_status"] == "declared"
    assert seen["major_owner"] is None


def test_declare_names_another_incident_manager(desk, incident):
    other = PersonFactory(organisation=provider(), roles=[Role.INCIDENT_MANAGER])
    client = api_client_for(desk.manager)
    response = client.post(action(incident, "declare-major"), {"owner": other.pk}, format="json")
    assert response.status_code == 200 and response.json()["major_owner"] == other.pk


@pytest.mark.parametrize("owner", ["agent", 987654321, None])
def test_declare_refuses_a_bad_owner(desk, incident, owner):
    if owner is None:  # someone who is not an incident manager
        owner = desk.agent.pk
    with nothing_changed(Incident, incident):
        response = api_client_for(desk.manager).post(
            action(incident, "declare-major"), {"owner": owner}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["owner"])


def test_actions_honour_if_match(desk, incident):
    stale = f'"{incident.version + 1}"'
    for name, payload, person in (
        ("propose-major", {"reason": "x"}, desk.agent),
        ("declare-major", {}, desk.manager),
    ):
        with nothing_changed(Incident, incident):
            response = api_client_for(person).post(
                action(incident, name), payload, format="json", HTTP_IF_MATCH=stale
            )
        assert_error_body(response, 412, "stale_version")


def test_propose_then_reject(desk, incident):
    agent = api_client_for(desk.agent)
    manager = api_client_for(desk.manager)
    assert (
        agent.post(action(incident, "propose-major"), {"reason": "Big"}, format="json").status_code
        == 200
    )
    again = agent.post(action(incident, "propose-major"), {"reason": "Big"}, format="json")
    assert_error_body(again, 400, "invalid")
    with nothing_changed(Incident, incident):
        no_reason = manager.post(action(incident, "reject-major"), {"reason": ""}, format="json")
    assert_error_body(no_reason, 400, "invalid", ["reason"])
    refused = agent.post(action(incident, "reject-major"), {"reason": "Small"}, format="json")
    assert_error_body(refused, 403, "permission_denied")
    response = manager.post(action(incident, "reject-major"), {"reason": "One user"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["major_status"] == "rejected" and response.json()["is_major"] is False
    notes = [c["body"] for c in agent.get(f"{URL}{incident.pk}/comments/").json()]
    assert notes == ["Proposed as a major incident: Big", "Not a major incident: One user"]
    nothing_to_reject = manager.post(
        action(incident, "reject-major"), {"reason": "x"}, format="json"
    )
    assert_error_body(nothing_to_reject, 400, "invalid", ["non_field_errors"])


def test_closed_incidents_cannot_become_major(desk, incident):
    services.incident_transition(
        actor=desk.agent, incident=incident, to="cancelled", resolution_notes="Duplicate"
    )
    with nothing_changed(Incident):
        response = api_client_for(desk.manager).post(
            action(incident, "declare-major"), {}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["non_field_errors"])


def test_review_is_recorded_read_and_revised(desk, incident):
    services.major_declare(actor=desk.manager, incident=incident)
    manager = api_client_for(desk.manager)
    url = action(incident, "review")
    assert_error_body(manager.get(url), 404, "not_found")
    mark = last_event_id()
    response = manager.put(url, REVIEW, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["summary"] == REVIEW["summary"] and created["reviewed_by"] == desk.manager.pk
    assert created["incident"] == incident.pk and response["ETag"] == '"1"'
    events = [e for e in events_since(mark) if e.object_type == "incidents.postincidentreview"]
    assert [(e.action, e.door) for e in events] == [("create", Door.API)]

    read = api_client_for(desk.agent).get(url)
    assert read.status_code == 200 and read["ETag"] == '"1"'
    auditor = api_client_for(person_for_role(Role.AUDITOR, desk.customer))
    assert auditor.get(url).json()["root_cause"] == "Expired certificate"

    revised = manager.put(url, {"summary": "Relay down 2h"}, format="json", HTTP_IF_MATCH='"1"')
    assert revised.status_code == 200, revised.json()
    assert revised.json()["summary"] == "Relay down 2h"
    assert revised.json()["root_cause"] == ""  # PUT replaces the whole review
    assert revised["ETag"] == '"2"'
    review = PostIncidentReview.objects.get(incident=incident)
    with nothing_changed(PostIncidentReview, review):
        stale = manager.put(url, REVIEW, format="json", HTTP_IF_MATCH='"1"')
    assert_error_body(stale, 412, "stale_version")
    with nothing_changed(PostIncidentReview, review):
        empty = manager.put(url, {**REVIEW, "summary": ""}, format="json")
    assert_error_body(empty, 400, "invalid", ["summary"])


def test_review_is_internal_and_written_by_incident_managers(desk, incident):
    services.major_declare(actor=desk.manager, incident=incident)
    url = action(incident, "review")
    with nothing_changed(PostIncidentReview):
        by_agent = api_client_for(desk.agent).put(url, REVIEW, format="json")
        by_customer = api_client_for(desk.caller).put(url, REVIEW, format="json")
    assert_error_body(by_agent, 403, "permission_denied")
    assert_error_body(by_customer, 404, "not_found")
    api_client_for(desk.manager).put(url, REVIEW, format="json")
    assert_error_body(api_client_for(desk.caller).get(url), 404, "not_found")


def test_only_major_incidents_have_a_review(desk, incident):
    with nothing_changed(PostIncidentReview):
        response = api_client_for(desk.manager).put(
            action(incident, "review"), REVIEW, format="json"
        )
    assert_error_body(response, 400, "invalid", ["non_field_errors"])


def test_a_major_incident_closes_only_after_its_review(desk, incident):
    services.major_declare(actor=desk.manager, incident=incident)
    services.incident_transition(
        actor=desk.agent,
        incident=incident,
        to="resolved",
        resolution_code="permanent",
        resolution_notes="Certificate renewed",
    )
    client = api_client_for(desk.agent)
    with nothing_changed(Incident, incident):
        refused = client.patch(f"{URL}{incident.pk}/", {"status": "closed"}, format="json")
    body = assert_error_body(refused, 400, "invalid", ["status"])
    assert "post-incident review" in body["errors"]["status"][0]
    api_client_for(desk.manager).put(action(incident, "review"), REVIEW, format="json")
    closed = client.patch(f"{URL}{incident.pk}/", {"status": "closed"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
