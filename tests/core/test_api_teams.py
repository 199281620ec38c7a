"""REST API of teams: the generic permission tests plus the team rules."""

from __future__ import annotations

from accord.core.choices import Role
from accord.core.models import AuditEvent, Team
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
from tests.core.helpers import team_with_people
from tests.factories import PersonFactory, TeamFactory

URL = "/api/v1/teams/"


class TestTeamAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Team
    readers = ALL_ROLES
    writers = DIRECTORY_WRITERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.ADMINISTRATOR}
    invalid_create = [
        Invalid("code", {"code": "two words"}),
        Invalid("name", {"name": ""}),
        Invalid("email", {"email": "not-an-address"}),
        Invalid("organisation", {"organisation": 987654321}, "unknown-organisation"),
        Invalid("organisation", {"organisation": None}, "no-organisation"),
        Invalid("lead", {"lead": 987654321}, "unknown-lead"),
        Invalid("members", {"members": [987654321]}, "unknown-member"),
    ]
    invalid_update = [
        Invalid("code", {"code": "two words"}),
        Invalid("name", {"name": ""}),
        Invalid("email", {"email": "@"}),
        Invalid("lead", {"lead": "someone"}),
        Invalid("members", {"members": "everyone"}),
    ]

    def make_object(self, organisation):
        return team_with_people(organisation)

    def make_rows(self, organisation, n):
        return [team_with_people(organisation, members=3) for _ in range(n)]

    def create_payload(self, organisation):
        return {"organisation": organisation.pk, "code": "OPS", "name": "Operations"}

    def update_payload(self, obj):
        return {"name": "Night shift", "description": "Covers 22:00 to 06:00."}


def test_create_with_lead_and_members(admin_person, customer_org):
    lead, member = PersonFactory.create_batch(2, organisation=customer_org)
    response = api_client_for(admin_person).post(
        URL,
        {
            "organisation": customer_org.pk,
            "code": "FIN",
            "name": "Finance",
            "lead": lead.pk,
            "members": [member.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    team = Team.objects.get(pk=response.json()["id"])
    # The lead is always a member.
    assert set(team.members.values_list("pk", flat=True)) == {lead.pk, member.pk}
    assert sorted(response.json()["members"]) == sorted([lead.pk, member.pk])


def test_lead_from_another_organisation_is_refused(admin_person, customer_org, other_customer_org):
    stranger = PersonFactory(organisation=other_customer_org)
    payload = {"organisation": customer_org.pk, "code": "X", "name": "X", "lead": stranger.pk}
    with nothing_changed(Team):
        response = api_client_for(admin_person).post(URL, payload, format="json")
    assert_error_body(response, 400, "invalid", ["lead"])


def test_members_from_another_organisation_are_refused(
    admin_person, customer_org, other_customer_org
):
    team = team_with_people(customer_org)
    stranger = PersonFactory(organisation=other_customer_org)
    with nothing_changed(Team, team):
        response = api_client_for(admin_person).patch(
            f"{URL}{team.pk}/", {"members": [stranger.pk]}, format="json"
        )
    body = assert_error_body(response, 400, "invalid", ["members"])
    assert str(stranger) in body["errors"]["members"][0]
    assert team.members.count() == 2


def test_a_team_cannot_move_to_another_organisation(admin_person, customer_org, other_customer_org):
    team = team_with_people(customer_org, members=0)
    with nothing_changed(Team, team):
        response = api_client_for(admin_person).patch(
            f"{URL}{team.pk}/", {"organisation": other_customer_org.pk}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["organisation"])


def test_duplicate_code_in_one_organisation_is_refused(admin_person, customer_org):
    TeamFactory(organisation=customer_org, code="OPS")
    payload = {"organisation": customer_org.pk, "code": "OPS", "name": "Ops again"}
    with nothing_changed(Team):
        response = api_client_for(admin_person).post(URL, payload, format="json")
    assert_error_body(response, 400, "invalid")


def test_changing_members_is_audited_with_old_and_new_ids(admin_person, customer_org):
    team = team_with_people(customer_org)
    old = sorted(team.members.values_list("pk", flat=True))
    newcomer = PersonFactory(organisation=customer_org)
    response = api_client_for(admin_person).patch(
        f"{URL}{team.pk}/", {"members": [*old, newcomer.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    event = AuditEvent.objects.filter(object_type="core.team", object_id=str(team.pk)).get()
    assert event.changes == {"members": [old, sorted([*old, newcomer.pk])]}


def test_customer_sees_only_their_organisations_teams(customer_org, other_customer_org):
    mine = team_with_people(customer_org, members=0)
    team_with_people(other_customer_org, members=0)
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    assert result_ids(api_client_for(person).get(URL)) == [mine.pk]


def test_filters_by_organisation_and_member(admin_person, customer_org, other_customer_org):
    mine = team_with_people(customer_org)
    theirs = team_with_people(other_customer_org)
    client = api_client_for(admin_person)
    assert result_ids(client.get(URL, {"organisation": other_customer_org.pk})) == [theirs.pk]
    member = mine.members.first()
    assert result_ids(client.get(URL, {"member": member.pk})) == [mine.pk]
