"""REST API of services: the generic permission tests plus lifecycle moves, customers, filters."""

from __future__ import annotations

import pytest

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.core.choices import Door, Role
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
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
from tests.factories import (
    AgreementFactory,
    CatalogueItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    service_owner,
)
from tests.portfolio.test_service_support import covered_service, rich_service
from tests.transitions.factories import ready_transition

URL = "/api/v1/services/"
WRITERS = roles_with("portfolio.manage")

BAD_FIELDS = [
    Invalid("code", {"code": "two words"}),
    Invalid("name", {"name": ""}),
    Invalid("owner", {"owner": 987654321}, "unknown-owner"),
    Invalid("criticality", {"criticality": "extreme"}),
    Invalid("links", {"links": [{"label": "x", "url": "javascript:alert(1)"}]}, "script-link"),
    Invalid("links", {"links": [{"label": "ftp", "url": "ftp://files.example.test/"}]}, "ftp"),
    Invalid("links", {"links": "everything"}, "links-not-a-list"),
    Invalid("next_review", {"next_review": "soon"}),
    Invalid("depends_on", {"depends_on": [987654321]}, "unknown-dependency"),
    Invalid("owning_team", {"owning_team": 987654321}, "unknown-team"),
    Invalid("status", {"status": "live"}, "status-is-not-written-here"),
]


class TestServiceAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Service
    readers = ALL_ROLES
    writers = WRITERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.ADMINISTRATOR, Role.SERVICE_OWNER}
    invalid_create = BAD_FIELDS
    invalid_update = BAD_FIELDS

    def make_object(self, organisation):
        return covered_service(organisation)

    def make_rows(self, organisation, n):
        return [rich_service(organisation) for _ in range(n)]

    def create_payload(self, organisation):
        return {"code": "MAIL", "name": "E-mail", "owner": service_owner().pk}

    def update_payload(self, obj):
        return {"name": "Renamed service", "criticality": "high"}


def test_customer_list_queries_do_not_grow_with_rows(customer_org):
    person = person_for_role(Role.CUSTOMER_USER, customer_org)

    def call():
        assert api_client_for(person).get(URL).status_code == 200

    assert_constant_queries(call, lambda n: [rich_service(customer_org) for _ in range(n)])


def test_create_sets_everything_and_starts_in_the_pipeline(admin_person):
    dependency = ServiceFactory()
    team = TeamFactory()
    payload = {
        "code": "ERP",
        "name": "ERP",
        "owner": service_owner().pk,
        "owning_team": team.pk,
        "depends_on": [dependency.pk],
        "links": [{"label": "Status", "url": "https://status.example.test/erp"}],
        "next_review": "2027-03-01",
    }
    response = api_client_for(admin_person).post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pipeline"
    assert body["depends_on"] == [dependency.pk]
    assert body["links"] == payload["links"]
    assert body["next_review"] == "2027-03-01"


def test_owner_without_the_service_owner_role_is_refused(admin_person):
    person = PersonFactory(roles=[Role.AGENT])
    payload = {"code": "MAIL", "name": "Mail", "owner": person.pk}
    with nothing_changed(Service):
        response = api_client_for(admin_person).post(URL, payload, format="json")
    body = assert_error_body(response, 400, "invalid", ["owner"])
    assert "not a service owner" in body["errors"]["owner"][0]


def test_team_of_a_customer_is_refused(admin_person, customer_org):
    service = covered_service(customer_org)
    team = TeamFactory(organisation=customer_org)
    with nothing_changed(Service, service):
        response = api_client_for(admin_person).patch(
            f"{URL}{service.pk}/", {"owning_team": team.pk}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["owning_team"])


def test_self_dependency_and_cycle_are_refused(admin_person):
    a, b = ServiceFactory(code="A1"), ServiceFactory(code="B1")
    b.depends_on.set([a])
    client = api_client_for(admin_person)
    with nothing_changed(Service, a):
        response = client.patch(f"{URL}{a.pk}/", {"depends_on": [a.pk]}, format="json")
    assert_error_body(response, 400, "invalid", ["depends_on"])
    with nothing_changed(Service, a):
        response = client.patch(f"{URL}{a.pk}/", {"depends_on": [b.pk]}, format="json")
    body = assert_error_body(response, 400, "invalid", ["depends_on"])
    assert "A1 → B1 → A1" in body["errors"]["depends_on"][0]


# --- Transitions ---------------------------------------------------------------------------------


def _transition(client, service, to, **headers):
    return client.post(f"{URL}{service.pk}/transition/", {"to": to}, format="json", **headers)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_transition_by_role(role, customer_org):
    service = covered_service(customer_org, status=ServiceStatus.PIPELINE)
    AgreementFactory(organisation=customer_org, services=[service])  # customers see it too
    person = person_for_role(role, customer_org)
    client = api_client_for(person)
    if role not in WRITERS:
        with nothing_changed(Service, service):
            response = _transition(client, service, "live")
        visible = role not in CUSTOMER_ROLE_SET  # pipeline services are hidden from customers
        assert_error_body(
            response, *((403, "permission_denied") if visible else (404, "not_found"))
        )
        return
    ready_transition(service=service)
    mark = last_event_id()
    response = _transition(client, service, "live")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "live"
    assert response.json()["live_since"]
    assert response["ETag"] == f'"{service.version + 1}"'
    events = [e for e in events_since(mark) if e.object_type == "portfolio.service"]
    assert [(e.action, e.door, e.changes["status"]) for e in events] == [
        ("transition", Door.API, ["pipeline", "live"])
    ]


