"""The service request API: who sees and writes what, creation from a catalogue item with its
answers, approvals, the fulfilment checklist, clocks, comments and queries."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.agreements.choices import ClockState
from accord.core.choices import Door, Role
from accord.notifications.models import Notification
from accord.service_requests import services
from accord.service_requests.models import Approval, FulfilmentTask, ServiceRequest
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    PROVIDER_ROLES,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.factories import OrganisationFactory, PersonFactory
from tests.service_requests.conftest import GOOD_ANSWERS, berlin, make_shop

URL = "/api/v1/requests/"

#: Everyone at the provider sees every request; of a customer, the manager sees all of theirs.
READERS = frozenset(ALL_ROLES) - CUSTOMER_ROLE_SET | {Role.CUSTOMER_MANAGER}
#: Who may make a request: those who fulfil them (for anyone) and the customers' people.
CREATORS = roles_with("requests.work") | roles_with("requests.raise")
#: Who may change a request of someone else in the organisation.
UPDATERS = roles_with("requests.work") | {Role.CUSTOMER_MANAGER}

_shops: dict[int, object] = {}


@pytest.fixture(autouse=True)
def _fresh_shops():
    _shops.clear()
    yield
    _shops.clear()


class RequestAPI:
    url = URL
    model = ServiceRequest

    def make_object(self, organisation):
        shop = self._shop(organisation)
        return shop.request(item=shop.mailbox)

    def _shop(self, organisation):
        if organisation.pk not in _shops:
            _shops[organisation.pk] = make_shop(organisation)
        return _shops[organisation.pk]

    def create_payload(self, organisation):
        shop = self._shop(organisation)
        colleague = PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER])
        return {
            "catalogue_item": shop.laptop.pk,
            "answers": GOOD_ANSWERS,
            "requester": colleague.pk,
            "description": "For the new starter in March.",
        }

    def update_payload(self, obj):
        return {"description": "For the new starter in April."}


class TestRequestReadCreate(RequestAPI, APIReadTests, APICreateTests):
    readers = READERS
    writers = CREATORS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.AGENT, Role.ADMINISTRATOR}
    invalid_create = [
        Invalid("answers.quantity", {"answers": {"cost_centre": "CC-1", "quantity": 9}}, "max"),
        Invalid("answers.cost_centre", {"answers": {"quantity": 1}}, "missing-required"),
        Invalid("answers.colour", {"answers": {**GOOD_ANSWERS, "colour": "red"}}, "unknown"),
        Invalid("catalogue_item", {"catalogue_item": 987654321}, "unknown-item"),
        Invalid("catalogue_item", {"catalogue_item": None}, "no-item"),
        Invalid("title", {"title": "x" * 201}, "title-too-long"),
        Invalid("status", {"status": "fulfilled"}, "status-on-creation"),
        Invalid("priority", {"priority": "P9"}, "unknown-priority"),
        Invalid("requester", {"requester": 987654321}, "unknown-requester"),
    ]


class TestRequestUpdate(RequestAPI, APIUpdateTests):
    readers = READERS
    writers = UPDATERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.AGENT, Role.ADMINISTRATOR}
    invalid_update = [
        Invalid("status", {"status": "exploded"}, "unknown-status"),
        Invalid("status", {"status": "closed"}, "refused-transition"),
        Invalid("status", {"status": "approved"}, "approval-is-a-decision"),
        Invalid("fulfilment_notes", {"status": "fulfilled"}, "fulfilled-without-notes"),
        Invalid("catalogue_item", {"catalogue_item": 987654321}, "item-unknown"),
    ]

    def writer(self, organisation):
        return person_for_role(Role.AGENT, organisation)


# --- creation -----------------------------------------------------------------------------------


def test_a_request_without_approval_starts_its_fulfilment_clocks(shop):
    client = api_client_for(shop.requester)
    response = client.post(URL, {"catalogue_item": shop.mailbox.pk, "answers": {}}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == "REQ-000001"
    assert body["status"] == "submitted" and body["title"] == "Shared mailbox"
    assert body["requester"] == shop.requester.pk and body["organisation"] == shop.customer.pk
    assert body["fulfilment_team"] == shop.team.pk
    # The customer sees their SLA's clock only; staff also see the team's OLA clock.
    assert [(c["kind"], c["metric"], c["state"]) for c in body["sla"]] == [
        ("sla", "fulfilment", "running")
    ]
    staff = api_client_for(shop.worker).get(f"{URL}{body['id']}/").json()
    assert sorted((c["kind"], c["state"]) for c in staff["sla"]) == [
        ("ola", "running"),
        ("sla", "running"),
    ]
    assert response.json() == client.get(f"{URL}{body['id']}/").json() | {
        "sla": response.json()["sla"]
    }


def test_answers_are_stored_normalised_with_the_form_they_answer(shop):
    response = api_client_for(shop.requester).post(
        URL,
        {"catalogue_item": shop.laptop.pk, "answers": {"cost_centre": "  CC-42 ", "quantity": 2}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["answers"] == {"cost_centre": "CC-42", "quantity": 2}
    stored = ServiceRequest.objects.get(pk=response.json()["id"])
    assert stored.form_snapshot == shop.laptop.form_schema


def test_an_item_not_offered_to_the_organisation_is_refused(shop):
    other = OrganisationFactory(kind="customer", code="GLOBEX")
    shop.laptop.audience = "chosen"
    shop.laptop.save()
    shop.laptop.organisations.set([other])
    with nothing_changed(ServiceRequest):
        response = api_client_for(shop.requester).post(
            URL, {"catalogue_item": shop.laptop.pk, "answers": GOOD_ANSWERS}, format="json"
        )
    body = assert_error_body(response, 400, "invalid", ["catalogue_item"])
    assert "does not exist" in body["errors"]["catalogue_item"][0]


def test_customers_request_for_their_own_organisation_only(shop):
    stranger = PersonFactory(
        organisation=OrganisationFactory(kind="customer", code="GLOBEX"),
        roles=[Role.CUSTOMER_USER],
    )
    with nothing_changed(ServiceRequest):
        response = api_client_for(shop.requester).post(
            URL,
            {"catalogue_item": shop.mailbox.pk, "answers": {}, "requester": stranger.pk},
            format="json",
        )
    assert_error_body(response, 400, "invalid", ["requester"])


def test_customers_do_not_set_the_priority(shop):
    with nothing_changed(ServiceRequest):
        response = api_client_for(shop.requester).post(
            URL, {"catalogue_item": shop.mailbox.pk, "answers": {}, "priority": "P1"}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["priority"])


# --- approvals ----------------------------------------------------------------------------------


def test_approval_flow_pauses_the_clock_and_is_audited(shop):
    mark = last_event_id()
    created = shop.request(now=berlin(2026, 3, 2, 9, 0))
    assert created.status == "awaiting_approval"
    approval = Approval.objects.get(request=created)
    assert approval.approver_role == Role.CUSTOMER_MANAGER
    # The manager is told, in the app and by mail; the requester is not asked.
    told = Notification.objects.filter(kind="request.approval_needed")
    assert [n.recipient for n in told] == [shop.manager]
    clocks = {c.agreement_kind: c for c in services.clocks.clocks_of(created)}
    assert clocks["sla"].state == ClockState.PAUSED

    client = api_client_for(shop.manager)
    assert [a["reference"] for a in client.get("/api/v1/approvals/").json()["results"]] == [
        created.reference
    ]
    decided = services.approval_decide(
        actor=shop.manager, request=created, approve=True, now=berlin(2026, 3, 2, 13, 0)
    )
    assert decided.status == "approved" and decided.approved_at == berlin(2026, 3, 2, 13, 0)
    clock = services.clocks.clocks_of(decided)[0]
    # Four hours waiting for approval do not count: 16 business hours from 13:00 Monday.
    assert clock.state == ClockState.RUNNING
    assert clock.due_at == berlin(2026, 3, 4, 13, 0)
    events = [(e.action, e.object_type) for e in events_since(mark)]
    assert ("create", "service_requests.servicerequest") in events
    assert ("transition", "service_requests.approval") in events
    assert ("transition", "service_requests.servicerequest") in events
    assert client.get("/api/v1/approvals/").json()["results"] == []


def test_approve_through_the_api_with_if_match(shop):
    created = shop.request()
    client = api_client_for(shop.manager)
    stale = client.post(
        f"{URL}{created.pk}/approvals/",
        {"decision": "approved"},
        format="json",
        HTTP_IF_MATCH='"99"',
    )
    assert stale.status_code == 412
    response = client.post(
        f"{URL}{created.pk}/approvals/",
        {"decision": "approved"},
        format="json",
        HTTP_IF_MATCH=f'"{created.version}"',
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "approved"
    assert [(a["decision"], a["decided_by"]) for a in body["approvals"]] == [
        ("approved", shop.manager.pk)
    ]
    audit = events_since(0)[-1]
    assert audit.door == Door.API and audit.actor_id == shop.manager.pk


def test_a_rejection_needs_a_reason_and_ends_the_request(shop):
    created = shop.request()
    client = api_client_for(shop.manager)
    with nothing_changed(ServiceRequest, created):
        response = client.post(
            f"{URL}{created.pk}/approvals/", {"decision": "rejected"}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["reason"])
    response = client.post(
        f"{URL}{created.pk}/approvals/",
        {"decision": "rejected", "reason": "Not in this year's budget."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["allowed_transitions"] == []
    assert {c.state for c in services.clocks.clocks_of(created)} == {ClockState.CANCELLED}


@pytest.mark.parametrize("who", ["worker", "colleague", "requester"])
def test_only_the_named_approver_decides(shop, who):
    created = shop.request()
    person = getattr(shop, who)
    with nothing_changed(ServiceRequest, created):
        response = api_client_for(person).post(
            f"{URL}{created.pk}/approvals/", {"decision": "approved"}, format="json"
        )
    # The colleague may not even see the request; the others are refused.
    expected = 404 if who == "colleague" else 403
    assert response.status_code == expected, response.json()
    assert Approval.objects.get(request=created).decision == "pending"


def test_a_manager_of_another_organisation_cannot_decide(shop):
    created = shop.request()
    elsewhere = make_shop(OrganisationFactory(kind="customer", code="GLOBEX"))
    response = api_client_for(elsewhere.manager).post(
        f"{URL}{created.pk}/approvals/", {"decision": "approved"}, format="json"
    )
    assert_error_body(response, 404, "not_found")


def test_a_manager_does_not_approve_their_own_request(shop):
    own = shop.request(actor=shop.manager)
    response = api_client_for(shop.manager).post(
        f"{URL}{own.pk}/approvals/", {"decision": "approved"}, format="json"
    )
    assert response.status_code == 403
    assert "own request" in response.json()["message"]


def test_reminders_go_out_once(shop):
    created = shop.request(now=berlin(2026, 3, 2, 9, 0))
    later = berlin(2026, 3, 3, 10, 0)
    assert services.approvals_remind(later) == 1
    assert services.approvals_remind(later + dt.timedelta(hours=1)) == 0
    asked = Notification.objects.filter(kind="request.approval_needed").order_by("pk")
    approval = Approval.objects.get(request=created)
    assert [(n.recipient, n.event_key.rsplit(":", 1)[-1]) for n in asked] == [
        (shop.manager, "asked"),
        (shop.manager, "reminder"),
    ]
    assert all(str(approval.pk) in n.event_key for n in asked)


def test_no_reminder_before_the_delay(shop):
    shop.request(now=berlin(2026, 3, 2, 9, 0))
    assert services.approvals_remind(berlin(2026, 3, 2, 20, 0)) == 0


def test_approval_time_counts_when_the_agreement_says_so(shop):
    from accord.agreements.models import Agreement

    Agreement.objects.filter(kind="sla").update(count_approval_time=True)
    created = shop.request(now=berlin(2026, 3, 2, 9, 0))
    clocks = {c.agreement_kind: c for c in services.clocks.clocks_of(created)}
    assert clocks["sla"].state == ClockState.RUNNING
    assert clocks["ola"].state == ClockState.PAUSED


# --- fulfilment ---------------------------------------------------------------------------------


def test_fulfilment_with_tasks_pending_customer_and_reopen(shop):
    created = shop.request(item=shop.mailbox)
    worker = api_client_for(shop.worker)
    task = worker.post(f"{URL}{created.pk}/tasks/", {"title": "Create mailbox"}, format="json")
    assert task.status_code == 201, task.json()
    task_id = task.json()["id"]
    response = worker.patch(f"{URL}{created.pk}/", {"assignee": shop.worker.pk}, format="json")
    assert response.json()["status"] == "in_fulfilment"
    refused = worker.patch(
        f"{URL}{created.pk}/",
        {"status": "fulfilled", "fulfilment_notes": "Created."},
        format="json",
    )
    body = assert_error_body(refused, 400, "invalid", ["status"])
    assert "Create mailbox" in body["errors"]["status"][0]
    assert body["allowed_transitions"] == ["pending_customer", "fulfilled", "cancelled"]
    pending = worker.patch(f"{URL}{created.pk}/", {"status": "pending_customer"}, format="json")
    assert pending.json()["status"] == "pending_customer"
    assert {c.state for c in services.clocks.clocks_of(created)} == {ClockState.PAUSED}
    # The requester's reply puts it back in fulfilment.
    reply = api_client_for(shop.requester).post(
        f"{URL}{created.pk}/comments/", {"body": "Name it team-sales."}, format="json"
    )
    assert reply.status_code == 201
    assert ServiceRequest.objects.get(pk=created.pk).status == "in_fulfilment"
    done = worker.patch(f"{URL}{created.pk}/tasks/{task_id}/", {"status": "done"}, format="json")
    assert done.status_code == 200 and done.json()["completed_by"] == shop.worker.pk
    fulfilled = worker.patch(
        f"{URL}{created.pk}/",
        {"status": "fulfilled", "fulfilment_notes": "Mailbox team-sales created."},
        format="json",
    )
    assert fulfilled.json()["status"] == "fulfilled"
    assert {c.stopped_at is not None for c in services.clocks.clocks_of(created)} == {True}
    requester = api_client_for(shop.requester)
    assert requester.get(f"{URL}{created.pk}/").json()["allowed_transitions"] == [
        "in_fulfilment",
        "closed",
    ]
    reopened = requester.patch(f"{URL}{created.pk}/", {"status": "in_fulfilment"}, format="json")
    assert reopened.json()["reopen_count"] == 1
    closed = worker.patch(
        f"{URL}{created.pk}/",
        {"status": "fulfilled", "fulfilment_notes": "Permissions fixed."},
        format="json",
    )
    assert closed.json()["status"] == "fulfilled"
    assert (
        requester.patch(f"{URL}{created.pk}/", {"status": "closed"}, format="json").json()["status"]
        == "closed"
    )


def test_customers_do_not_work_the_task_list(shop):
    created = shop.request(item=shop.mailbox)
    with nothing_changed(FulfilmentTask):
        response = api_client_for(shop.requester).post(
            f"{URL}{created.pk}/tasks/", {"title": "Sneak"}, format="json"
        )
    assert response.status_code == 403
    assert api_client_for(shop.requester).get(f"{URL}{created.pk}/tasks/").status_code == 200


def test_the_requester_cancels_a_waiting_request_and_the_approval_is_withdrawn(shop):
    created = shop.request()
    response = api_client_for(shop.requester).patch(
        f"{URL}{created.pk}/", {"status": "cancelled"}, format="json"
    )
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelled_at"] == response.json()["closed_at"] is not None
    assert Approval.objects.get(request=created).decision == "withdrawn"
    assert api_client_for(shop.manager).get("/api/v1/approvals/").json()["results"] == []


# --- visibility ---------------------------------------------------------------------------------


def test_customer_users_see_their_own_requests_and_managers_the_organisations(shop):
    mine = shop.request(item=shop.mailbox)
    theirs = shop.request(item=shop.mailbox, actor=shop.colleague)
    assert set(result_ids(api_client_for(shop.requester).get(URL))) == {mine.pk}
    assert set(result_ids(api_client_for(shop.manager).get(URL))) == {mine.pk, theirs.pk}
    assert_error_body(api_client_for(shop.requester).get(f"{URL}{theirs.pk}/"), 404, "not_found")


def test_customers_never_see_work_notes_or_the_ola(shop):
    created = shop.request(item=shop.mailbox)
    services.comment_add(
        actor=shop.worker, request=created, body="Internal: licence pool low", is_public=False
    )
    client = api_client_for(shop.requester)
    comments = client.get(f"{URL}{created.pk}/comments/").json()
    assert comments == []
    clocks = client.get(f"{URL}{created.pk}/sla-clocks/").json()
    assert [c["agreement_kind"] for c in clocks] == ["sla"]
    detail = client.get(f"{URL}{created.pk}/").content.decode()
    assert "licence pool" not in detail and "OLA-" not in detail


def test_list_queries_do_not_grow_with_rows(shop):
    client = api_client_for(shop.worker)

    def call():
        assert client.get(URL).status_code == 200

    def rows(n):
        made = [shop.request() for _ in range(n)]
        for request in made[: n // 2]:
            services.approval_decide(actor=shop.manager, request=request, approve=True)
        return made

    assert_constant_queries(call, rows)


def test_staff_list_filters(shop):
    waiting = shop.request()
    other = shop.request(item=shop.mailbox)
    client = api_client_for(shop.worker)
    assert result_ids(client.get(f"{URL}?status=awaiting_approval")) == [waiting.pk]
    assert result_ids(client.get(f"{URL}?catalogue_item={shop.mailbox.pk}")) == [other.pk]
    assert_error_body(client.get(f"{URL}?status=exploded"), 400, "invalid", ["status"])


def test_provider_roles_are_readers():
    assert PROVIDER_ROLES <= READERS
