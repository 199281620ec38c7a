"""REST API of people: the generic permission tests plus the people rules."""

from __future__ import annotations

from accord.core.choices import Role
from accord.core.models import Person
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
from tests.core.helpers import person_in_team
from tests.factories import PersonFactory

URL = "/api/v1/people/"
NEW_PASSWORD = "Another-long-phrase-77"


class TestPersonAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Person
    readers = ALL_ROLES
    writers = DIRECTORY_WRITERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.ADMINISTRATOR}
    invalid_create = [
        Invalid("username", {"username": ""}),
        Invalid("username", {"username": "has spaces!"}, "username-characters"),
        Invalid("email", {"email": "nobody"}),
        Invalid("organisation", {"organisation": 987654321}),
        Invalid("time_zone", {"time_zone": "Moon/Base"}),
        Invalid("language", {"language": "tlh"}),
        Invalid("password", {"password": "new.person"}, "password-like-username"),
    ]
    invalid_update = [
        Invalid("email", {"email": "nobody"}),
        Invalid("time_zone", {"time_zone": "Moon/Base"}),
        Invalid("language", {"language": "tlh"}),
        Invalid("password", {"password": NEW_PASSWORD}, "password-not-by-patch"),
        Invalid("organisation", {"organisation": 987654321}),
    ]

    def make_object(self, organisation):
        return PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER])

    def make_rows(self, organisation, n):
        return [person_in_team(organisation) for _ in range(n)]

    def create_payload(self, organisation):
        return {
            "username": "new.person",
            "organisation": organisation.pk,
            "first_name": "New",
            "last_name": "Person",
            "email": "new.person@example.test",
        }

    def update_payload(self, obj):
        return {"job_title": "Buyer", "phone": "+49 30 123456"}


def test_created_person_can_sign_in_with_their_password(admin_person, customer_org):
    payload = {"username": "ana", "organisation": customer_org.pk, "password": NEW_PASSWORD}
    response = api_client_for(admin_person).post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    assert "password" not in response.json()
    assert Person.objects.get(username="ana").check_password(NEW_PASSWORD)


def test_weak_password_is_refused(admin_person, customer_org):
    payload = {"username": "ana", "organisation": customer_org.pk, "password": "12345"}
    with nothing_changed(Person):
        response = api_client_for(admin_person).post(URL, payload, format="json")
    body = assert_error_body(response, 400, "invalid", ["password"])
    assert "too short" in " ".join(body["errors"]["password"])


def test_username_taken_in_other_case_is_refused(admin_person, customer_org):
    PersonFactory(username="maria", organisation=customer_org)
    payload = {"username": "Maria", "organisation": customer_org.pk}
    with nothing_changed(Person):
        response = api_client_for(admin_person).post(URL, payload, format="json")
    assert_error_body(response, 400, "invalid", ["username"])


def test_people_edit_their_own_contact_details(customer_org):
    me = person_for_role(Role.CUSTOMER_USER, customer_org)
    response = api_client_for(me).patch(
        f"{URL}{me.pk}/", {"phone": "+33 1 23 45", "language": "fr"}, format="json"
    )
    assert response.status_code == 200, response.json()
    me.refresh_from_db()
    assert (me.phone, me.language, me.version) == ("+33 1 23 45", "fr", 2)


def test_people_cannot_change_their_own_job_or_status(customer_org):
    me = person_for_role(Role.CUSTOMER_USER, customer_org)
    client = api_client_for(me)
    with nothing_changed(Person, me):
        response = client.patch(f"{URL}{me.pk}/", {"job_title": "CEO"}, format="json")
    assert_error_body(response, 403, "permission_denied")


def test_administrator_cannot_deactivate_themselves(admin_person):
    with nothing_changed(Person, admin_person):
        response = api_client_for(admin_person).patch(
            f"{URL}{admin_person.pk}/", {"is_active": False}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["is_active"])


def test_person_with_customer_roles_cannot_move_organisation(
    admin_person, customer_org, other_customer_org
):
    person = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    with nothing_changed(Person, person):
        response = api_client_for(admin_person).patch(
            f"{URL}{person.pk}/", {"organisation": other_customer_org.pk}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["organisation"])


def test_roles_and_teams_are_shown(admin_person, customer_org):
    person = person_in_team(customer_org)
    body = api_client_for(admin_person).get(f"{URL}{person.pk}/").json()
    assert [r["role"] for r in body["roles"]] == [Role.CUSTOMER_USER]
    assert body["teams"] == list(person.teams.values_list("pk", flat=True))
    assert "password" not in body


def test_customer_sees_only_people_of_their_organisation(customer_org, other_customer_org):
    colleague = PersonFactory(organisation=customer_org)
    PersonFactory(organisation=other_customer_org)
    me = person_for_role(Role.CUSTOMER_USER, customer_org)
    assert set(result_ids(api_client_for(me).get(URL))) == {colleague.pk, me.pk}


def test_filter_by_role(admin_person, customer_org):
    manager = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_MANAGER])
    PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    ids = result_ids(api_client_for(admin_person).get(URL, {"role": "customer_manager"}))
    assert ids == [manager.pk]


def test_me_is_the_signed_in_person(customer_org):
    me = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    body = api_client_for(me).get("/api/v1/me/").json()
    assert (body["id"], body["username"], body["organisation"]) == (
        me.pk,
        me.username,
        customer_org.pk,
    )
    assert [r["role"] for r in body["roles"]] == [Role.CUSTOMER_MANAGER]
