"""Service request pages through the generic page bases (every role, other organisations,
anonymous, stale saves, bad input, constant queries), and the workspace's own promises: queues,
filters, sorting, keyset pages, SLA badges, and the navigation entries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from accord.core.choices import Role
from accord.service_requests import services
from accord.service_requests.models import ServiceRequest
from accord.service_requests.views import workspace
from accord.service_requests.views.support import QUEUES
from tests.base import (
    ALL_ROLES,
    FormPageTests,
    Invalid,
    ListPageTests,
    RecordPageTests,
    assert_constant_queries,
    count_queries_in,
    person_for_role,
    roles_with,
)
from tests.factories import OrganisationFactory, PersonFactory, agent
from tests.service_requests.test_pages_support import (
    forget_shops,
    request_for,
    rich_request,
    rows_of,
    shop_for,
    text,
)

pytestmark = pytest.mark.django_db

LIST = "/requests/"
QUEUE = "/approvals/"
#: A customer user sees only what they asked for: their own rows are tested on their own.
NOT_CUSTOMER_USER = tuple(r for r in ALL_ROLES if r != Role.CUSTOMER_USER)
#: Who changes a colleague's request through the edit form.
EDITORS = roles_with("requests.work") | {Role.CUSTOMER_MANAGER}


@pytest.fixture(autouse=True)
def _fresh_shops():
    forget_shops()
    yield
    forget_shops()


def request_counts(queries) -> list[str]:
    """``COUNT(*)`` statements over requests (the bell's unread count is not the list's)."""
    return [q for q in count_queries_in(queries) if "service_requests_" in q]


# --- the generic page bases ---------------------------------------------------------------------


class TestRequestListPage(ListPageTests):
    all_roles = NOT_CUSTOMER_USER
    page_roles = NOT_CUSTOMER_USER

    def url(self, obj):
        return f"{LIST}?queue=all"

    def make_object(self, organisation):
        return request_for(organisation, title="Toner <black> & paper")

    def make_rows(self, organisation, n):
        return [rich_request(organisation, i) for i in range(n)]

    def shows(self, obj):
        return [obj.reference, obj.title, "Shared mailbox"]


class TestRequestPage(RecordPageTests):
    all_roles = NOT_CUSTOMER_USER
    page_roles = NOT_CUSTOMER_USER

    def url(self, obj):
        return f"/requests/{obj.pk}/"

    def make_object(self, organisation):
        return request_for(organisation, laptop=True, title="Laptop <15 inch> & bag")

    def shows(self, obj):
        return [obj.reference, obj.title, "Cost centre", "CC-42", "How many", "SLA fulfilment"]


class TestRequestEditPage(FormPageTests):
    model = ServiceRequest
    all_roles = NOT_CUSTOMER_USER
    page_roles = EDITORS
    # A customer's person holding a staff role sees no other organisation's request.
    outsider_role = Role.AGENT
    invalid_form = [
        Invalid("title", {"title": " "}),
        Invalid("priority", {"priority": "P9"}),
        Invalid("assignee", {"assignee": "999999"}, "unknown-assignee"),
        Invalid("version", {"version": "abc"}, "tampered"),
    ]

    def url(self, obj):
        return f"/requests/{obj.pk}/edit/"

    def make_object(self, organisation):
        return request_for(organisation)

    def form_data(self, obj):
        return {
            "title": "Shared mailbox for the sales team",
            "description": "sales@ please",
            "priority": obj.priority,
            "fulfilment_team": obj.fulfilment_team_id or "",
            "assignee": "",
            "version": obj.version,
        }


class TestApprovalQueuePage(ListPageTests):
    page_roles = ALL_ROLES
    query_count_role = Role.CUSTOMER_MANAGER

    def url(self, obj):
        return QUEUE

    def make_object(self, organisation):
        return request_for(organisation, laptop=True)

    def make_rows(self, organisation, n):
        return [request_for(organisation, laptop=True) for _ in range(n)]


# --- who sees what ------------------------------------------------------------------------------


def test_customer_user_sees_their_own_requests_only(client, customer_org):
    shop = shop_for(customer_org)
    mine = request_for(customer_org)
    theirs = shop.request(item=shop.mailbox, actor=shop.colleague)
    client.force_login(shop.requester)
    response = client.get(LIST)
    assert response.status_code == 200
    assert rows_of(response) == [mine.reference]
    assert 'data-testid="queues"' not in text(response)
    assert client.get(f"/requests/{mine.pk}/").status_code == 200
    assert client.get(f"/requests/{theirs.pk}/").status_code == 404
    assert client.get(f"/requests/{theirs.pk}/edit/").status_code == 404
    # Their own request: they may add to the description, nothing else.
    page = client.get(f"/requests/{mine.pk}/edit/")
    assert page.status_code == 200
    assert set(page.context["form"].fields) == {"description", "version"}


def test_customer_manager_sees_the_organisations_requests(client, customer_org):
    shop = shop_for(customer_org)
    mine = request_for(customer_org)
    theirs = shop.request(item=shop.mailbox, actor=shop.colleague)
    elsewhere = request_for(OrganisationFactory(kind="customer", code="ELSE", name="Else"))
    client.force_login(shop.manager)
    response = client.get(LIST)
    assert rows_of(response) == [theirs.reference, mine.reference]
    assert elsewhere.reference not in text(response)
    assert client.get(f"/requests/{elsewhere.pk}/").status_code == 404


def test_a_supplier_may_not_open_the_list(client):
    supplier = OrganisationFactory(kind="supplier", code="SUP", name="Supplier")
    client.force_login(PersonFactory(organisation=supplier, roles=[]))
    response = client.get(LIST)
    assert response.status_code == 403
    assert "not part of your role" in text(response)
    # The approval queue is for anyone signed in: empty when they approve nothing.
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert "Nothing waits for your approval." in text(response)


def test_read_only_list_for_provider_oversight(client, customer_org):
    made = request_for(customer_org)
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    response = client.get(LIST)
    assert response.status_code == 200
    content = text(response)
    assert 'data-testid="queues"' not in content and 'data-testid="read-only"' in content
    assert rows_of(response) == [made.reference]


@override_settings()
def test_navigation_shows_requests_and_approvals_next_to_incidents(client, customer_org):
    shop = shop_for(customer_org)
    for person in (shop.worker, shop.requester, person_for_role(Role.AUDITOR, customer_org)):
        client.force_login(person)
        content = text(client.get("/"))
        assert '>Incidents</a><a href="/requests/" >Requests</a><a href="/approvals/" >' in content
    supplier = OrganisationFactory(kind="supplier", code="SUP", name="Supplier")
    client.force_login(PersonFactory(organisation=supplier, roles=[]))
    content = text(client.get("/"))
    assert 'href="/requests/"' not in content and 'href="/approvals/"' not in content


# --- the workspace ------------------------------------------------------------------------------


def _in_every_queue(made: ServiceRequest, me) -> None:
    """Assigned to ``me`` (or nobody), in ``me``'s team, due within the hour."""
    if me is not None:
        made = services.request_update(actor=me, request=made, data={"assignee": me})
    ServiceRequest.objects.filter(pk=made.pk).update(
        sla_due_at=timezone.now() + dt.timedelta(minutes=30)
    )


