"""REST API of configuration items, relationships, types and impact: the generic permission
tests plus the rules of each endpoint."""

from __future__ import annotations

import pytest

from accord.agreements.choices import AgreementStatus
from accord.core.choices import Role
from accord.portfolio.choices import CIRelationKind
from accord.portfolio.models import CIRelationship, CIType, ConfigurationItem
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIDeleteTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    captured_queries,
    nothing_changed,
    person_for_role,
    result_ids,
)
from tests.factories import (
    AgreementFactory,
    CITypeFactory,
    ConfigurationItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    provider,
)
from tests.portfolio.test_ci_helpers import CMDB_WRITERS, cmdb_manager, relate, rich_ci

URL = "/api/v1/configuration-items/"
REL_URL = "/api/v1/ci-relationships/"
TYPE_URL = "/api/v1/ci-types/"

pytestmark = pytest.mark.django_db


class TestConfigurationItemAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = ConfigurationItem
    readers = ALL_ROLES
    writers = CMDB_WRITERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.ADMINISTRATOR, Role.SERVICE_OWNER}
    invalid_create = [
        Invalid("name", {"name": ""}),
        Invalid("ci_type", {"ci_type": 987654321}, "unknown-type"),
        Invalid("ci_type", {"ci_type": None}, "no-type"),
        Invalid("status", {"status": "exploded"}),
        Invalid("organisation", {"organisation": 987654321}, "unknown-organisation"),
        Invalid("owner", {"owner": 987654321}, "unknown-owner"),
        Invalid("attributes", {"attributes": {"disk": {"size": 10}}}, "nested-attributes"),
        Invalid("attributes", {"attributes": [1, 2]}, "list-attributes"),
        Invalid("attributes", {"attributes": {"rack": None}}, "null-attribute"),
        Invalid("last_verified", {"last_verified": "yesterday"}),
    ]
    invalid_update = [
        Invalid("name", {"name": ""}),
        Invalid("name", {"name": "x" * 201}, "name-too-long"),
        Invalid("status", {"status": "exploded"}),
        Invalid("attributes", {"attributes": "cpu=4"}, "text-attributes"),
        Invalid("attributes", {"attributes": {"": 1}}, "empty-attribute-name"),
        Invalid("ci_type", {"ci_type": None}),
        Invalid("owner", {"owner": "someone"}),
    ]

    def make_object(self, organisation):
        return ConfigurationItemFactory(organisation=organisation)

    def make_rows(self, organisation, n):
        return [rich_ci(organisation) for _ in range(n)]

    def create_payload(self, organisation):
        return {
            "name": "mail-01",
            "ci_type": CITypeFactory().pk,
            "organisation": organisation.pk,
            "status": "in_use",
            "attributes": {"cpu": 8, "os": "Debian", "ha": False, "load": 0.5},
            "last_verified": "2026-03-01",
        }

    def update_payload(self, obj):
        return {"name": "mail-02", "status": "maintenance", "attributes": {"cpu": 16}}


def test_name_is_unique_per_organisation_not_globally(customer_org, other_customer_org):
    ConfigurationItemFactory(organisation=customer_org, name="db-01")
    client = api_client_for(cmdb_manager())
    payload = {"name": "db-01", "ci_type": CITypeFactory().pk, "organisation": customer_org.pk}
    with nothing_changed(ConfigurationItem):
        response = client.post(URL, payload, format="json")
    body = assert_error_body(response, 400, "invalid", ["name"])
    assert "already has" in body["errors"]["name"][0]
    payload["organisation"] = other_customer_org.pk
    assert client.post(URL, payload, format="json").status_code == 201


def test_owner_of_another_customer_is_refused(customer_org, other_customer_org):
    stranger = PersonFactory(organisation=other_customer_org)
    payload = {
        "name": "app",
        "ci_type": CITypeFactory().pk,
        "organisation": customer_org.pk,
        "owner": stranger.pk,
    }
    with nothing_changed(ConfigurationItem):
        response = api_client_for(cmdb_manager()).post(URL, payload, format="json")
    assert_error_body(response, 400, "invalid", ["owner"])


