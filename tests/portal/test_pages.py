"""The customer portal: who may use it, what it shows and hides, and every action it offers
(through the same services as the API, audited with the UI as the door)."""

from __future__ import annotations

import pytest
from django.test import Client

from accord.core.choices import Door, OrganisationKind, Role
from accord.incidents.models import Incident
from accord.service_requests import services
from accord.service_requests.models import ServiceRequest
from accord.tickets.models import Comment
from tests.base import (
    assert_constant_queries,
    events_since,
    last_event_id,
    nothing_changed,
)
from tests.factories import OrganisationFactory, PersonFactory, agent, provider
from tests.service_requests.conftest import Shop, make_shop


@pytest.fixture
def shop(db) -> Shop:
    return make_shop()


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def pages(shop: Shop) -> list[str]:
    request = shop.request(item=shop.mailbox)
    from tests.factories import make_incident

    incident = make_incident(actor=shop.requester, caller=shop.requester, service=shop.service)
    return [
        "/portal/",
        "/portal/tickets/",
        "/portal/catalogue/",
        f"/portal/catalogue/{shop.laptop.pk}/",
        f"/portal/requests/{request.pk}/",
        "/portal/incidents/new/",
        f"/portal/incidents/{incident.pk}/",
    ]


def test_every_page_opens_for_the_customer(shop):
    client = signed_in(shop.requester)
    for url in pages(shop):
        response = client.get(url)
        assert response.status_code == 200, url


def test_anonymous_people_are_sent_to_sign_in(shop):
    for url in pages(shop):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMINISTRATOR, Role.AUDITOR])
def test_provider_staff_are_told_the_portal_is_for_customers(shop, role):
    person = PersonFactory(organisation=provider(), roles=[role])
    client = signed_in(person)
    for url in pages(shop):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "for the people of our customers" in response.content.decode()


def test_a_supplier_has_no_portal(shop):
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER, code="ACME")
    person = PersonFactory(organisation=supplier, roles=[Role.CUSTOMER_USER])
    assert signed_in(person).get("/portal/").status_code == 403


def test_another_organisations_tickets_are_not_found(shop):
    urls = pages(shop)
    elsewhere = make_shop(OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="GLOBEX"))
    client = signed_in(elsewhere.manager)
    for url in urls[4:5] + urls[6:]:
        assert client.get(url).status_code == 404, url
    # Their catalogue item is offered to everyone, so it is found; a chosen one is not.
    shop.laptop.audience = "chosen"
    shop.laptop.save()
    shop.laptop.organisations.set([shop.customer])
    assert client.get(f"/portal/catalogue/{shop.laptop.pk}/").status_code == 404
    assert (
        f"/portal/catalogue/{shop.laptop.pk}/"
        not in client.get("/portal/catalogue/").content.decode()
    )


def test_users_see_their_own_tickets_and_managers_the_organisations(shop):
    mine = shop.request(item=shop.mailbox)
    theirs = shop.request(item=shop.mailbox, actor=shop.colleague)
    own = signed_in(shop.requester).get("/portal/tickets/").content.decode()
    assert mine.reference in own and theirs.reference not in own
    assert signed_in(shop.requester).get(f"/portal/requests/{theirs.pk}/").status_code == 404
    everyone = signed_in(shop.manager).get("/portal/tickets/").content.decode()
    assert mine.reference in everyone and theirs.reference in everyone
    assert "Our tickets" in everyone


# --- requesting ---------------------------------------------------------------------------------


def test_submitting_an_item_creates_the_request_through_the_ui(shop):
    mark = last_event_id()
    response = signed_in(shop.requester).post(
        f"/portal/catalogue/{shop.laptop.pk}/",
        {"a-cost_centre": "CC-7", "a-quantity": "1", "d-description": "New starter"},
    )
    created = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/requests/{created.pk}/"
    assert created.answers == {"cost_centre": "CC-7", "quantity": 1}
    assert created.status == "awaiting_approval" and created.description == "New starter"
    first = next(e for e in events_since(mark) if e.object_id == str(created.pk))
    assert (first.action, first.door) == ("create", Door.UI)
    page = signed_in(shop.requester).get(response["Location"]).content.decode()
    assert "Waiting for approval" in page and "CC-7" in page


def test_bad_answers_are_shown_and_nothing_is_made(shop):
    with nothing_changed(ServiceRequest):
        response = signed_in(shop.requester).post(
            f"/portal/catalogue/{shop.laptop.pk}/", {"a-cost_centre": "", "a-quantity": "9"}
        )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required." in body
    assert "5" in body  # the maximum is named


def test_a_broken_form_cannot_be_requested(shop):
    type(shop.laptop).objects.filter(pk=shop.laptop.pk).update(form_schema=[{"name": "X"}])
    client = signed_in(shop.requester)
    assert (
        "cannot be requested right now"
        in client.get(f"/portal/catalogue/{shop.laptop.pk}/").content.decode()
    )
    with nothing_changed(ServiceRequest):
        client.post(f"/portal/catalogue/{shop.laptop.pk}/", {"a-X": "1"})