@pytest.mark.parametrize("queue", list(QUEUES))
def test_every_queue_runs_constant_queries_without_counting(queue, client, customer_org):
    shop = shop_for(customer_org)
    me = shop.worker
    client.force_login(me)

    def grow(n):
        for _ in range(n):
            made = request_for(customer_org, laptop=queue == "approval")
            if queue != "approval":
                _in_every_queue(made, None if queue == "unassigned" else me)

    def call():
        response = client.get(LIST, {"queue": queue})
        assert response.status_code == 200
        return response

    queries = assert_constant_queries(call, grow)
    assert request_counts(queries) == []
    assert len(rows_of(call())) == 9


def test_queues_hold_what_they_say(client, customer_org):
    shop = shop_for(customer_org)
    me = shop.worker
    other_team_worker = agent(username="oscar")
    mine = request_for(customer_org)
    mine = services.request_update(actor=me, request=mine, data={"assignee": me})
    unassigned = request_for(customer_org)
    waiting = request_for(customer_org, laptop=True)
    theirs = request_for(customer_org)
    theirs = services.request_update(
        actor=me, request=theirs, data={"assignee": other_team_worker, "fulfilment_team": None}
    )
    ServiceRequest.objects.filter(pk=unassigned.pk).update(
        sla_due_at=timezone.now() + dt.timedelta(minutes=10)
    )
    client.force_login(me)

    def queue(name):
        return set(rows_of(client.get(LIST, {"queue": name})))

    assert queue("mine") == {mine.reference}
    assert rows_of(client.get(LIST)) == [mine.reference]  # "My work" is the default
    assert queue("teams") == {mine.reference, unassigned.reference, waiting.reference}
    assert queue("unassigned") == {unassigned.reference}
    assert queue("approval") == {waiting.reference}
    assert unassigned.reference in queue("breaching")
    assert theirs.reference not in queue("breaching")
    assert queue("all") == {r.reference for r in (mine, unassigned, waiting, theirs)}


