"""REST API of the catalogue: the generic permission tests, the item rules through the API,
filters, and the answer check of an item's request form."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accord.core.choices import OrganisationKind, Role
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import CatalogueItem
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
    nothing_changed,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    provider,
)
from tests.portfolio.test_catalogue_services import SAMPLE_FORM, offered_item

URL = "/api/v1/catalogue-items/"
CATALOGUE_MANAGERS = roles_with("catalogue.manage")
BAD_FORM = [{"name": "a", "label": "A", "type": "choice"}]


class TestCatalogueItemAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = CatalogueItem
    readers = ALL_ROLES
    writers = CATALOGUE_MANAGERS
    # A customer of another organisation, whatever role they hold, never sees an item offered
    # only to the first one.
    outsider_roles = CUSTOMER_ROLE_SET | {Role.ADMINISTRATOR, Role.SERVICE_OWNER, Role.AGENT}
    invalid_create = [
        Invalid("service", {"service": 987654321}, "unknown-service"),
        Invalid("service", {"service": None}, "no-service"),
        Invalid("name", {"name": ""}),
        Invalid("audience", {"audience": "everyone"}),
        Invalid("organisations", {"organisations": []}, "chosen-without-organisations"),
        Invalid("organisations", {"organisations": [987654321]}, "unknown-organisation"),
        Invalid("approver_role", {"approver_role": ""}, "approval-without-role"),
        Invalid("approver_role", {"approver_role": "pope"}, "unknown-role"),
        Invalid("fulfilment_team", {"fulfilment_team": 987654321}, "unknown-team"),
        Invalid("target_fulfilment", {"target_fulfilment": "soon"}, "bad-duration"),
        Invalid("target_fulfilment", {"target_fulfilment": "-01:00:00"}, "negative-duration"),
        Invalid("form_schema", {"form_schema": BAD_FORM}, "choice-without-choices"),
        Invalid("form_schema", {"form_schema": {"name": "a"}}, "form-not-a-list"),
    ]
    invalid_update = [
        Invalid("name", {"name": ""}),
        Invalid("organisations", {"organisations": []}, "chosen-without-organisations"),
        Invalid("approver_role", {"approver_role": "auditor"}, "auditor-approves"),
        Invalid("approver_role", {"approval_required": False, "approver_role": "agent"}),
        Invalid("form_schema", {"form_schema": [{"name": "x", "label": "X", "type": "blob"}]}),
        Invalid("is_active", {"is_active": "maybe"}),
    ]

    def make_object(self, organisation):
        return offered_item(organisation)

    def make_rows(self, organisation, n):
        rows = [offered_item(organisation) for _ in range(n)]
        for row in rows:
            row.organisations.add(OrganisationFactory())
        return rows

    def create_payload(self, organisation):
        return {
            "service": ServiceFactory().pk,
            "name": "New laptop",
            "description": "The standard laptop.",
            "audience": "chosen",
            "organisations": [organisation.pk],
            "form_schema": SAMPLE_FORM,
            "fulfilment_team": TeamFactory(organisation=provider()).pk,
            "approval_required": True,
            "approver_role": "customer_manager",
            "target_fulfilment": "08:00:00",
        }

    def update_payload(self, obj):
        return {"name": "Renamed laptop", "target_fulfilment": "1 02:00:00"}


def test_create_returns_the_item_as_stored(admin_person, customer_org):
    payload = TestCatalogueItemAPI().create_payload(customer_org)
    response = api_client_for(admin_person).post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    item = CatalogueItem.objects.get(pk=body["id"])
    assert body["form_schema"] == SAMPLE_FORM == item.form_schema
    assert body["organisations"] == [customer_org.pk]
    assert body["target_fulfilment"] == "08:00:00"
    assert body["service_name"] == item.service.name
    assert item.target_fulfilment.total_seconds() == 8 * 3600


def test_create_for_a_retired_service_is_refused(admin_person, customer_org):
    payload = TestCatalogueItemAPI().create_payload(customer_org)
    payload["service"] = ServiceFactory(status=ServiceStatus.RETIRED).pk
    with nothing_changed(CatalogueItem):
        response = api_client_for(admin_person).post(URL, payload, format="json")
    body = assert_error_body(response, 400, "invalid", ["service"])
    assert "live service" in body["errors"]["service"][0]


def test_create_for_a_pipeline_service_prepares_it_unpublished(admin_person, customer_org):
    payload = TestCatalogueItemAPI().create_payload(customer_org)
    payload["service"] = ServiceFactory(status=ServiceStatus.PIPELINE).pk
    response = api_client_for(admin_person).post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["is_active"] is False


def test_bad_form_definition_errors_name_the_entry(admin_person, customer_org):
    payload = TestCatalogueItemAPI().create_payload(customer_org)
    payload["form_schema"] = [*SAMPLE_FORM, {"name": "quantity", "label": "Again", "type": "x"}]
    with nothing_changed(CatalogueItem):
        response = api_client_for(admin_person).post(URL, payload, format="json")
    body = assert_error_body(response, 400, "invalid", ["form_schema"])
    assert body["errors"]["form_schema"] == [
        "Field 7 (\"quantity\"): the name 'quantity' is already used by field 3.",
        "Field 7 (\"quantity\"): the type 'x' is unknown (one of: text, textarea, number, date, "
        "boolean, choice, multichoice, email).",
    ]


def test_supplier_organisation_cannot_be_chosen(admin_person, customer_org):
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER)
    payload = TestCatalogueItemAPI().create_payload(customer_org)
    payload["organisations"] = [supplier.pk]
    with nothing_changed(CatalogueItem):
        response = api_client_for(admin_person).post(URL, payload, format="json")
    assert_error_body(response, 400, "invalid", ["organisations"])


def test_duplicate_name_in_a_service_is_refused(admin_person, customer_org):
    item = offered_item(customer_org)
    payload = TestCatalogueItemAPI().create_payload(customer_org)
    payload.update(service=item.service_id, name=item.name)
    with nothing_changed(CatalogueItem):
        response = api_client_for(admin_person).post(URL, payload, format="json")
    assert_error_body(response, 400, "invalid", ["name"])


def test_patch_to_all_customers_forgets_the_chosen_organisations(admin_person, customer_org):
    item = offered_item(customer_org)
    response = api_client_for(admin_person).patch(
        f"{URL}{item.pk}/", {"audience": "all", "approval_required": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["organisations"], body["approver_role"]) == ([], "")


def test_customers_see_only_their_own_organisation_among_those_offered(
    customer_org, other_customer_org
):
    item = offered_item(customer_org)
    item.organisations.add(other_customer_org)
    customer = person_for_role(Role.CUSTOMER_USER, customer_org)
    body = api_client_for(customer).get(f"{URL}{item.pk}/").json()
    assert body["organisations"] == [customer_org.pk]
    staff = person_for_role(Role.AGENT, customer_org)
    body = api_client_for(staff).get(f"{URL}{item.pk}/").json()
    assert sorted(body["organisations"]) == sorted([customer_org.pk, other_customer_org.pk])


def test_customer_of_b_never_sees_an_item_offered_only_to_a(customer_org, other_customer_org):
    only_a = offered_item(customer_org)
    for_all = offered_item()
    client = api_client_for(person_for_role(Role.CUSTOMER_MANAGER, other_customer_org))
    assert result_ids(client.get(URL)) == [for_all.pk]
    assert_error_body(client.get(f"{URL}{only_a.pk}/"), 404, "not_found")
    response = client.post(f"{URL}{only_a.pk}/validate-answers/", {"answers": {}}, format="json")
    assert_error_body(response, 404, "not_found")


def test_suppliers_list_nothing(customer_org):
    offered_item()
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER)
    person = PersonFactory(organisation=supplier)
    assert result_ids(api_client_for(person).get(URL)) == []


def test_filters(admin_person, customer_org, other_customer_org):
    laptop = offered_item(customer_org, name="Laptop")
    phone = offered_item(
        other_customer_org, name="Phone", approval_required=False, approver_role=""
    )
    for_all = offered_item(name="Mailbox", description="A shared mailbox", is_active=False)
    client = api_client_for(admin_person)

    def ids(**params):
        return sorted(result_ids(client.get(URL, params)))

    assert ids(service=laptop.service_id) == [laptop.pk]
    assert ids(audience="all") == [for_all.pk]
    assert ids(is_active="false") == [for_all.pk]
    assert ids(approval_required="false") == [phone.pk]
    assert ids(q="shared") == [for_all.pk]
    assert ids(q=phone.service.name) == [phone.pk]
    assert ids(offered_to=customer_org.pk) == sorted([laptop.pk, for_all.pk])
    assert ids(fulfilment_team=laptop.fulfilment_team_id) == [laptop.pk]


def test_service_filter_refuses_a_service_the_caller_cannot_see(customer_org):
    hidden = ServiceFactory(status=ServiceStatus.PIPELINE)
    client = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert_error_body(client.get(URL, {"service": hidden.pk}), 400, "invalid", ["service"])


# --- validate-answers ---------------------------------------------------------------------------

GOOD_ANSWERS = {
    "cost_centre": " CC-42 ",
    "model": "15 inch",
    "quantity": 2,
    "needed_by": "2026-05-04",
    "extras": ["Bag", "Dock"],
}


@pytest.mark.parametrize("role", [Role.CUSTOMER_USER, Role.AGENT, Role.AUDITOR])
def test_validate_answers_returns_the_cleaned_answers(role, customer_org):
    item = offered_item(customer_org)
    client = api_client_for(person_for_role(role, customer_org))
    response = client.post(
        f"{URL}{item.pk}/validate-answers/", {"answers": GOOD_ANSWERS}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "answers": {
            "cost_centre": "CC-42",
            "model": "15 inch",
            "quantity": 2,
            "needed_by": "2026-05-04",
            "extras": ["Dock", "Bag"],
            "notify": "",
        }
    }


def test_validate_answers_reports_field_errors_and_writes_nothing(customer_org):
    item = offered_item(customer_org)
    client = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    answers = {**GOOD_ANSWERS, "quantity": 11, "needed_by": "May", "colour": "red"}
    del answers["cost_centre"]
    with nothing_changed(CatalogueItem, item):
        response = client.post(
            f"{URL}{item.pk}/validate-answers/", {"answers": answers}, format="json"
        )
    body = assert_error_body(
        response, 400, "invalid", ["cost_centre", "quantity", "needed_by", "colour"]
    )
    assert body["errors"]["quantity"] == ["Enter a number of at most 10."]
    assert body["errors"]["cost_centre"] == ["This field is required."]


@pytest.mark.parametrize("payload", [{}, {"answers": "CC-42"}, {"answers": [1]}, []])
def test_validate_answers_needs_an_answers_object(payload, customer_org):
    item = offered_item(customer_org)
    client = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    response = client.post(f"{URL}{item.pk}/validate-answers/", payload, format="json")
    assert_error_body(response, 400, "invalid")


def test_validate_answers_of_a_broken_stored_form_is_a_clear_400(admin_person):
    item = offered_item(form_schema=[{"name": "a"}])  # written past the services
    response = api_client_for(admin_person).post(
        f"{URL}{item.pk}/validate-answers/", {"answers": {}}, format="json"
    )
    body = assert_error_body(response, 400, "invalid", ["non_field_errors"])
    assert "request form is not valid" in body["errors"]["non_field_errors"][0]


def test_validate_answers_needs_sign_in(customer_org):
    item = offered_item(customer_org)
    response = APIClient().post(f"{URL}{item.pk}/validate-answers/", {"answers": {}}, format="json")
    assert_error_body(response, 401, "not_authenticated")


def test_customer_list_queries_do_not_grow_with_rows(customer_org):
    person = person_for_role(Role.CUSTOMER_USER, customer_org)

    def call():
        assert api_client_for(person).get(URL).status_code == 200

    assert_constant_queries(call, lambda n: [offered_item(customer_org) for _ in range(n)])


def test_schema_documents_the_catalogue(admin_person):
    response = api_client_for(admin_person).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert "/api/v1/catalogue-items/" in paths
    answers = paths["/api/v1/catalogue-items/{id}/validate-answers/"]["post"]
    assert answers["description"].startswith("Validates a set of answers")
    item = schema["components"]["schemas"]["CatalogueItem"]["properties"]
    for field in ("service", "audience", "organisations", "form_schema", "approver_role"):
        assert item[field].get("description"), field