def test_transition_honours_if_match(admin_person):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    ready_transition(service=service)
    client = api_client_for(admin_person)
    with nothing_changed(Service, service):
        response = _transition(client, service, "live", HTTP_IF_MATCH='"7"')
    body = assert_error_body(response, 412, "stale_version")
    assert body["current_version"] == service.version
    response = _transition(client, service, "live", HTTP_IF_MATCH=f'"{service.version}"')
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "payload", [{"to": "pipeline"}, {"to": "deleted"}, {}], ids=["backwards", "unknown", "none"]
)
def test_transition_refused_is_400(admin_person, payload):
    service = ServiceFactory(status=ServiceStatus.LIVE)
    with nothing_changed(Service, service):
        response = api_client_for(admin_person).post(
            f"{URL}{service.pk}/transition/", payload, format="json"
        )
    assert_error_body(response, 400, "invalid", ["to"])


def test_retiring_under_an_active_agreement_is_refused_naming_it(admin_person, customer_org):
    service = covered_service(customer_org)
    agreement = service.agreements.get()
    with nothing_changed(Service, service):
        response = _transition(api_client_for(admin_person), service, "retired")
    body = assert_error_body(response, 400, "invalid", ["to"])
    assert agreement.code in body["errors"]["to"][0]


def test_other_customer_cannot_transition(customer_org, other_customer_org):
    service = covered_service(customer_org)
    person = PersonFactory(organisation=other_customer_org, roles=[Role.ADMINISTRATOR])
    with nothing_changed(Service, service):
        response = _transition(api_client_for(person), service, "retired")
    assert_error_body(response, 404, "not_found")


# --- Customers and scope ------------------------------------------------------------------------


def test_customers_are_the_organisations_of_non_draft_slas(admin_person, customer_org):
    service = covered_service(customer_org)
    draft_org = OrganisationFactory()
    AgreementFactory(organisation=draft_org, status=AgreementStatus.DRAFT, services=[service])
    ola_org = OrganisationFactory()
    AgreementFactory(organisation=ola_org, kind=AgreementKind.OLA, services=[service])
    expired_org = OrganisationFactory()
    AgreementFactory(organisation=expired_org, status=AgreementStatus.EXPIRED, services=[service])
    response = api_client_for(admin_person).get(f"{URL}{service.pk}/customers/")
    assert response.status_code == 200
    assert {c["id"] for c in response.json()} == {customer_org.pk, expired_org.pk}


def test_a_customer_sees_only_itself_among_the_customers(customer_org, other_customer_org):
    service = covered_service(customer_org)
    AgreementFactory(organisation=other_customer_org, services=[service])
    person = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    response = api_client_for(person).get(f"{URL}{service.pk}/customers/")
    assert [c["id"] for c in response.json()] == [customer_org.pk]


def test_customer_sees_covered_and_offered_services_only(customer_org, other_customer_org):
    covered = covered_service(customer_org)
    offered = ServiceFactory(status=ServiceStatus.LIVE)
    CatalogueItemFactory(service=offered)
    theirs = covered_service(other_customer_org)
    draft_only = ServiceFactory(status=ServiceStatus.LIVE)
    AgreementFactory(organisation=customer_org, status=AgreementStatus.DRAFT, services=[draft_only])
    pipeline = covered_service(customer_org, status=ServiceStatus.PIPELINE)
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    client = api_client_for(person)
    assert sorted(result_ids(client.get(URL))) == sorted([covered.pk, offered.pk])
    for hidden in (theirs, draft_only, pipeline):
        assert_error_body(client.get(f"{URL}{hidden.pk}/"), 404, "not_found")


def test_dependencies_a_customer_may_not_see_are_not_listed(customer_org):
    service = covered_service(customer_org)
    hidden = ServiceFactory(status=ServiceStatus.PIPELINE)
    shown = covered_service(customer_org)
    service.depends_on.set([hidden, shown])
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    body = api_client_for(person).get(f"{URL}{service.pk}/").json()
    assert body["depends_on"] == [shown.pk]


def test_filters(admin_person):
    owner = service_owner()
    team = TeamFactory()
    a = ServiceFactory(status=ServiceStatus.LIVE, criticality="high", owner=owner, name="Alpha")
    b = ServiceFactory(status=ServiceStatus.PIPELINE, owning_team=team, summary="payroll runs")
    c = ServiceFactory(status=ServiceStatus.RETIRED, criticality="low")
    client = api_client_for(admin_person)
    assert result_ids(client.get(URL, {"status": "pipeline"})) == [b.pk]
    assert result_ids(client.get(URL, {"criticality": "high"})) == [a.pk]
    assert result_ids(client.get(URL, {"owner": owner.pk})) == [a.pk]
    assert result_ids(client.get(URL, {"owning_team": team.pk})) == [b.pk]
    assert result_ids(client.get(URL, {"q": "PAYROLL"})) == [b.pk]
    assert result_ids(client.get(URL, {"status": "retired"})) == [c.pk]
    assert_error_body(client.get(URL, {"status": "gone"}), 400, "invalid", ["status"])
    assert_error_body(client.get(URL, {"owner": 987654321}), 400, "invalid", ["owner"])


def test_schema_describes_every_service_field_and_endpoint(admin_person):
    response = api_client_for(admin_person).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    props = schema["components"]["schemas"]["Service"]["properties"]
    undocumented = [name for name, spec in props.items() if not spec.get("description")]
    assert undocumented == []
    paths = [p for p in schema["paths"] if p.startswith("/api/v1/services/")]
    for path in paths:
        for method, operation in schema["paths"][path].items():
            if method != "parameters":
                assert operation.get("description"), (path, method)
    assert "/api/v1/services/{id}/transition/" in paths
    assert "/api/v1/services/import/" in paths