def test_filters_sorts_and_bad_input(client, customer_org):
    shop = shop_for(customer_org)
    client.force_login(shop.worker)
    mailbox = request_for(customer_org, title="Sales mailbox")
    laptop = request_for(customer_org, laptop=True, title="Laptop for Ann")
    base = {"queue": "all"}
    assert rows_of(client.get(LIST, {**base, "status": "awaiting_approval"})) == [laptop.reference]
    assert rows_of(client.get(LIST, {**base, "q": "sales"})) == [mailbox.reference]
    assert rows_of(client.get(LIST, {**base, "q": mailbox.reference})) == [mailbox.reference]
    assert rows_of(client.get(LIST, {**base, "catalogue_item": shop.laptop.pk})) == [
        laptop.reference
    ]
    assert set(rows_of(client.get(LIST, {**base, "service": shop.service.pk}))) == {
        mailbox.reference,
        laptop.reference,
    }
    assert len(rows_of(client.get(LIST, {**base, "fulfilment_team": shop.team.pk}))) == 2
    assert (
        rows_of(client.get(LIST, {**base, "organisation": customer_org.pk, "priority": "P1"})) == []
    )
    assert rows_of(client.get(LIST, {**base, "assignee": shop.worker.pk})) == []
    # Sorted by due first, the laptop (paused while it waits for approval) comes last or first
    # by its stored due instant; every row is there.
    assert set(rows_of(client.get(LIST, {**base, "sort": "due"}))) == {
        mailbox.reference,
        laptop.reference,
    }
    for bad in ({"status": "lost"}, {"service": "999999"}, {"sort": "title"}, {"queue": "nope"}):
        response = client.get(LIST, {**base, **bad})
        assert response.status_code == 400, bad
        assert 'data-testid="problems"' in text(response)
    response = client.get(LIST, {**base, "cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "no longer valid" in text(response)


def test_customers_may_not_sort_by_the_providers_due_instant(client, customer_org):
    shop = shop_for(customer_org)
    request_for(customer_org)
    client.force_login(shop.requester)
    response = client.get(LIST, {"sort": "due"})
    assert response.status_code == 400
    assert "cannot be sorted by" in text(response)
    # The routing filters are the provider's.
    assert set(response.context["filter"].filters) == {
        "q",
        "status",
        "priority",
        "service",
        "catalogue_item",
    }


def test_keyset_pages_walk_forwards_and_back(client, customer_org, monkeypatch):
    monkeypatch.setattr(workspace, "PER_PAGE", 2)
    shop = shop_for(customer_org)
    made = [request_for(customer_org) for _ in range(5)]
    newest_first = [r.reference for r in reversed(made)]
    client.force_login(shop.worker)
    first = client.get(LIST, {"queue": "all"})
    assert rows_of(first) == newest_first[:2]
    second = client.get(LIST + first.context["next_url"])
    assert rows_of(second) == newest_first[2:4]
    third = client.get(LIST + second.context["next_url"])
    assert rows_of(third) == newest_first[4:]
    assert third.context["next_url"] == ""
    back = client.get(LIST + third.context["previous_url"])
    assert rows_of(back) == newest_first[2:4]


def test_sla_badges_show_the_most_urgent_clock_each_may_see(client, customer_org):
    shop = shop_for(customer_org)
    request_for(customer_org)
    client.force_login(shop.worker)
    staff_view = text(client.get(LIST, {"queue": "all"}))
    assert 'data-testid="sla-badge"' in staff_view
    # The team's OLA (8 h) falls due before the customer's SLA (16 h).
    assert "OLA fulfilment" in staff_view
    client.force_login(shop.requester)
    customer_view = text(client.get(LIST))
    assert 'data-testid="sla-badge"' in customer_view
    assert "SLA fulfilment" in customer_view
    assert "OLA" not in customer_view


@pytest.mark.parametrize("role", [Role.CUSTOMER_MANAGER, Role.AUDITOR])
def test_read_only_lists_run_constant_queries(role, client, customer_org):
    client.force_login(person_for_role(role, customer_org))

    def call():
        response = client.get(LIST)
        assert response.status_code == 200
        return response

    queries = assert_constant_queries(
        call, lambda n: [rich_request(customer_org, i) for i in range(n)]
    )
    assert request_counts(queries) == []
    assert len(rows_of(call())) == 9
