"""Pages of the core app: sign-in, home, directory, roles, audit trail, and the admin site."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from accord.core import services
from accord.core.choices import Door, Role
from accord.core.models import AuditEvent, Organisation, Person, RoleAssignment, Team
from accord.core.roles import CAPABILITIES, ROLE_CAPABILITIES, ROLE_DESCRIPTIONS
from tests.base import (
    ALL_ROLES,
    DIRECTORY_PAGE_ROLES,
    FAST_HASHERS,
    STALE_TEXT,
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    PageTests,
    RecordPageTests,
    assert_form_error,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
)
from tests.core.helpers import org_event, person_in_team, team_with_people
from tests.factories import PASSWORD, OrganisationFactory, PersonFactory, TeamFactory, provider


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


# --- Directory: organisations -------------------------------------------------------------------


class TestOrganisationListPage(ListPageTests):
    page_roles = DIRECTORY_PAGE_ROLES

    def url(self, obj):
        return "/organisations/"

    def make_object(self, organisation):
        return organisation

    def make_rows(self, organisation, n):
        orgs = OrganisationFactory.create_batch(n)
        for org in orgs:
            PersonFactory(organisation=org)
        return orgs

    def shows(self, obj):
        return [obj.name, obj.code]


class TestOrganisationDetailPage(RecordPageTests):
    page_roles = DIRECTORY_PAGE_ROLES

    def url(self, obj):
        return f"/organisations/{obj.pk}/"

    def make_object(self, organisation):
        team_with_people(organisation)
        return organisation

    def shows(self, obj):
        return [obj.name, obj.code, obj.teams.get().name, str(obj.people.first())]


ORG_INVALID = [
    Invalid("code", {"code": "two words"}),
    Invalid("code", {"code": "PROV"}, "duplicate-code"),
    Invalid("name", {"name": ""}),
    Invalid("kind", {"kind": "planet"}),
    Invalid("kind", {"kind": "provider"}, "second-provider"),
    Invalid("time_zone", {"time_zone": "Mars/Olympus_Mons"}),
    Invalid("version", {"version": "abc"}, "tampered-version"),
]


class TestOrganisationEditPage(FormPageTests):
    model = Organisation
    invalid_form = ORG_INVALID

    def url(self, obj):
        return f"/organisations/{obj.pk}/edit/"

    def make_object(self, organisation):
        provider()  # its code PROV is taken, and there is one provider only
        return organisation

    def shows(self, obj):
        return [obj.code, obj.name]

    def form_data(self, obj):
        return {
            "code": obj.code,
            "name": "Renamed Ltd",
            "kind": obj.kind,
            "time_zone": "Asia/Tokyo",
            "is_active": "on",
            "notes": "",
            "version": obj.version,
        }


class TestOrganisationCreatePage(CreatePageTests):
    model = Organisation
    create_url = "/organisations/new/"
    invalid_form = ORG_INVALID[:-1]

    def form_data(self, organisation):
        provider()
        return {"code": "NEWCO", "name": "New Co", "kind": "supplier", "time_zone": "UTC"}


# --- Directory: teams ---------------------------------------------------------------------------


class TestTeamListPage(ListPageTests):
    page_roles = DIRECTORY_PAGE_ROLES

    def url(self, obj):
        return "/teams/"

    def make_object(self, organisation):
        return team_with_people(organisation)

    def make_rows(self, organisation, n):
        return [team_with_people(organisation, members=3) for _ in range(n)]

    def shows(self, obj):
        return [obj.code, obj.name, str(obj.lead)]


class TestTeamDetailPage(RecordPageTests):
    page_roles = DIRECTORY_PAGE_ROLES

    def url(self, obj):
        return f"/teams/{obj.pk}/"

    def make_object(self, organisation):
        return team_with_people(organisation)

    def shows(self, obj):
        return [obj.name, obj.code, *(str(p) for p in obj.members.all())]


TEAM_INVALID = [
    Invalid("code", {"code": "two words"}),
    Invalid("name", {"name": ""}),
    Invalid("email", {"email": "not-an-address"}),
    Invalid("organisation", {"organisation": "987654321"}, "unknown-organisation"),
    Invalid("lead", {"lead": "987654321"}, "unknown-lead"),
    Invalid("members", {"members": ["987654321"]}, "unknown-member"),
]


class TestTeamEditPage(FormPageTests):
    model = Team
    invalid_form = TEAM_INVALID

    def url(self, obj):
        return f"/teams/{obj.pk}/edit/"

    def make_object(self, organisation):
        return team_with_people(organisation)

    def form_data(self, obj):
        return {
            "organisation": obj.organisation_id,
            "code": obj.code,
            "name": "Night shift",
            "description": "",
            "email": "night@example.test",
            "lead": obj.lead_id,
            "members": list(obj.members.values_list("pk", flat=True)),
            "is_active": "on",
            "version": obj.version,
        }


class TestTeamCreatePage(CreatePageTests):
    model = Team
    create_url = "/teams/new/"
    invalid_form = TEAM_INVALID

    def form_data(self, organisation):
        lead = PersonFactory(organisation=organisation)
        return {"organisation": organisation.pk, "code": "OPS", "name": "Ops", "lead": lead.pk}


def test_team_lead_from_another_organisation_is_refused_on_the_form(
    admin_person, client, customer_org, other_customer_org
):
    team = team_with_people(customer_org)
    stranger = PersonFactory(organisation=other_customer_org)
    client.force_login(admin_person)
    data = {**TestTeamEditPage().form_data(team), "lead": stranger.pk}
    with nothing_changed(Team, team):
        response = client.post(f"/teams/{team.pk}/edit/", data)
    assert_form_error(response, "lead")


# --- Directory: people --------------------------------------------------------------------------


class TestPersonListPage(ListPageTests):
    page_roles = DIRECTORY_PAGE_ROLES

    def url(self, obj):
        return "/people/"

    def make_object(self, organisation):
        return PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_MANAGER])

    def make_rows(self, organisation, n):
        return [person_in_team(organisation) for _ in range(n)]

    def shows(self, obj):
        return [obj.username, obj.get_full_name(), "Customer manager"]


class TestPersonDetailPage(RecordPageTests):
    page_roles = DIRECTORY_PAGE_ROLES

    def url(self, obj):
        return f"/people/{obj.pk}/"

    def make_object(self, organisation):
        return person_in_team(organisation)

    def shows(self, obj):
        return [obj.username, obj.organisation.name, "Customer user", obj.teams.get().name]


PERSON_INVALID = [
    Invalid("username", {"username": ""}),
    Invalid("username", {"username": "has spaces!"}, "username-characters"),
    Invalid("email", {"email": "nobody"}),
    Invalid("organisation", {"organisation": ""}, "no-organisation"),
    Invalid("time_zone", {"time_zone": "Moon/Base"}),
    Invalid("language", {"language": "tlh"}),
]


class TestPersonEditPage(FormPageTests):
    model = Person
    invalid_form = PERSON_INVALID

    def url(self, obj):
        return f"/people/{obj.pk}/edit/"

    def make_object(self, organisation):
        return PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER])

    def form_data(self, obj):
        return {
            "username": obj.username,
            "first_name": obj.first_name,
            "last_name": obj.last_name,
            "email": obj.email,
            "organisation": obj.organisation_id,
            "job_title": "Buyer",
            "phone": "+49 30 1234",
            "time_zone": "",
            "language": "de",
            "is_active": "on",
            "version": obj.version,
        }


class TestPersonCreatePage(CreatePageTests):
    model = Person
    create_url = "/people/new/"
    invalid_form = [
        *PERSON_INVALID,
        Invalid("password", {"password": "short"}, "weak-password"),
        Invalid("password", {"password": "new.person1"}, "password-like-username"),
    ]

    def form_data(self, organisation):
        return {
            "username": "new.person",
            "first_name": "New",
            "last_name": "Person",
            "organisation": organisation.pk,
            "language": "en",
            "is_active": "on",
            "password": "A-long-pass-phrase-42",
            "roles": [Role.CUSTOMER_USER],
        }


def test_person_created_on_the_page_holds_the_chosen_roles_and_can_sign_in(
    admin_person, client, customer_org
):
    client.force_login(admin_person)
    data = TestPersonCreatePage().form_data(customer_org)
    response = client.post("/people/new/", data)
    assert response.status_code == 302
    person = Person.objects.get(username="new.person")
    assert list(person.role_assignments.values_list("role", "organisation")) == [
        (Role.CUSTOMER_USER, customer_org.pk)
    ]
    client.logout()
    client.post("/login/", {"username": "new.person", "password": data["password"]})
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("role", sorted(DIRECTORY_PAGE_ROLES))
def test_role_form_and_revoke_buttons_only_for_role_managers(role, client, customer_org):
    person = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    client.force_login(person_for_role(role, customer_org))
    content = client.get(f"/people/{person.pk}/").content.decode()
    assert "Customer user" in content
    manages = role == Role.ADMINISTRATOR
    assert ("Assign role" in content) is manages
    assert (">Revoke</button>" in content) is manages


def test_assign_and_revoke_a_role_on_the_page(admin_person, client, customer_org):
    person = PersonFactory(organisation=customer_org)
    client.force_login(admin_person)
    response = client.post(f"/people/{person.pk}/roles/", {"role": Role.CUSTOMER_MANAGER})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "now holds Customer manager" in page
    assignment = person.role_assignments.get()
    assert assignment.organisation_id == customer_org.pk
    response = client.post(f"/people/{person.pk}/roles/{assignment.pk}/revoke/")
    assert response.status_code == 302
    assert not person.role_assignments.exists()
    doors = [(e.action, e.door) for e in AuditEvent.objects.order_by("id")]
    assert doors == [("create", "ui"), ("delete", "ui")]


def test_provider_role_for_customer_person_is_refused_on_the_page(
    admin_person, client, customer_org
):
    person = PersonFactory(organisation=customer_org)
    client.force_login(admin_person)
    with nothing_changed(RoleAssignment):
        response = client.post(f"/people/{person.pk}/roles/", {"role": Role.AGENT})
    assert_form_error(response, "role", form_name="role_form")


@pytest.mark.parametrize("role", sorted(set(ALL_ROLES) - {Role.ADMINISTRATOR}))
def test_only_role_managers_assign_or_revoke_on_the_page(role, client, customer_org):
    person = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    assignment = person.role_assignments.get()
    client.force_login(person_for_role(role, customer_org))
    with nothing_changed(RoleAssignment, assignment):
        assign = client.post(f"/people/{person.pk}/roles/", {"role": Role.CUSTOMER_MANAGER})
        revoke = client.post(f"/people/{person.pk}/roles/{assignment.pk}/revoke/")
    assert (assign.status_code, revoke.status_code) == (403, 403)


def test_revoking_ones_own_administrator_role_is_refused_clearly(admin_person, client):
    assignment = admin_person.role_assignments.get()
    client.force_login(admin_person)
    with nothing_changed(RoleAssignment, assignment):
        response = client.post(f"/people/{admin_person.pk}/roles/{assignment.pk}/revoke/")
    assert response.status_code == 403
    assert "cannot revoke your own administrator role" in response.content.decode()


def test_revoke_is_post_only(admin_person, client, customer_org):
    person = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    client.force_login(admin_person)
    response = client.get(f"/people/{person.pk}/roles/{person.role_assignments.get().pk}/revoke/")
    assert response.status_code == 405
    assert person.role_assignments.exists()


# --- Stale forms show the current values --------------------------------------------------------


def test_stale_organisation_save_shows_the_current_values(admin_person, client, customer_org):
    data = TestOrganisationEditPage().form_data(customer_org)  # the editor saw version 1
    services.organisation_update(
        actor=admin_person, organisation=customer_org, data={"name": "Changed Meanwhile"}
    )
    client.force_login(admin_person)
    with nothing_changed(Organisation, customer_org):
        response = client.post(f"/organisations/{customer_org.pk}/edit/", data)
    assert response.status_code == 400
    content = response.content.decode()
    assert STALE_TEXT in content
    assert "Changed Meanwhile" in content
    # What the editor typed is kept, so they can apply it again.
    assert 'value="Renamed Ltd"' in content


# --- Home ---------------------------------------------------------------------------------------


class TestHomePage(ListPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return "/"

    def make_rows(self, organisation, n):
        return [org_event(organisation) for _ in range(n)]


def test_home_shows_organisation_teams_roles_and_recent_events(client, customer_org):
    me = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_MANAGER])
    team = TeamFactory(organisation=customer_org, name="Purchasing", lead=me)
    team.members.add(me)
    mine = org_event(customer_org)
    theirs = org_event(OrganisationFactory(name="Someone Else Ltd"))
    client.force_login(me)
    content = client.get("/").content.decode()
    assert "Customer A" in content
    assert "Purchasing" in content and "lead" in content
    assert "Customer manager" in content and "for Customer A" in content
    assert mine.object_repr in content
    assert theirs.object_repr not in content


def test_home_of_a_person_without_organisation(client):
    person = PersonFactory(organisation=None)
    client.force_login(person)
    content = client.get("/").content.decode()
    assert "You belong to no organisation" in content
    assert "No roles yet" in content


def test_navigation_follows_the_role(client, customer_org):
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    customer_nav = client.get("/").content.decode()
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    auditor_nav = client.get("/").content.decode()
    assert 'href="/organisations/"' not in customer_nav
    assert 'href="/organisations/"' in auditor_nav
    for page in ('href="/roles/"', 'href="/audit/"'):
        assert page in customer_nav and page in auditor_nav


# --- Sign in, sign out, password ---------------------------------------------------------------


@pytest.fixture
def member(customer_org):
    return PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])


def test_login_with_the_real_form(client, member):
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": member.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert member.get_full_name() in client.get("/").content.decode()


def test_login_follows_next(client, member):
    response = client.post(
        "/login/", {"username": member.username, "password": PASSWORD, "next": "/roles/"}
    )
    assert response["Location"] == "/roles/"


def test_login_ignores_a_foreign_next(client, member):
    response = client.post(
        "/login/",
        {"username": member.username, "password": PASSWORD, "next": "https://evil.test/"},
    )
    assert response["Location"] == "/"


def test_wrong_password_is_refused_with_a_message(client, member):
    response = client.post("/login/", {"username": member.username, "password": "wrong-one-1"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert client.get("/")["Location"].startswith("/login/")


def test_repeated_failures_lock_the_account(client, member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": member.username, "password": "wrong-one-1"})
    response = client.post("/login/", {"username": member.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert client.get("/")["Location"].startswith("/login/")


def test_logout_is_a_post_and_ends_the_session(client, member):
    client.force_login(member)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert client.get("/")["Location"].startswith("/login/")


class TestPasswordPage(PageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return "/password/"


NEW_PASSWORD = "Brand-new-phrase-31"


def test_password_change(client, member):
    client.force_login(member)
    mark = last_event_id()
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    # Still signed in after the change, and told so.
    assert "Your password was changed" in client.get("/").content.decode()
    [event] = events_since(mark)
    assert (event.door, event.actor_id, event.changes) == (
        Door.UI,
        member.pk,
        {"password": ["(hidden)", "(changed)"]},
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"old_password": "not-my-password", "new_password2": NEW_PASSWORD},
            "old_password",
            "old password was entered incorrectly",
        ),
        ({"new_password2": "Something-else-42"}, "new_password2", "two new passwords differ"),
        ({"new_password1": "short", "new_password2": "short"}, "__all__", "too short"),
        ({"old_password": ""}, "old_password", "required"),
    ],
    ids=["wrong-old", "mismatch", "weak", "missing-old"],
)
def test_password_change_refused(data, field, message, client, member):
    client.force_login(member)
    post = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    with nothing_changed(Person, member):
        response = client.post("/password/", {**post, **data})
    assert_form_error(response, field)
    assert message in response.content.decode()


# --- Roles page ---------------------------------------------------------------------------------


class TestRolesPage(ListPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return "/roles/"

    def make_rows(self, organisation, n):
        return PersonFactory.create_batch(n, organisation=organisation, roles=[Role.CUSTOMER_USER])


def test_roles_page_lists_every_role_with_holders_and_capabilities(client, customer_org):
    holders = {role: person_for_role(role, customer_org) for role in ALL_ROLES}
    client.force_login(holders[Role.AUDITOR])
    content = client.get("/roles/").content.decode()
    for role in Role:
        assert escape(role.label) in content
        assert escape(ROLE_DESCRIPTIONS[role]) in content
        assert escape(str(holders[role])) in content
        for code in ROLE_CAPABILITIES[role]:
            assert escape(CAPABILITIES[code].label) in content


def test_roles_page_shows_only_holders_the_viewer_may_see(client, customer_org, other_customer_org):
    colleague = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_MANAGER])
    stranger = PersonFactory(organisation=other_customer_org, roles=[Role.CUSTOMER_MANAGER])
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    content = client.get("/roles/").content.decode()
    assert escape(str(colleague)) in content
    assert escape(str(stranger)) not in content
    assert "Nobody you can see" in content


# --- Audit page ---------------------------------------------------------------------------------


class TestAuditPage(ListPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return "/audit/"

    def make_rows(self, organisation, n):
        return [org_event(organisation) for _ in range(n)]


@pytest.fixture
def auditor(customer_org):
    return person_for_role(Role.AUDITOR, customer_org)


def _rows(content):
    return content.count("<tr>") - 1  # minus the header row


def test_audit_page_filters_by_door_and_action(client, auditor, customer_org):
    api_event = org_event(customer_org, door=Door.API)
    ui_event = org_event(customer_org, door=Door.UI)
    client.force_login(auditor)
    content = client.get("/audit/", {"door": "api"}).content.decode()
    assert api_event.changes["notes"][1] in content
    assert ui_event.changes["notes"][1] not in content
    assert _rows(content) == 1
    assert "No events." in client.get("/audit/", {"action": "delete"}).content.decode()


def test_audit_page_filters_by_object(client, auditor, customer_org, other_customer_org):
    org_event(customer_org)
    org_event(other_customer_org)
    client.force_login(auditor)
    content = client.get(
        "/audit/", {"object_type": "core.organisation", "object_id": other_customer_org.pk}
    ).content.decode()
    assert _rows(content) == 1
    assert "Customer B" in content


def test_audit_page_shows_a_bad_filter_value(client, auditor, customer_org):
    org_event(customer_org)
    client.force_login(auditor)
    response = client.get("/audit/", {"door": "window"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_audit_page_is_scoped(client, customer_org, other_customer_org):
    org_event(customer_org)
    org_event(other_customer_org)
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    content = client.get("/audit/").content.decode()
    assert "Customer A" in content
    assert "Customer B" not in content
    client.force_login(person_for_role(Role.AGENT, customer_org))
    assert "No events." in client.get("/audit/").content.decode()


def test_audit_page_paginates_and_htmx_gets_rows_only(client, auditor, customer_org):
    for _ in range(51):
        org_event(customer_org)
    client.force_login(auditor)
    first = client.get("/audit/").content.decode()
    assert "Page 1 of 2" in first
    second = client.get("/audit/", {"page": 2}).content.decode()
    assert _rows(second) == 1
    partial = client.get("/audit/", {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert "Page 2 of 2" in partial
    assert client.get("/audit/", {"page": "last-but-one"}).status_code == 200


# --- Directory pages per role ------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_directory_navigation_only_for_roles_with_the_pages(role, client, customer_org):
    client.force_login(person_for_role(role, customer_org))
    nav = client.get("/").content.decode()
    visible = all(f'href="{u}"' in nav for u in ("/organisations/", "/teams/", "/people/"))
    assert visible is (role in DIRECTORY_PAGE_ROLES)
    manage = 'href="/organisations/new/"' in client.get("/organisations/").content.decode()
    assert manage is (role == Role.ADMINISTRATOR)


# --- Stable list order --------------------------------------------------------------------------


def _names_on(client, url, page):
    content = client.get(url, {"page": page}).content.decode()
    return [n for n in NAMES if f"<td>{n}</td>" in content]


NAMES = [f"Name {i:02d}" for i in range(55)]


@pytest.mark.parametrize("kind", ["organisations", "teams"])
def test_directory_lists_are_sorted_by_name_across_pages(kind, admin_person, client, customer_org):
    shuffled = NAMES[::2] + NAMES[1::2]  # created out of order
    for name in shuffled:
        if kind == "organisations":
            OrganisationFactory(name=name)
        else:
            TeamFactory(organisation=customer_org, name=name)
    client.force_login(admin_person)
    first, second = _names_on(client, f"/{kind}/", 1), _names_on(client, f"/{kind}/", 2)
    assert first + second == NAMES