def test_customer_lists_only_their_organisations_cis(customer_org, other_customer_org):
    mine = ConfigurationItemFactory(organisation=customer_org)
    ConfigurationItemFactory(organisation=other_customer_org)
    ConfigurationItemFactory()  # the provider's
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    assert result_ids(api_client_for(person).get(URL)) == [mine.pk]


def test_filters(customer_org, other_customer_org):
    owner = PersonFactory(organisation=customer_org)
    db_type = CITypeFactory(code="DB", name="Database")
    db = ConfigurationItemFactory(
        organisation=customer_org, ci_type=db_type, owner=owner, description="Orders database"
    )
    server = ConfigurationItemFactory(organisation=other_customer_org, status="retired")
    client = api_client_for(cmdb_manager())
    assert result_ids(client.get(URL, {"ci_type": db_type.pk})) == [db.pk]
    assert result_ids(client.get(URL, {"type": "db"})) == [db.pk]
    assert result_ids(client.get(URL, {"status": "retired"})) == [server.pk]
    assert result_ids(client.get(URL, {"organisation": other_customer_org.pk})) == [server.pk]
    assert result_ids(client.get(URL, {"owner": owner.pk})) == [db.pk]
    assert result_ids(client.get(URL, {"q": "orders"})) == [db.pk]
    service = ServiceFactory()
    service.configuration_items.add(server)
    assert result_ids(client.get(URL, {"service": service.pk})) == [server.pk]
    assert_error_body(client.get(URL, {"status": "melted"}), 400, "invalid", ["status"])