def test_the_request_page_hides_what_is_internal(shop):
    request = shop.request(item=shop.mailbox)
    services.comment_add(
        actor=shop.worker, request=request, body="Internal: licence pool low", is_public=False
    )
    services.comment_add(actor=shop.worker, request=request, body="Which name should it have?")
    page = signed_in(shop.requester).get(f"/portal/requests/{request.pk}/").content.decode()
    assert "Which name should it have?" in page
    assert "licence pool" not in page
    assert "OLA-" not in page and "SLA-" not in page
    assert "We aim to have this done by" in page


def test_reply_confirm_and_reopen(shop):
    request = shop.request(item=shop.mailbox)
    services.request_transition(actor=shop.worker, request=request, to="pending_customer")
    client = signed_in(shop.requester)
    client.post(f"/portal/requests/{request.pk}/", {"body": "Call it team-sales."})
    request.refresh_from_db()
    assert request.status == "in_fulfilment"
    assert Comment.objects.filter(body="Call it team-sales.", by_provider=False).exists()
    services.request_transition(
        actor=shop.worker, request=request, to="fulfilled", fulfilment_notes="Created."
    )
    request.refresh_from_db()
    page = client.get(f"/portal/requests/{request.pk}/").content.decode()
    assert "Confirm: this is done" in page and "Not done yet: reopen" in page
    client.post(
        f"/portal/requests/{request.pk}/move/", {"to": "closed", "version": request.version}
    )
    request.refresh_from_db()
    assert request.status == "closed"


def test_a_stale_or_refused_move_changes_nothing(shop):
    request = shop.request(item=shop.mailbox)
    client = signed_in(shop.requester)
    with nothing_changed(ServiceRequest, request):
        response = client.post(f"/portal/requests/{request.pk}/move/", {"to": "fulfilled"})
    assert response.status_code == 302
    assert "cannot become fulfilled" in client.get(response["Location"]).content.decode()
    with nothing_changed(ServiceRequest, request):
        client.post(f"/portal/requests/{request.pk}/move/", {"to": "cancelled", "version": "9"})


def test_the_approver_decides_in_the_portal(shop):
    waiting = shop.request()
    client = signed_in(shop.manager)
    page = client.get("/portal/").content.decode()
    assert "1 request waits for your approval" in page
    assert f"/portal/requests/{waiting.pk}/" in page
    assert "Your decision" in client.get(f"/portal/requests/{waiting.pk}/").content.decode()
    # The requester is not asked to decide.
    own = signed_in(shop.requester).get(f"/portal/requests/{waiting.pk}/").content.decode()
    assert "Your decision" not in own
    with nothing_changed(ServiceRequest, waiting):
        refused = client.post(
            f"/portal/requests/{waiting.pk}/decide/", {"decision": "rejected", "reason": ""}
        )
    assert refused.status_code == 400
    assert "Say why the request is rejected." in refused.content.decode()
    mark = last_event_id()
    done = client.post(f"/portal/requests/{waiting.pk}/decide/", {"decision": "approved"})
    assert done.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "approved"
    assert {(e.action, e.door) for e in events_since(mark)} == {("transition", Door.UI)}


def test_the_requester_cannot_decide_through_the_portal(shop):
    waiting = shop.request()
    with nothing_changed(ServiceRequest, waiting):
        response = signed_in(shop.requester).post(
            f"/portal/requests/{waiting.pk}/decide/", {"decision": "approved"}
        )
    assert response.status_code == 403


# --- incidents ----------------------------------------------------------------------------------


def test_reporting_offers_only_services_under_agreement(shop):
    from tests.factories import ServiceFactory

    ServiceFactory(code="UNCOVERED", name="Uncovered service")
    page = signed_in(shop.requester).get("/portal/incidents/new/").content.decode()
    assert "Workplace" in page and "Uncovered service" not in page


def test_reporting_an_incident(shop):
    client = signed_in(shop.requester)
    response = client.post(
        "/portal/incidents/new/",
        {"service": shop.service.pk, "title": "Printer jams", "urgency": "1"},
    )
    incident = Incident.objects.get()
    assert response["Location"] == f"/portal/incidents/{incident.pk}/"
    assert incident.caller == shop.requester and incident.channel == "portal"
    assert incident.urgency == 1


def test_reporting_with_bad_input_changes_nothing(shop):
    with nothing_changed(Incident):
        response = signed_in(shop.requester).post(
            "/portal/incidents/new/", {"service": "987654", "title": ""}
        )
    assert response.status_code == 400


def test_confirming_a_resolution(shop):
    from accord.incidents import services as incidents

    worker = agent()
    incident = incidents.incident_create(
        actor=shop.requester, title="VPN drops", service=shop.service
    )
    incidents.incident_transition(
        actor=worker,
        incident=incident,
        to="resolved",
        resolution_code="remote",
        resolution_notes="Gateway restarted.",
    )
    incident.refresh_from_db()
    client = signed_in(shop.requester)
    page = client.get(f"/portal/incidents/{incident.pk}/").content.decode()
    assert "Gateway restarted." in page and "Confirm: it is solved" in page
    client.post(f"/portal/incidents/{incident.pk}/move/", {"to": "closed"})
    incident.refresh_from_db()
    assert incident.status == "closed"


def test_home_queries_do_not_grow_with_tickets(shop):
    client = signed_in(shop.manager)

    def call():
        assert client.get("/portal/").status_code == 200

    def rows(n):
        return [shop.request(item=shop.mailbox, answers={}) for _ in range(n)]

    assert_constant_queries(call, rows)
