"""The outages API: who reads and records outages, what customers see of them, the actions of
an outage's life (restore, close, cancel, exclusions, investigation) with their permission
edges and If-Match, and outages raised from incidents and changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.availability.models import Investigation, Outage, OutageExclusion
from accord.availability.services import outage_create
from accord.core.choices import Role
from accord.incidents.services import incident_transition
from tests.availability.factories import OutageFactory, sla_with_availability
from tests.base import (
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_error_body,
    nothing_changed,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.changes.factories import ChangeFactory
from tests.factories import OrganisationFactory, ServiceFactory, make_incident, person_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/outages/"
READERS = roles_with("availability.view") | roles_with("availability.status")
RECORDERS = roles_with("outages.record")
MANAGERS = roles_with("availability.manage")


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def ago(**kwargs: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(**kwargs)


def customer_service(organisation):
    """A live service the customer has under an active SLA."""
    service = ServiceFactory()
    sla_with_availability([service], organisation=organisation)
    return service


def test_the_role_map_matches_the_issue():
    assert {Role.AVAILABILITY_MANAGER, Role.INCIDENT_MANAGER, Role.CHANGE_MANAGER} <= RECORDERS
    assert Role.SERVICE_OWNER in RECORDERS
    assert Role.SERVICE_LEVEL_MANAGER in MANAGERS and Role.SERVICE_LEVEL_MANAGER not in RECORDERS
    assert Role.AUDITOR in READERS and Role.AUDITOR not in RECORDERS | MANAGERS
    assert not (RECORDERS & CUSTOMER_ROLE_SET)


class TestOutageAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Outage
    readers = READERS
    writers = RECORDERS
    query_count_role = Role.AVAILABILITY_MANAGER
    invalid_create = [
        Invalid("title", {"title": ""}, "empty title"),
        Invalid("end", {"end": iso(ago(hours=4))}, "end before start"),
        Invalid("weight", {"severity": "degraded"}, "degraded without weight"),
        Invalid("start", {"start": iso(ago(hours=-2)), "end": None}, "unplanned in the future"),
        Invalid("start", {"start": "2026-11-01T10:00:00"}, "naive datetime"),
    ]
    invalid_update = [
        Invalid("title", {"title": ""}, "empty title"),
        Invalid("end", {"end": iso(ago(days=3))}, "end before start"),
        Invalid("end", {"end": "2026-11-01T10:00:00"}, "naive datetime"),
    ]

    def make_object(self, organisation):
        # A short restored outage: no investigation is due, so a save writes one event.
        start = ago(hours=2)
        return OutageFactory(
            service=customer_service(organisation),
            start=start,
            end=start + dt.timedelta(minutes=20),
        )

    def make_rows(self, organisation, n):
        rows = []
        for index in range(n):
            outage = self.make_object(organisation)
            OutageFactory(service=outage.service, customers=[organisation])
            agreement = outage.service.agreements.first()
            OutageExclusion.objects.create(
                outage=outage,
                agreement=agreement,
                reason="agreed_exception",
                note=f"Agreed {index}",
                recorded_at=timezone.now(),
            )
            rows.append(outage)
        return rows

    def create_payload(self, organisation):
        start = ago(hours=3)
        return {
            "service": customer_service(organisation).pk,
            "title": "Mail does not arrive",
            "kind": "unplanned",
            "start": iso(start),
            "end": iso(start + dt.timedelta(minutes=20)),
        }

    def update_payload(self, obj):
        return {"title": "Mail stopped for everyone"}


# --- what each side sees ------------------------------------------------------------------------


def test_customers_read_the_status_view_only(customer_org):
    outage = TestOutageAPI().make_object(customer_org)
    Outage.objects.filter(pk=outage.pk).update(cause="A disk filled up", description="Secret")
    person = person_with_role(Role.CUSTOMER_USER, organisation=customer_org)
    body = api_client_for(person).get(f"{URL}{outage.pk}/").json()
    assert body["reference"] == outage.reference
    assert body["state"] == "restored"
    for hidden in ("cause", "description", "investigation", "exclusions", "recorded_by"):
        assert hidden not in body
    staff = api_client_for(person_with_role(Role.AUDITOR)).get(f"{URL}{outage.pk}/").json()
    assert staff["cause"] == "A disk filled up"
    assert staff["state_label"] == "Restored"
    assert staff["duration_seconds"] == 1200.0
    assert staff["closing_blockers"] == []


def test_an_outage_limited_to_another_customer_is_hidden_from_this_one(
    customer_org, other_customer_org
):
    service = customer_service(customer_org)
    sla_with_availability([service], organisation=other_customer_org)
    theirs = OutageFactory(service=service, customers=[other_customer_org])
    everyone = OutageFactory(service=service)
    client = api_client_for(person_with_role(Role.CUSTOMER_MANAGER, organisation=customer_org))
    ids = result_ids(client.get(URL))
    assert everyone.pk in ids and theirs.pk not in ids
    assert_error_body(client.get(f"{URL}{theirs.pk}/"), 404, "not_found")


def test_filters_by_state_kind_service_customer_and_text(customer_org, other_customer_org):
    service = customer_service(customer_org)
    restored = OutageFactory(service=service, title="Mail outage")
    ongoing = OutageFactory(service=service, start=ago(minutes=30), end=None)
    upcoming = OutageFactory(
        service=service, kind="planned", start=ago(hours=-24), end=ago(hours=-26)
    )
    closed = OutageFactory(service=service, closed_at=timezone.now())
    cancelled = OutageFactory(service=service, cancelled_at=timezone.now())
    elsewhere = OutageFactory(customers=[other_customer_org])
    client = api_client_for(person_with_role(Role.AUDITOR))

    def ids(**query):
        return set(result_ids(client.get(URL, query)))

    assert ids(state="restored", service=service.pk) == {restored.pk}
    assert ids(state="ongoing") == {ongoing.pk}
    assert ids(state="upcoming") == {upcoming.pk}
    assert ids(state="closed") == {closed.pk}
    assert ids(state="cancelled") == {cancelled.pk}
    assert ids(kind="planned") == {upcoming.pk}
    assert ids(q="mail out") == {restored.pk}
    assert elsewhere.pk not in ids(customer=customer_org.pk)
    assert ids(customer=other_customer_org.pk) >= {elsewhere.pk, restored.pk}
    assert ids(start_after=iso(ago(hours=1))) == {ongoing.pk, upcoming.pk}
    assert upcoming.pk not in ids(start_before=iso(timezone.now()))
    assert_error_body(client.get(URL, {"state": "sideways"}), 400, "invalid", ["state"])


def test_list_is_newest_first(customer_org):
    service = customer_service(customer_org)
    old = OutageFactory(service=service, start=ago(days=3))
    new = OutageFactory(service=service, start=ago(hours=3))
    client = api_client_for(person_with_role(Role.AVAILABILITY_MANAGER))
    ids = result_ids(client.get(URL, {"service": service.pk}))
    assert ids == [new.pk, old.pk]


# --- actions --------------------------------------------------------------------------------------


def recorded(service, *, hours: float = 2, end: bool = True, kind: str = "unplanned") -> Outage:
    """An outage recorded through the service (so investigations open as they would)."""
    start = ago(hours=hours + 1)
    data = {"title": "Portal down", "service": service, "kind": kind, "start": start}
    if end:
        data["end"] = start + dt.timedelta(hours=hours)
    return outage_create(actor=None, data=data)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SERVICE_OWNER, True),
        (Role.INCIDENT_MANAGER, True),
        (Role.SERVICE_LEVEL_MANAGER, False),
        (Role.CUSTOMER_USER, False),
    ],
)
def test_restore_is_for_recorders(role, allowed, customer_org):
    outage = recorded(customer_service(customer_org), end=False)
    client = api_client_for(person_for_role(role, customer_org))
    url = f"{URL}{outage.pk}/restore/"
    if not allowed:
        with nothing_changed(Outage, outage):
            body = assert_error_body(client.post(url, {}, format="json"), 403)
        assert "record outages" in body["message"]
        return
    end = ago(minutes=10)
    response = client.post(url, {"end": iso(end)}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "restored"
    assert Outage.objects.get(pk=outage.pk).end == end
    assert response["ETag"] == f'"{outage.version + 1}"'


def test_restore_with_stale_if_match_is_412(customer_org):
    outage = recorded(customer_service(customer_org), end=False)
    client = api_client_for(person_with_role(Role.AVAILABILITY_MANAGER))
    with nothing_changed(Outage, outage):
        response = client.post(
            f"{URL}{outage.pk}/restore/", {}, format="json", HTTP_IF_MATCH='"99"'
        )
    assert_error_body(response, 412, "stale_version")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.AVAILABILITY_MANAGER, True),
        (Role.SERVICE_LEVEL_MANAGER, True),
        (Role.INCIDENT_MANAGER, False),
        (Role.SERVICE_OWNER, False),
        (Role.CUSTOMER_MANAGER, False),
    ],
)
def test_close_and_cancel_are_for_availability_management(role, allowed, customer_org):
    service = customer_service(customer_org)
    short = recorded(service, hours=0.25)
    other = recorded(service, hours=0.25)
    client = api_client_for(person_for_role(role, customer_org))
    if not allowed:
        with nothing_changed(Outage, short, other):
            closing = client.post(f"{URL}{short.pk}/close/", {"notes": "ok"}, format="json")
            cancelling = client.post(f"{URL}{other.pk}/cancel/", {"reason": "x"}, format="json")
        assert "availability or service level manager" in assert_error_body(closing, 403)["message"]
        assert_error_body(cancelling, 403, "permission_denied")
        return
    closing = client.post(
        f"{URL}{short.pk}/close/",
        {"notes": "Fine"},
        format="json",
        HTTP_IF_MATCH=f'"{short.version}"',
    )
    assert closing.status_code == 200, closing.json()
    assert closing.json()["state"] == "closed"
    assert closing.json()["closure_notes"] == "Fine"
    cancelling = client.post(
        f"{URL}{other.pk}/cancel/", {"reason": "Recorded twice"}, format="json"
    )
    assert cancelling.status_code == 200, cancelling.json()
    assert cancelling.json()["state"] == "cancelled"
    # Evidence no longer changes.
    again = client.patch(f"{URL}{short.pk}/", {"title": "Other"}, format="json")
    assert again.status_code in (400, 403)


def test_cancel_needs_a_reason_and_close_needs_restoration(customer_org):
    service = customer_service(customer_org)
    ongoing = recorded(service, end=False)
    client = api_client_for(person_with_role(Role.AVAILABILITY_MANAGER))
    with nothing_changed(Outage, ongoing):
        cancel = client.post(f"{URL}{ongoing.pk}/cancel/", {"reason": " "}, format="json")
        close = client.post(f"{URL}{ongoing.pk}/close/", {}, format="json")
        stale = client.post(f"{URL}{ongoing.pk}/close/", {}, format="json", HTTP_IF_MATCH='"7"')
    assert_error_body(cancel, 400, "invalid", ["reason"])
    body = assert_error_body(close, 400, "invalid", ["non_field_errors"])
    assert "not restored" in body["errors"]["non_field_errors"][0]
    assert_error_body(stale, 412, "stale_version")


def test_exclusions_are_added_and_removed_by_availability_management(customer_org):
    service = customer_service(customer_org)
    agreement = service.agreements.get()
    outage = recorded(service, hours=0.25)
    url = f"{URL}{outage.pk}/exclusions/"
    payload = {"agreement": agreement.pk, "reason": "customer_caused", "note": "Their firewall"}
    recorder = api_client_for(person_with_role(Role.INCIDENT_MANAGER))
    assert_error_body(recorder.post(url, payload, format="json"), 403, "permission_denied")
    customer = api_client_for(person_with_role(Role.CUSTOMER_MANAGER, organisation=customer_org))
    assert_error_body(customer.post(url, payload, format="json"), 403, "permission_denied")
    assert not OutageExclusion.objects.exists()

    manager = api_client_for(person_with_role(Role.SERVICE_LEVEL_MANAGER))
    assert_error_body(
        manager.post(url, {**payload, "note": ""}, format="json"), 400, "invalid", ["note"]
    )
    response = manager.post(url, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["agreement_code"] == agreement.code
    exclusion_id = response.json()["id"]
    detail = manager.get(f"{URL}{outage.pk}/").json()
    assert [e["id"] for e in detail["exclusions"]] == [exclusion_id]

    assert_error_body(recorder.delete(f"{url}{exclusion_id}/"), 403, "permission_denied")
    assert_error_body(manager.delete(f"{url}987654/"), 404, "not_found")
    assert manager.delete(f"{url}{exclusion_id}/").status_code == 204
    assert not OutageExclusion.objects.exists()


def test_investigation_of_a_long_outage_must_be_completed_before_closing(customer_org):
    outage = recorded(customer_service(customer_org), hours=2)
    investigation = Investigation.objects.get(outage=outage)
    manager = api_client_for(person_with_role(Role.AVAILABILITY_MANAGER))
    url = f"{URL}{outage.pk}/investigation/"

    detail = manager.get(f"{URL}{outage.pk}/").json()
    assert detail["investigation"]["id"] == investigation.pk
    assert any("investigation" in reason for reason in detail["closing_blockers"])
    assert_error_body(manager.post(f"{URL}{outage.pk}/close/", {}, format="json"), 400)

    customer = api_client_for(person_with_role(Role.CUSTOMER_USER, organisation=customer_org))
    assert_error_body(customer.get(url), 404, "not_found")
    recorder = api_client_for(person_with_role(Role.INCIDENT_MANAGER))
    assert recorder.get(url).status_code == 200
    assert_error_body(
        recorder.patch(url, {"findings": "x"}, format="json"), 403, "permission_denied"
    )
    assert_error_body(
        manager.post(f"{url}complete/", {}, format="json"), 400, "invalid", ["findings"]
    )
    etag = manager.get(url)["ETag"]
    words = {"findings": "Disk full", "root_cause": "No rotation", "actions": "Rotate logs"}
    saved = manager.patch(url, words, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200, saved.json()
    assert saved.json()["root_cause"] == "No rotation"
    stale = manager.patch(url, {"findings": "Other"}, format="json", HTTP_IF_MATCH=etag)
    assert_error_body(stale, 412, "stale_version")
    done = manager.post(f"{url}complete/", {}, format="json", HTTP_IF_MATCH=saved["ETag"])
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
    closed = manager.post(f"{URL}{outage.pk}/close/", {}, format="json")
    assert closed.status_code == 200, closed.json()
    assert closed.json()["closing_blockers"] == ["The outage is already closed or cancelled."]


def test_an_outage_without_investigation_answers_404(customer_org):
    outage = recorded(customer_service(customer_org), hours=0.25)
    manager = api_client_for(person_with_role(Role.AVAILABILITY_MANAGER))
    assert_error_body(manager.get(f"{URL}{outage.pk}/investigation/"), 404, "not_found")


# --- raised from incidents and changes ----------------------------------------------------------


def test_from_incident_follows_the_incident_resolution(customer_org):
    service = customer_service(customer_org)
    opened = ago(hours=1)
    incident = make_incident(
        actor=None, service=service, organisation=customer_org, title="Portal down", now=opened
    )
    customer = api_client_for(person_with_role(Role.CUSTOMER_USER, organisation=customer_org))
    assert_error_body(
        customer.post(f"{URL}from-incident/", {"incident": incident.pk}, format="json"), 403
    )
    manager = api_client_for(person_with_role(Role.INCIDENT_MANAGER))
    response = manager.post(
        f"{URL}from-incident/", {"incident": incident.pk, "cause": "Bad deploy"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["incident"], body["service"], body["title"]) == (
        incident.pk,
        service.pk,
        "Portal down",
    )
    assert body["cause"] == "Bad deploy"
    assert body["end"] is None and body["state"] == "ongoing"
    assert body["follows_incident"] is True
    again = manager.post(f"{URL}from-incident/", {"incident": incident.pk}, format="json")
    assert_error_body(again, 400, "invalid")

    resolved = ago(minutes=5)
    incident_transition(
        actor=person_with_role(Role.INCIDENT_MANAGER),
        incident=incident,
        to="resolved",
        resolution_code="permanent",
        resolution_notes="Rolled back",
        now=resolved,
    )
    after = manager.get(f"{URL}{body['id']}/").json()
    assert after["end"] is not None
    assert dt.datetime.fromisoformat(after["end"]) == resolved
    assert after["state"] == "restored"


def test_from_change_records_one_planned_outage_per_service(customer_org):
    first, second = customer_service(customer_org), customer_service(customer_org)
    change = ChangeFactory(services=[first, second])
    customer = api_client_for(person_with_role(Role.CUSTOMER_USER, organisation=customer_org))
    with nothing_changed(Outage):
        refused = customer.post(f"{URL}from-change/", {"change": change.pk}, format="json")
    assert_error_body(refused, 403, "permission_denied")
    manager = api_client_for(person_with_role(Role.CHANGE_MANAGER))
    response = manager.post(f"{URL}from-change/", {"change": change.pk}, format="json")
    assert response.status_code == 201, response.json()
    rows = response.json()
    assert sorted(row["service"] for row in rows) == sorted([first.pk, second.pk])
    assert {row["kind"] for row in rows} == {"planned"}
    assert {row["state"] for row in rows} == {"upcoming"}
    assert {dt.datetime.fromisoformat(row["start"]) for row in rows} == {change.planned_start}
    again = manager.post(f"{URL}from-change/", {"change": change.pk}, format="json")
    assert_error_body(again, 400, "invalid")


def test_unknown_incident_or_change_is_a_field_error():
    manager = api_client_for(person_with_role(Role.AVAILABILITY_MANAGER))
    assert_error_body(
        manager.post(f"{URL}from-incident/", {"incident": 987654}, format="json"),
        400,
        "invalid",
        ["incident"],
    )
    assert_error_body(
        manager.post(f"{URL}from-change/", {"change": 987654}, format="json"),
        400,
        "invalid",
        ["change"],
    )


def test_an_outsider_cannot_act_on_an_outage_it_cannot_see(customer_org):
    outage = TestOutageAPI().make_object(customer_org)
    stranger = OrganisationFactory(kind="customer")
    client = api_client_for(person_with_role(Role.CUSTOMER_MANAGER, organisation=stranger))
    for action in ("restore", "close", "cancel", "exclusions"):
        assert_error_body(
            client.post(f"{URL}{outage.pk}/{action}/", {}, format="json"), 404, "not_found"
        )