def test_moving_a_ci_moves_its_outgoing_relationships(customer_org, other_customer_org):
    ci = ConfigurationItemFactory(organisation=customer_org)
    rel = relate(ci, CIRelationKind.RUNS_ON, ConfigurationItemFactory())
    client = api_client_for(cmdb_manager())
    response = client.patch(
        f"{URL}{ci.pk}/", {"organisation": other_customer_org.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    rel.refresh_from_db()
    assert rel.organisation_id == other_customer_org.pk


def test_per_organisation_manager_cannot_move_a_ci_elsewhere(customer_org, other_customer_org):
    """A role held for one organisation does not reach another one's records."""
    ci = ConfigurationItemFactory(organisation=customer_org)
    person = PersonFactory(organisation=provider())
    person.role_assignments.create(role=Role.SERVICE_OWNER, organisation=customer_org)
    with nothing_changed(ConfigurationItem, ci):
        response = api_client_for(person).patch(
            f"{URL}{ci.pk}/", {"organisation": other_customer_org.pk}, format="json"
        )
    assert_error_body(response, 403, "permission_denied")


# --- Relationships ------------------------------------------------------------------------------


class TestCIRelationshipAPI(APIReadTests, APICreateTests, APIDeleteTests):
    url = REL_URL
    model = CIRelationship
    readers = ALL_ROLES
    writers = CMDB_WRITERS
    versioned = False
    outsider_roles = CUSTOMER_ROLE_SET | {Role.ADMINISTRATOR}
    invalid_create = [
        Invalid("kind", {"kind": "loves"}),
        Invalid("target", {"target": 987654321}, "unknown-target"),
        Invalid("source", {"source": None}, "no-source"),
    ]

    def make_object(self, organisation):
        return relate(
            ConfigurationItemFactory(organisation=organisation),
            CIRelationKind.RUNS_ON,
            ConfigurationItemFactory(organisation=organisation),
        )

    def make_rows(self, organisation, n):
        return [
            relate(rich_ci(organisation), CIRelationKind.PART_OF, rich_ci(organisation))
            for _ in range(n)
        ]

    def create_payload(self, organisation):
        return {
            "source": ConfigurationItemFactory(organisation=organisation).pk,
            "kind": "depends_on",
            "target": ConfigurationItemFactory(organisation=organisation).pk,
        }


def test_relationship_to_itself_is_refused(customer_org):
    ci = ConfigurationItemFactory(organisation=customer_org)
    payload = {"source": ci.pk, "kind": "runs_on", "target": ci.pk}
    with nothing_changed(CIRelationship):
        response = api_client_for(cmdb_manager()).post(REL_URL, payload, format="json")
    assert_error_body(response, 400, "invalid", ["target"])


def test_duplicate_relationship_is_refused(customer_org):
    a, b = ConfigurationItemFactory.create_batch(2, organisation=customer_org)
    relate(a, CIRelationKind.RUNS_ON, b)
    payload = {"source": a.pk, "kind": "runs_on", "target": b.pk}
    with nothing_changed(CIRelationship):
        response = api_client_for(cmdb_manager()).post(REL_URL, payload, format="json")
    assert_error_body(response, 400, "invalid", ["target"])
    # The same pair with another kind is a different relationship.
    payload["kind"] = "connects_to"
    assert api_client_for(cmdb_manager()).post(REL_URL, payload, format="json").status_code == 201


def test_relationship_takes_the_organisation_of_its_source(customer_org):
    app = ConfigurationItemFactory(organisation=customer_org)
    server = ConfigurationItemFactory()  # the provider's
    payload = {"source": app.pk, "kind": "runs_on", "target": server.pk}
    response = api_client_for(cmdb_manager()).post(REL_URL, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["organisation"] == customer_org.pk
    assert response.json()["target_name"] == server.name


def test_customer_cannot_relate_to_a_ci_they_cannot_see(customer_org, other_customer_org):
    """Even holding cmdb.manage for their organisation, the other end must be visible."""
    person = PersonFactory(organisation=customer_org, roles=[Role.SERVICE_OWNER])
    mine = ConfigurationItemFactory(organisation=customer_org)
    theirs = ConfigurationItemFactory(organisation=other_customer_org)
    payload = {"source": mine.pk, "kind": "runs_on", "target": theirs.pk}
    with nothing_changed(CIRelationship):
        response = api_client_for(person).post(REL_URL, payload, format="json")
    assert_error_body(response, 400, "invalid", ["target"])


def test_relationships_with_a_hidden_end_are_not_listed(customer_org):
    mine = ConfigurationItemFactory(organisation=customer_org)
    inner = relate(
        mine, CIRelationKind.CONNECTS_TO, ConfigurationItemFactory(organisation=customer_org)
    )
    relate(mine, CIRelationKind.RUNS_ON, ConfigurationItemFactory())  # on a provider server
    person = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    assert result_ids(api_client_for(person).get(REL_URL)) == [inner.pk]


def test_relationship_filters(customer_org):
    a, b, c = ConfigurationItemFactory.create_batch(3, organisation=customer_org)
    ab = relate(a, CIRelationKind.RUNS_ON, b)
    cb = relate(c, CIRelationKind.PART_OF, b)
    client = api_client_for(cmdb_manager())
    assert result_ids(client.get(REL_URL, {"source": a.pk})) == [ab.pk]
    assert sorted(result_ids(client.get(REL_URL, {"ci": b.pk}))) == sorted([ab.pk, cb.pk])
    assert result_ids(client.get(REL_URL, {"kind": "part_of"})) == [cb.pk]


# --- Types --------------------------------------------------------------------------------------


class TestCITypeAPI(APIReadTests, APICreateTests):
    url = TYPE_URL
    model = CIType
    readers = ALL_ROLES
    writers = CMDB_WRITERS
    versioned = False
    outsider_roles = ()  # types are shared data, not any organisation's records
    invalid_create = [
        Invalid("code", {"code": "two words"}),
        Invalid("code", {"code": ""}, "no-code"),
        Invalid("name", {"name": ""}),
    ]

    def make_object(self, organisation):
        return CITypeFactory(code=f"T{CIType.objects.count()}", name="Load balancer")

    def create_payload(self, organisation):
        return {"code": "ROUTER", "name": "Router", "description": "Layer-3 device"}


def test_duplicate_type_code_is_refused():
    CITypeFactory(code="ROUTER")
    with nothing_changed(CIType):
        response = api_client_for(cmdb_manager()).post(
            TYPE_URL, {"code": "ROUTER", "name": "Another"}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["code"])


# --- Impact -------------------------------------------------------------------------------------


def impact_url(ci):
    return f"{URL}{ci.pk}/impact/"


@pytest.fixture
def landscape(customer_org, other_customer_org):
    """A provider server running one application for each of two customers, each customer
    with an active SLA on their own service."""
    server = ConfigurationItemFactory(name="srv-01")
    app_a = ConfigurationItemFactory(organisation=customer_org, name="erp-a")
    app_b = ConfigurationItemFactory(organisation=other_customer_org, name="erp-b")
    relate(app_a, CIRelationKind.RUNS_ON, server)
    relate(app_b, CIRelationKind.RUNS_ON, server)
    svc_a, svc_b = ServiceFactory(code="ERPA"), ServiceFactory(code="ERPB")
    svc_a.configuration_items.add(app_a)
    svc_b.configuration_items.add(app_b)
    portal = ServiceFactory(code="PORTAL")
    portal.depends_on.add(svc_a)
    sla_a = AgreementFactory(organisation=customer_org, services=[svc_a])
    sla_b = AgreementFactory(organisation=other_customer_org, services=[svc_b])
    AgreementFactory(services=[portal], status=AgreementStatus.DRAFT)
    return {
        "server": server,
        "apps": (app_a, app_b),
        "services": (svc_a, svc_b, portal),
        "slas": (sla_a, sla_b),
    }


def test_impact_for_the_provider(landscape, customer_org, other_customer_org):
    person = person_for_role(Role.CHANGE_MANAGER, customer_org)
    response = api_client_for(person).get(impact_url(landscape["server"]))
    assert response.status_code == 200, response.json()
    body = response.json()
    app_a, app_b = landscape["apps"]
    svc_a = landscape["services"][0]
    assert body["ci"] == landscape["server"].pk
    assert [(c["id"], c["depth"], c["kind"], c["via"]) for c in body["cis"]] == [
        (app_a.pk, 1, "runs_on", landscape["server"].pk),
        (app_b.pk, 1, "runs_on", landscape["server"].pk),
    ]
    assert body["cis"][0]["path"] == [landscape["server"].pk, app_a.pk]
    services = {s["code"]: s for s in body["services"]}
    assert set(services) == {"ERPA", "ERPB", "PORTAL"}
    assert (services["PORTAL"]["depth"], services["PORTAL"]["via"]) == (1, svc_a.pk)
    assert services["ERPA"]["cis"] == [app_a.pk]
    customers = {c["id"]: c for c in body["customers"]}
    assert set(customers) == {customer_org.pk, other_customer_org.pk}
    assert customers[customer_org.pk]["agreements"] == [landscape["slas"][0].pk]
    assert body["hidden_cis"] == 0


def test_impact_for_a_customer_shows_only_their_share(landscape, customer_org):
    """The customer cannot see the provider's server, so its impact is 404; from their own
    application they see their services and themselves, never the other customer."""
    person = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    client = api_client_for(person)
    assert_error_body(client.get(impact_url(landscape["server"])), 404, "not_found")
    app_a, _ = landscape["apps"]
    db = ConfigurationItemFactory(organisation=customer_org, name="db-a")
    relate(app_a, CIRelationKind.DEPENDS_ON, db)
    relate(ConfigurationItemFactory(name="backup"), CIRelationKind.DEPENDS_ON, db)  # hidden
    body = client.get(impact_url(db)).json()
    assert [c["id"] for c in body["cis"]] == [app_a.pk]
    assert body["hidden_cis"] == 1
    assert [s["code"] for s in body["services"]] == [
        "ERPA"
    ]  # PORTAL is affected, not theirs to see
    assert [c["id"] for c in body["customers"]] == [customer_org.pk]


def test_impact_hides_other_customers_and_their_services(landscape, customer_org):
    _, app_b = landscape["apps"]
    shared = ConfigurationItemFactory(organisation=customer_org, name="shared-switch")
    relate(shared, CIRelationKind.CONNECTS_TO, app_b)
    # connects-to works both ways: if the switch fails, app_b (another customer's) fails.
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    body = api_client_for(person).get(impact_url(shared)).json()
    assert body["cis"] == []
    assert body["hidden_cis"] == 1
    assert body["services"] == []
    assert body["customers"] == []


def test_impact_of_another_customers_ci_is_404(customer_org, other_customer_org):
    ci = ConfigurationItemFactory(organisation=customer_org)
    for role in (Role.CUSTOMER_USER, Role.ADMINISTRATOR):
        person = PersonFactory(organisation=other_customer_org, roles=[role])
        assert_error_body(api_client_for(person).get(impact_url(ci)), 404, "not_found")


def test_impact_anonymous_is_401(customer_org):
    ci = ConfigurationItemFactory(organisation=customer_org)
    from rest_framework.test import APIClient

    assert_error_body(APIClient().get(impact_url(ci)), 401, "not_authenticated")


def test_impact_queries_do_not_grow_with_the_graph(customer_org):
    origin = ConfigurationItemFactory(organisation=customer_org)
    person = person_for_role(Role.ADMINISTRATOR, customer_org)
    tip = [origin]

    def grow(n):
        for _ in range(n):
            ci = rich_ci(customer_org)
            relate(ci, CIRelationKind.DEPENDS_ON, tip[0])
            tip[0] = ci
            service = ServiceFactory()
            service.configuration_items.add(ci)
            AgreementFactory(services=[service], organisation=OrganisationFactory())

    def call():
        response = api_client_for(person).get(impact_url(origin))
        assert response.status_code == 200

    assert_constant_queries(call, grow)
    assert len(api_client_for(person).get(impact_url(origin)).json()["cis"]) >= 9


def test_impact_is_one_recursive_query_plus_scoped_lookups(customer_org):
    origin = rich_ci(customer_org)
    person = person_for_role(Role.ADMINISTRATOR, customer_org)
    client = api_client_for(person)
    client.get(impact_url(origin))
    queries = captured_queries(lambda: client.get(impact_url(origin)))
    assert sum("RECURSIVE" in q.upper() for q in queries) == 1


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (URL, {"ci_type": 2**70}),
        (URL, {"organisation": 2**70}),
        (URL, {"owner": 2**70}),
        (URL, {"service": 2**70}),
        (REL_URL, {"ci": 2**70}),
    ],
)
def test_huge_ids_in_filters_are_bad_input_not_server_errors(url, params, customer_org):
    response = api_client_for(cmdb_manager()).get(url, params)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert result_ids(response) == []


@pytest.mark.parametrize("field", ["ci_type", "organisation", "owner"])
def test_huge_ids_in_payloads_are_400(field, customer_org):
    payload = {"name": "x", "ci_type": CITypeFactory().pk, "organisation": customer_org.pk}
    payload[field] = 2**70
    with nothing_changed(ConfigurationItem):
        response = api_client_for(cmdb_manager()).post(URL, payload, format="json")
    assert_error_body(response, 400, "invalid", [field])


def test_impact_of_a_huge_or_unknown_id_is_404(customer_org):
    client = api_client_for(cmdb_manager())
    assert_error_body(client.get(f"{URL}987654321/impact/"), 404, "not_found")
