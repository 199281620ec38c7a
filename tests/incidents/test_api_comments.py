"""``/api/v1/incidents/{id}/comments/``: replies and work notes, and who sees and writes which."""

from __future__ import annotations

import pytest

from accord.core.choices import Door, Role
from accord.incidents import services
from accord.incidents.models import Incident
from accord.tickets.models import Comment
from tests.base import (
    ALL_ROLES,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import make_incident
from tests.incidents.conftest import berlin

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
COMMENTERS = roles_with("incidents.work") | roles_with("incidents.raise")


def comments_url(incident):
    return f"{URL}{incident.pk}/comments/"


@pytest.fixture
def incident(desk):
    incident = make_incident(
        actor=desk.agent, caller=desk.caller, service=desk.service, now=berlin(2026, 3, 2, 10, 0)
    )
    services.comment_add(
        actor=desk.agent,
        incident=incident,
        body="Checking the relay",
        is_public=False,
        now=berlin(2026, 3, 2, 10, 5),
    )
    services.comment_add(
        actor=desk.agent,
        incident=incident,
        body="We are on it",
        now=berlin(2026, 3, 2, 10, 10),
    )
    return incident


def test_staff_see_replies_and_work_notes_oldest_first(desk, incident):
    body = api_client_for(desk.agent).get(comments_url(incident)).json()
    assert [(c["body"], c["is_public"], c["by_provider"]) for c in body] == [
        ("Checking the relay", False, True),
        ("We are on it", True, True),
    ]
    assert body[0]["author"] == desk.agent.pk and body[0]["author_name"] == str(desk.agent)
    assert body[0]["created_at"] == "2026-03-02T09:05:00Z"


def test_customers_see_public_replies_only(desk, incident):
    for person in (desk.caller, person_for_role(Role.CUSTOMER_MANAGER, desk.customer)):
        body = api_client_for(person).get(comments_url(incident)).json()
        assert [c["body"] for c in body] == ["We are on it"]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_comment(role, desk, incident):
    person = person_for_role(role, desk.customer)
    client = api_client_for(person)
    if role not in COMMENTERS:
        with nothing_changed(Comment):
            response = client.post(comments_url(incident), {"body": "Hello"}, format="json")
        assert_error_body(response, 403, "permission_denied")
        return
    mark = last_event_id()
    response = client.post(comments_url(incident), {"body": "Any news?"}, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["is_public"] is True and created["author"] == person.pk
    assert created["by_provider"] is (role not in ("customer_user", "customer_manager"))
    events = [e for e in events_since(mark) if e.object_type == "tickets.comment"]
    assert [(e.action, e.door, e.actor_id) for e in events] == [("create", Door.API, person.pk)]


def test_customers_cannot_write_work_notes(desk, incident):
    with nothing_changed(Comment):
        response = api_client_for(desk.caller).post(
            comments_url(incident), {"body": "Secret", "is_public": False}, format="json"
        )
    body = assert_error_body(response, 403, "permission_denied")
    assert "work notes" in body["message"]


def test_staff_write_work_notes_the_customer_never_sees(desk, incident):
    response = api_client_for(desk.agent).post(
        comments_url(incident), {"body": "Escalate to network", "is_public": False}, format="json"
    )
    assert response.status_code == 201 and response.json()["is_public"] is False
    seen = [c["body"] for c in api_client_for(desk.caller).get(comments_url(incident)).json()]
    assert "Escalate to network" not in seen


def test_the_first_public_reply_is_the_first_response(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)
    client = api_client_for(desk.agent)
    client.post(comments_url(incident), {"body": "Note", "is_public": False}, format="json")
    assert client.get(f"{URL}{incident.pk}/").json()["first_response_at"] is None
    client.post(comments_url(incident), {"body": "Reply"}, format="json")
    detail = client.get(f"{URL}{incident.pk}/").json()
    assert detail["first_response_at"] is not None
    response = {c["metric"]: c for c in detail["sla"] if c["kind"] == "sla"}["first_response"]
    assert response["state"] == "met"


def test_a_customer_reply_puts_a_waiting_incident_back_in_progress(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)
    services.incident_transition(actor=desk.agent, incident=incident, to="pending_customer")
    response = api_client_for(desk.caller).post(
        comments_url(incident), {"body": "Here is the log"}, format="json"
    )
    assert response.status_code == 201
    assert Incident.objects.get(pk=incident.pk).status == "in_progress"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": "ok", "is_public": "perhaps"}, "is_public"),
    ],
)
def test_bad_comments_are_refused(desk, incident, payload, field):
    with nothing_changed(Comment, incident):
        response = api_client_for(desk.agent).post(comments_url(incident), payload, format="json")
    assert_error_body(response, 400, "invalid", [field])


def test_closed_incidents_take_no_more_comments(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller)
    services.incident_transition(
        actor=desk.agent, incident=incident, to="cancelled", resolution_notes="Duplicate"
    )
    with nothing_changed(Comment):
        response = api_client_for(desk.agent).post(
            comments_url(incident), {"body": "Late"}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["non_field_errors"])


def test_comment_list_queries_do_not_grow_with_rows(desk, incident):
    client = api_client_for(desk.agent)

    def call():
        assert client.get(comments_url(incident)).status_code == 200

    def grow(n):
        for _ in range(n):
            services.comment_add(actor=desk.caller, incident=incident, body="More")

    assert_constant_queries(call, grow)


def test_anonymous_is_401(incident):
    assert_error_body(api_client_for(None).get(comments_url(incident)), 401, "not_authenticated")
    with nothing_changed(Comment):
        response = api_client_for(None).post(comments_url(incident), {"body": "x"}, format="json")
    assert_error_body(response, 401, "not_authenticated")
