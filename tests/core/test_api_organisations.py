"""REST API of organisations: the generic permission tests plus the organisation rules."""

from __future__ import annotations

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    DIRECTORY_WRITERS,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_error_body,
    nothing_changed,
    person_for_role,
    result_ids,
)
from tests.factories import OrganisationFactory, provider

URL = "/api/v1/organisations/"


class TestOrganisationAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Organisation
    readers = ALL_ROLES
    writers = DIRECTORY_WRITERS
    # A provider administrator later moved to a customer keeps the role but not the scope.
    outsider_roles = CUSTOMER_ROLE_SET | {Role.ADMINISTRATOR}
    invalid_create = [
        Invalid("code", {"code": "not a code"}),
        Invalid("code", {"code": "CUST-A"}, "duplicate-code"),
        Invalid("name", {"name": ""}),
        Invalid("kind", {"kind": "planet"}),
        Invalid("kind", {"kind": "provider"}, "second-provider"),
        Invalid("time_zone", {"time_zone": "Mars/Olympus_Mons"}),
    ]
    invalid_update = [
        Invalid("code", {"code": "lower case"}),
        Invalid("name", {"name": ""}),
        Invalid("kind", {"kind": "provider"}, "customer-becomes-provider"),
        Invalid("time_zone", {"time_zone": "Europe/Atlantis"}),
        Invalid("is_active", {"is_active": "perhaps"}),
    ]

    def make_object(self, organisation):
        return organisation  # an organisation's tenant is itself

    def make_rows(self, organisation, n):
        return OrganisationFactory.create_batch(n)

    def create_payload(self, organisation):
        return {"code": "NEWCO", "name": "New Co", "kind": "customer", "time_zone": "Asia/Tokyo"}

    def update_payload(self, obj):
        return {"name": "Renamed Ltd", "time_zone": "America/New_York"}


def test_customer_people_see_only_their_own_organisation(customer_org, other_customer_org):
    provider()
    person = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    assert result_ids(api_client_for(person).get(URL)) == [customer_org.pk]


def test_provider_staff_see_every_organisation(customer_org, other_customer_org):
    person = person_for_role(Role.AGENT, customer_org)
    ids = set(result_ids(api_client_for(person).get(URL)))
    assert ids == {customer_org.pk, other_customer_org.pk, provider().pk}


def test_the_providers_kind_cannot_change(admin_person, provider_org):
    client = api_client_for(admin_person)
    with nothing_changed(Organisation, provider_org):
        response = client.patch(f"{URL}{provider_org.pk}/", {"kind": "customer"}, format="json")
    assert_error_body(response, 400, "invalid", ["kind"])


def test_version_cannot_be_set_by_the_client(admin_person, customer_org):
    response = api_client_for(admin_person).patch(
        f"{URL}{customer_org.pk}/", {"name": "Renamed", "version": 99}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2
    customer_org.refresh_from_db()
    assert (customer_org.name, customer_org.version) == ("Renamed", 2)


def test_patch_without_change_keeps_version_and_writes_no_event(admin_person, customer_org):
    with nothing_changed(Organisation, customer_org):
        response = api_client_for(admin_person).patch(
            f"{URL}{customer_org.pk}/", {"name": customer_org.name}, format="json"
        )
    assert response.status_code == 200
    assert response["ETag"] == '"1"'


def test_full_update_with_put(admin_person, customer_org):
    body = {
        "code": "CUST-A",
        "name": "Customer A GmbH",
        "kind": OrganisationKind.CUSTOMER,
        "time_zone": "Europe/Vienna",
        "is_active": False,
        "notes": "Contract ended.",
    }
    response = api_client_for(admin_person).put(
        f"{URL}{customer_org.pk}/", body, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.json()
    customer_org.refresh_from_db()
    assert (customer_org.name, customer_org.is_active, customer_org.version) == (
        "Customer A GmbH",
        False,
        2,
    )


def test_delete_is_not_offered(admin_person, customer_org):
    with nothing_changed(Organisation, customer_org):
        response = api_client_for(admin_person).delete(f"{URL}{customer_org.pk}/")
    assert_error_body(response, 405, "method_not_allowed")


def test_filters_by_kind_and_search(admin_person, customer_org, other_customer_org):
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER, name="Cables Inc")
    client = api_client_for(admin_person)
    assert result_ids(client.get(URL, {"kind": "supplier"})) == [supplier.pk]
    assert result_ids(client.get(URL, {"q": "cables"})) == [supplier.pk]
    assert set(result_ids(client.get(URL, {"kind": "customer"}))) == {
        customer_org.pk,
        other_customer_org.pk,
    }


def test_unknown_filter_value_is_a_clear_400(admin_person):
    response = api_client_for(admin_person).get(URL, {"kind": "planet"})
    assert_error_body(response, 400, "invalid", ["kind"])


def test_malformed_json_is_a_clear_400(admin_person):
    with nothing_changed(Organisation):
        response = api_client_for(admin_person).post(
            URL, data="{not json", content_type="application/json"
        )
    assert_error_body(response, 400, "parse_error")
