"""REST API of roles: the role catalogue, and assigning and revoking roles with their rules."""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from accord.core.models import RoleAssignment
from accord.core.roles import ROLE_CAPABILITIES
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    FAST_HASHERS,
    PROVIDER_ROLES,
    ROLE_MANAGERS,
    APICreateTests,
    APIDeleteTests,
    APIReadTests,
    Invalid,
    api_client_for,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    result_ids,
)
from tests.factories import PersonFactory, provider

URL = "/api/v1/role-assignments/"
ROLES_URL = "/api/v1/roles/"


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


class TestRoleAssignmentAPI(APIReadTests, APICreateTests, APIDeleteTests):
    url = URL
    model = RoleAssignment
    versioned = False
    readers = ALL_ROLES
    writers = ROLE_MANAGERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.ADMINISTRATOR}
    invalid_create = [
        Invalid("role", {"role": "wizard"}, "unknown-role"),
        Invalid("role", {"role": ""}, "no-role"),
        Invalid("person", {"person": 987654321}, "unknown-person"),
        Invalid("person", {"person": None}, "no-person"),
        Invalid("organisation", {"organisation": 987654321}, "unknown-organisation"),
        Invalid("role", {"role": Role.AGENT}, "provider-role-for-customer"),
        Invalid("role", {"role": Role.ADMINISTRATOR}, "administrator-for-customer"),
        Invalid("role", {"role": Role.CUSTOMER_USER}, "already-held"),
    ]

    def make_object(self, organisation):
        person = PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER])
        return person.role_assignments.get()

    def make_rows(self, organisation, n):
        return [self.make_object(organisation) for _ in range(n)]

    def create_payload(self, organisation):
        person = PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER])
        return {"person": person.pk, "role": Role.CUSTOMER_MANAGER}


@pytest.mark.parametrize("role", sorted(PROVIDER_ROLES))
def test_provider_roles_are_refused_for_customer_people(role, admin_person, customer_org):
    person = PersonFactory(organisation=customer_org)
    with nothing_changed(RoleAssignment):
        response = api_client_for(admin_person).post(
            URL, {"person": person.pk, "role": role}, format="json"
        )
    body = assert_error_body(response, 400, "invalid", ["role"])
    assert "provider role" in body["errors"]["role"][0]


@pytest.mark.parametrize("role", sorted(CUSTOMER_ROLE_SET))
def test_customer_roles_are_refused_for_provider_staff(role, admin_person):
    person = PersonFactory(organisation=provider())
    with nothing_changed(RoleAssignment):
        response = api_client_for(admin_person).post(
            URL, {"person": person.pk, "role": role}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["role"])


def test_customer_role_is_held_for_the_persons_own_organisation(
    admin_person, customer_org, other_customer_org
):
    person = PersonFactory(organisation=customer_org)
    client = api_client_for(admin_person)
    payload = {"person": person.pk, "role": Role.CUSTOMER_USER}
    with nothing_changed(RoleAssignment):
        response = client.post(
            URL, {**payload, "organisation": other_customer_org.pk}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["organisation"])

    response = client.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["organisation"] == customer_org.pk


def test_auditor_may_be_an_external_person(admin_person, customer_org):
    person = PersonFactory(organisation=customer_org)
    response = api_client_for(admin_person).post(
        URL, {"person": person.pk, "role": Role.AUDITOR}, format="json"
    )
    assert response.status_code == 201, response.json()


def test_assigned_role_grants_its_capabilities_at_once(admin_person, customer_org):
    person = PersonFactory(organisation=provider())
    events = "/api/v1/audit-events/"
    assert result_ids(api_client_for(person).get(events)) == []
    response = api_client_for(admin_person).post(
        URL, {"person": person.pk, "role": Role.INCIDENT_MANAGER}, format="json"
    )
    assert response.status_code == 201
    # Their next request sees the whole audit trail, including the assignment itself.
    assert len(result_ids(api_client_for(person).get(events))) == 1


def test_administrators_cannot_revoke_their_own_administrator_role(admin_person):
    assignment = admin_person.role_assignments.get(role=Role.ADMINISTRATOR)
    with nothing_changed(RoleAssignment, assignment):
        response = api_client_for(admin_person).delete(f"{URL}{assignment.pk}/")
    body = assert_error_body(response, 403, "permission_denied")
    assert "your own administrator role" in body["message"]


def test_an_administrator_may_revoke_another_administrator(admin_person):
    other = PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])
    assignment = other.role_assignments.get()
    mark = last_event_id()
    response = api_client_for(admin_person).delete(f"{URL}{assignment.pk}/")
    assert response.status_code == 204
    assert not other.role_assignments.exists()
    [event] = events_since(mark)
    assert (event.action, event.object_type, event.door) == ("delete", "core.roleassignment", "api")


def test_assignments_cannot_be_edited_in_place(admin_person, customer_org):
    person = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    assignment = person.role_assignments.get()
    with nothing_changed(RoleAssignment, assignment):
        response = api_client_for(admin_person).patch(
            f"{URL}{assignment.pk}/", {"role": Role.CUSTOMER_MANAGER}, format="json"
        )
    assert_error_body(response, 405, "method_not_allowed")


def test_filter_assignments_by_role(admin_person, customer_org):
    manager = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_MANAGER])
    PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    response = api_client_for(admin_person).get(URL, {"role": Role.CUSTOMER_MANAGER})
    assert result_ids(response) == [manager.role_assignments.get().pk]


# --- The role catalogue -------------------------------------------------------------------------


def test_roles_lists_every_role_with_its_capabilities(customer_org):
    person = person_for_role(Role.AGENT, customer_org)
    response = api_client_for(person).get(ROLES_URL)
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert list(rows) == list(ALL_ROLES)
    for code, row in rows.items():
        assert row["label"] == Role(code).label
        assert row["description"]
        assert set(row["capabilities"]) == set(ROLE_CAPABILITIES[code])
    assert "directory.manage" in rows[Role.ADMINISTRATOR]["capabilities"]
    assert not [c for c in rows[Role.AUDITOR]["capabilities"] if c.endswith("manage")]


def test_role_holder_counts_are_scoped(customer_org, other_customer_org):
    PersonFactory.create_batch(2, organisation=customer_org, roles=[Role.CUSTOMER_USER])
    PersonFactory.create_batch(3, organisation=other_customer_org, roles=[Role.CUSTOMER_USER])
    agent = person_for_role(Role.AGENT, customer_org)
    manager = person_for_role(Role.CUSTOMER_MANAGER, customer_org)

    def holders(person):
        rows = api_client_for(person).get(ROLES_URL).json()
        return {row["code"]: row["holders"] for row in rows}

    assert holders(agent)[Role.CUSTOMER_USER] == 5
    assert holders(agent)[Role.AGENT] == 1
    assert holders(manager)[Role.CUSTOMER_USER] == 2
    assert holders(manager)[Role.CUSTOMER_MANAGER] == 1
    assert holders(manager)[Role.AGENT] == 0  # provider staff are outside their scope


def test_roles_catalogue_needs_sign_in_and_is_read_only(admin_person):
    assert_error_body(api_client_for(None).get(ROLES_URL), 401, "not_authenticated")
    response = api_client_for(admin_person).post(ROLES_URL, {"code": "x"}, format="json")
    assert_error_body(response, 405, "method_not_allowed")
