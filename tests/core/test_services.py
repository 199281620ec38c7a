"""The rules of the core services: the one place business rules live."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core import audit, services
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import AuditEvent, Organisation, Person, RoleAssignment, Sequence, Team
from accord.core.records import StaleVersion
from accord.core.roles import CUSTOMER_ROLES, PROVIDER_ONLY_ROLES
from tests.factories import PASSWORD, OrganisationFactory, PersonFactory, TeamFactory, provider

NEW_PASSWORD = "Amber-harbour-7713"
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def admin(db):
    return PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])


@pytest.fixture
def customer(db):
    return OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="CUST-A")


@pytest.fixture
def other_customer(db):
    return OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="CUST-B")


def event_count() -> int:
    return AuditEvent.objects.count()


# --- Organisations ------------------------------------------------------------------------------


def test_there_is_only_one_provider(admin):
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(
            actor=admin, code="SECOND", name="Second", kind=OrganisationKind.PROVIDER
        )
    assert "kind" in excinfo.value.message_dict
    assert Organisation.objects.filter(kind=OrganisationKind.PROVIDER).count() == 1


def test_a_customer_cannot_become_the_provider_nor_the_provider_a_customer(admin, customer):
    with pytest.raises(ValidationError, match="provider"):
        services.organisation_update(
            actor=admin, organisation=customer, data={"kind": OrganisationKind.PROVIDER}
        )
    with pytest.raises(ValidationError, match="provider"):
        services.organisation_update(
            actor=admin, organisation=provider(), data={"kind": OrganisationKind.SUPPLIER}
        )
    customer.refresh_from_db()
    assert customer.kind == OrganisationKind.CUSTOMER


@pytest.mark.parametrize("code", ["", "lower", "WITH SPACE", "-LEADING", "X" * 33, "ÄRGER"])
def test_organisation_code_must_be_capitals_digits_dash_underscore(admin, code):
    before = event_count()
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(actor=admin, code=code, name="Name", kind="customer")
    assert "code" in excinfo.value.message_dict
    assert event_count() == before


@pytest.mark.parametrize("code", ["A", "CONTOSO", "ACME_2", "9-LIVES", "X" * 32])
def test_valid_organisation_codes_are_accepted(admin, code):
    org = services.organisation_create(actor=admin, code=code, name="Name", kind="customer")
    assert Organisation.objects.get(pk=org.pk).code == code


def test_organisation_code_is_unique(admin, customer):
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(actor=admin, code="CUST-A", name="Again", kind="customer")
    assert "code" in excinfo.value.message_dict


def test_unknown_fields_are_refused_not_ignored(admin, customer):
    name = customer.name
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_update(
            actor=admin, organisation=customer, data={"version": 99, "name": "N"}
        )
    assert "version" in excinfo.value.message_dict
    customer.refresh_from_db()
    assert (customer.version, customer.name) == (1, name)


def test_stale_version_is_refused(admin, customer):
    services.organisation_update(
        actor=admin, organisation=customer, data={"name": "First"}, expected_version=1
    )
    with pytest.raises(StaleVersion) as excinfo:
        services.organisation_update(
            actor=admin, organisation=customer, data={"name": "Second"}, expected_version=1
        )
    assert excinfo.value.current_version == 2
    assert Organisation.objects.get(pk=customer.pk).name == "First"


# --- Teams --------------------------------------------------------------------------------------


def test_team_lead_must_belong_to_the_teams_organisation(admin, customer):
    outsider = PersonFactory(organisation=provider())
    with pytest.raises(ValidationError) as excinfo:
        services.team_create(
            actor=admin, organisation=customer, code="OPS", name="Ops", lead=outsider
        )
    assert "lead" in excinfo.value.message_dict
    assert not Team.objects.exists()


def test_team_members_must_belong_to_the_teams_organisation(admin, customer):
    insider = PersonFactory(organisation=customer)
    outsider = PersonFactory(organisation=provider())
    with pytest.raises(ValidationError) as excinfo:
        services.team_create(
            actor=admin,
            organisation=customer,
            code="OPS",
            name="Ops",
            members=[insider, outsider],
        )
    assert "members" in excinfo.value.message_dict
    assert str(outsider) in excinfo.value.message_dict["members"][0]


def test_team_lead_becomes_a_member_and_the_team_is_audited(admin, customer):
    lead = PersonFactory(organisation=customer)
    member = PersonFactory(organisation=customer)

    team = services.team_create(
        actor=admin, organisation=customer, code="OPS", name="Ops", lead=lead, members=[member]
    )

    assert set(team.members.all()) == {lead, member}
    event = AuditEvent.objects.get(object_type="core.team", object_id=str(team.pk))
    assert event.changes["members"] == [None, sorted([lead.pk, member.pk])]
    assert event.organisation_id == customer.pk


def test_team_update_checks_a_new_lead_and_refuses_moving_the_team(admin, customer, other_customer):
    team = TeamFactory(organisation=customer, code="OPS")
    outsider = PersonFactory(organisation=other_customer)

    with pytest.raises(ValidationError) as excinfo:
        services.team_update(actor=admin, team=team, data={"lead": outsider})
    assert "lead" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.team_update(actor=admin, team=team, data={"organisation": other_customer})
    assert "organisation" in excinfo.value.message_dict

    team.refresh_from_db()
    assert (team.lead_id, team.organisation_id, team.version) == (None, customer.pk, 1)


def test_team_code_is_unique_within_its_organisation_only(admin, customer, other_customer):
    services.team_create(actor=admin, organisation=customer, code="OPS", name="Ops")
    services.team_create(actor=admin, organisation=other_customer, code="OPS", name="Ops")
    with pytest.raises(ValidationError):
        services.team_create(actor=admin, organisation=customer, code="OPS", name="Again")
    assert Team.objects.filter(code="OPS").count() == 2


# --- People -------------------------------------------------------------------------------------


def test_people_may_edit_their_own_contact_details(db):
    me = PersonFactory(organisation=provider(), roles=[Role.AGENT])

    updated = services.person_update(
        actor=me,
        person=me,
        data={"phone": "+49 30 1234", "first_name": "Mia", "time_zone": "Europe/Rome"},
        expected_version=1,
    )

    assert (updated.phone, updated.first_name, updated.time_zone) == (
        "+49 30 1234",
        "Mia",
        "Europe/Rome",
    )
    assert updated.version == 2
    event = AuditEvent.objects.filter(object_type="core.person", object_id=str(me.pk)).first()
    assert event.actor_id == me.pk
    assert event.changes["phone"] == ["", "+49 30 1234"]


@pytest.mark.parametrize(
    "data",
    [
        {"username": "renamed"},
        {"is_active": False},
        {"job_title": "Chief"},
        {"phone": "1", "username": "sneaky"},  # one forbidden field spoils the request
    ],
)
def test_people_may_not_change_their_own_account_fields(db, data):
    me = PersonFactory(organisation=provider(), roles=[Role.AGENT])
    with pytest.raises(PermissionDenied):
        services.person_update(actor=me, person=me, data=data)
    me.refresh_from_db()
    assert me.version == 1


def test_people_may_not_move_themselves_to_another_organisation(customer):
    me = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    with pytest.raises(PermissionDenied):
        services.person_update(actor=me, person=me, data={"organisation": provider()})
    assert Person.objects.get(pk=me.pk).organisation_id == customer.pk


def test_people_may_not_give_themselves_roles(customer):
    me = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=me, person=me, role=Role.CUSTOMER_MANAGER)
    assert list(me.role_assignments.values_list("role", flat=True)) == [Role.CUSTOMER_USER]


def test_people_may_not_edit_someone_else(customer):
    me = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_MANAGER])
    colleague = PersonFactory(organisation=customer)
    with pytest.raises(PermissionDenied):
        services.person_update(actor=me, person=colleague, data={"phone": "123"})


def test_an_administrator_cannot_deactivate_themselves(admin):
    with pytest.raises(ValidationError) as excinfo:
        services.person_update(actor=admin, person=admin, data={"is_active": False})
    assert "is_active" in excinfo.value.message_dict
    admin.refresh_from_db()
    assert admin.is_active


def test_an_administrator_can_deactivate_someone_else(admin):
    other = PersonFactory(organisation=provider())
    updated = services.person_update(actor=admin, person=other, data={"is_active": False})
    assert not updated.is_active


def test_person_with_customer_roles_cannot_move_organisation(admin, customer, other_customer):
    person = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    with pytest.raises(ValidationError) as excinfo:
        services.person_update(actor=admin, person=person, data={"organisation": other_customer})
    assert "organisation" in excinfo.value.message_dict


def test_person_create_refuses_a_duplicate_username_in_any_case(admin):
    PersonFactory(username="alice")
    with pytest.raises(ValidationError) as excinfo:
        services.person_create(actor=admin, username="ALICE", organisation=provider())
    assert "username" in excinfo.value.message_dict


def test_person_create_with_a_weak_password_creates_nothing(admin):
    before = (Person.objects.count(), event_count())
    with pytest.raises(ValidationError):
        services.person_create(
            actor=admin, username="weak", organisation=provider(), password="password"
        )
    assert (Person.objects.count(), event_count()) == before


def test_person_create_with_an_impossible_role_creates_nothing(admin, customer):
    before = (Person.objects.count(), event_count())
    with pytest.raises(ValidationError):
        services.person_create(
            actor=admin, username="cust", organisation=customer, roles=[Role.AGENT]
        )
    assert (Person.objects.count(), event_count()) == before


def test_person_create_without_password_cannot_sign_in(admin):
    person = services.person_create(actor=admin, username="nopass", organisation=provider())
    assert not person.has_usable_password()


# --- Roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(PROVIDER_ONLY_ROLES))
def test_provider_roles_are_for_provider_staff_only(admin, customer, role):
    person = PersonFactory(organisation=customer)
    with pytest.raises(ValidationError) as excinfo:
        services.role_assign(actor=admin, person=person, role=role)
    assert "provider role" in str(excinfo.value)
    assert not person.role_assignments.exists()


@pytest.mark.parametrize("role", sorted(CUSTOMER_ROLES))
def test_customer_roles_are_for_people_of_a_customer(admin, role):
    staff = PersonFactory(organisation=provider())
    with pytest.raises(ValidationError):
        services.role_assign(actor=admin, person=staff, role=role)
    assert not staff.role_assignments.exists()


def test_customer_role_is_held_for_ones_own_organisation(admin, customer, other_customer):
    person = PersonFactory(organisation=customer)
    with pytest.raises(ValidationError) as excinfo:
        services.role_assign(
            actor=admin, person=person, role=Role.CUSTOMER_USER, organisation=other_customer
        )
    assert "organisation" in excinfo.value.message_dict

    assignment = services.role_assign(actor=admin, person=person, role=Role.CUSTOMER_USER)
    assert assignment.organisation_id == customer.pk


def test_the_auditor_role_may_be_held_by_an_external_auditor(admin):
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER)
    external = PersonFactory(organisation=supplier)
    assignment = services.role_assign(actor=admin, person=external, role=Role.AUDITOR)
    assert assignment.role == Role.AUDITOR


def test_unknown_and_duplicate_roles_are_refused(admin):
    person = PersonFactory(organisation=provider(), roles=[Role.AGENT])
    with pytest.raises(ValidationError, match="Unknown role"):
        services.role_assign(actor=admin, person=person, role="wizard")
    with pytest.raises(ValidationError, match="already holds"):
        services.role_assign(actor=admin, person=person, role=Role.AGENT)
    assert person.role_assignments.count() == 1


def test_administrators_cannot_revoke_their_own_administrator_role(admin):
    assignment = admin.role_assignments.get(role=Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=admin, assignment=assignment)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_revoking_a_role_takes_its_capability_away_at_once(admin):
    other = PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])
    assert services.organisation_create(actor=other, code="OK", name="Ok", kind="customer")

    services.role_revoke(actor=admin, assignment=other.role_assignments.get())

    other = Person.objects.get(pk=other.pk)
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=other, code="NO", name="No", kind="customer")


# --- Passwords ----------------------------------------------------------------------------------


def test_changing_ones_own_password_needs_the_old_one(db):
    me = PersonFactory(organisation=provider())
    with pytest.raises(ValidationError) as excinfo:
        services.person_set_password(
            actor=me, person=me, password=NEW_PASSWORD, old_password="wrong-old-password"
        )
    assert "old_password" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        services.person_set_password(actor=me, person=me, password=NEW_PASSWORD)
    assert Person.objects.get(pk=me.pk).check_password(PASSWORD)


@pytest.mark.parametrize("weak", ["short1!", "password123", "12345678901", "person-username"])
def test_a_new_password_must_pass_the_validators(db, weak):
    me = PersonFactory(organisation=provider(), username="person-username")
    with pytest.raises(ValidationError):
        services.person_set_password(actor=me, person=me, password=weak, old_password=PASSWORD)
    assert Person.objects.get(pk=me.pk).check_password(PASSWORD)


def test_a_password_change_is_audited_without_the_password(db):
    me = PersonFactory(organisation=provider())

    services.person_set_password(actor=me, person=me, password=NEW_PASSWORD, old_password=PASSWORD)

    me = Person.objects.get(pk=me.pk)
    assert me.check_password(NEW_PASSWORD)
    assert me.version == 2
    event = AuditEvent.objects.get(object_type="core.person", object_id=str(me.pk))
    assert event.changes == {"password": ["(hidden)", "(changed)"]}
    assert NEW_PASSWORD not in str(event.changes)


def test_only_administrators_set_other_peoples_passwords(admin):
    other = PersonFactory(organisation=provider())
    colleague = PersonFactory(organisation=provider(), roles=[Role.AGENT])
    with pytest.raises(PermissionDenied):
        services.person_set_password(actor=colleague, person=other, password=NEW_PASSWORD)

    services.person_set_password(actor=admin, person=other, password=NEW_PASSWORD)

    assert Person.objects.get(pk=other.pk).check_password(NEW_PASSWORD)


# --- The auditor reads everything and changes nothing --------------------------------------------


@pytest.fixture
def auditor(db):
    return PersonFactory(organisation=provider(), roles=[Role.AUDITOR])


AUDITOR_ATTEMPTS = {
    "organisation_create": lambda a, w: services.organisation_create(
        actor=a, code="NEW", name="New", kind="customer"
    ),
    "organisation_update": lambda a, w: services.organisation_update(
        actor=a, organisation=w["customer"], data={"name": "Changed"}
    ),
    "team_create": lambda a, w: services.team_create(
        actor=a, organisation=w["customer"], code="T", name="T"
    ),
    "team_update": lambda a, w: services.team_update(
        actor=a, team=w["team"], data={"name": "Changed"}
    ),
    "person_create": lambda a, w: services.person_create(
        actor=a, username="newbie", organisation=w["customer"]
    ),
    "person_update": lambda a, w: services.person_update(
        actor=a, person=w["person"], data={"phone": "1"}
    ),
    "person_set_password": lambda a, w: services.person_set_password(
        actor=a, person=w["person"], password=NEW_PASSWORD
    ),
    "role_assign": lambda a, w: services.role_assign(
        actor=a, person=w["person"], role=Role.CUSTOMER_MANAGER
    ),
    "role_revoke": lambda a, w: services.role_revoke(actor=a, assignment=w["assignment"]),
    "token_issue": lambda a, w: services.token_issue(actor=a, person=w["person"]),
}


@pytest.mark.parametrize("service", sorted(AUDITOR_ATTEMPTS))
def test_every_service_refuses_the_auditor(auditor, customer, service):
    person = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    world = {
        "customer": customer,
        "team": TeamFactory(organisation=customer),
        "person": person,
        "assignment": person.role_assignments.get(),
    }
    before = event_count()

    with pytest.raises(PermissionDenied):
        AUDITOR_ATTEMPTS[service](auditor, world)

    assert event_count() == before


def test_the_auditor_may_still_change_their_own_password(auditor):
    services.person_set_password(
        actor=auditor, person=auditor, password=NEW_PASSWORD, old_password=PASSWORD
    )
    assert Person.objects.get(pk=auditor.pk).check_password(NEW_PASSWORD)


# --- API tokens ---------------------------------------------------------------------------------


def test_token_is_stable_until_rotated_and_refused_for_inactive_people(admin):
    other = PersonFactory(organisation=provider())
    first = services.token_issue(actor=admin, person=other)
    assert services.token_issue(actor=admin, person=other) == first
    rotated = services.token_issue(actor=admin, person=other, rotate=True)
    assert rotated != first

    inactive = PersonFactory(organisation=provider(), is_active=False)
    with pytest.raises(ValidationError):
        services.token_issue(actor=admin, person=inactive)


# --- Human references ---------------------------------------------------------------------------


def test_references_are_numbered_per_prefix(db):
    assert services.next_reference("INC") == "INC-000001"
    assert services.next_reference("INC") == "INC-000002"
    assert services.next_reference("REQ") == "REQ-000001"
    assert services.next_reference("inc") == "INC-000003"
    assert services.next_reference("CHG", width=4) == "CHG-0001"


def test_references_grow_past_their_width_instead_of_wrapping(db):
    Sequence.objects.create(prefix="PRB", last=999_999)
    assert services.next_reference("PRB") == "PRB-1000000"


@HYPOTHESIS
@given(st.lists(st.sampled_from(["INC", "REQ", "prb", "Chg"]), min_size=1, max_size=30))
def test_reference_sequences_are_gapless_and_independent_per_prefix(db, prefixes):
    with transaction.atomic():
        issued = [services.next_reference(p) for p in prefixes]
        transaction.set_rollback(True)  # every example starts from empty counters

    for prefix in {p.upper() for p in prefixes}:
        mine = [r for r in issued if r.startswith(prefix + "-")]
        assert mine == [f"{prefix}-{n:06d}" for n in range(1, len(mine) + 1)]
    assert len(set(issued)) == len(issued)


# --- Audit diff, snapshot and hash: properties ---------------------------------------------------

# Text as a field can hold it: UTF-8 without NUL (forms and the API refuse NUL; jsonb too).
field_text = st.characters(exclude_characters="\x00", codec="utf-8")
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(field_text, max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(field_text, max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
field_names = st.sampled_from(["name", "code", "notes", "time_zone", "is_active", "members"])


snapshot_pairs = st.dictionaries(field_names, st.tuples(json_values, json_values), max_size=6)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(snapshot_pairs)
def test_diff_lists_exactly_the_changed_fields_and_replays_to_the_new_state(pairs):
    """Two snapshots of the same fields: the diff names the changed ones, old -> new."""
    before = {k: old for k, (old, _) in pairs.items()}
    after = {k: new for k, (_, new) in pairs.items()}

    changes = audit.diff(before, after)

    assert set(changes) == {k for k in after if before[k] != after[k]}
    assert all(changes[k] == [before[k], after[k]] for k in changes)
    replayed = {**before, **{k: new for k, (_, new) in changes.items()}}
    assert replayed == after
    assert audit.diff(after, after) == {}
    assert audit.diff({}, after) == {k: [None, v] for k, v in after.items() if v is not None}


@settings(max_examples=25, deadline=None, derandomize=True)
@given(name=st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=60))
def test_snapshot_then_diff_records_an_update_exactly(name):
    org = Organisation(code="SNAP", name="Old name", kind="customer", time_zone="UTC")
    before = audit.snapshot(org, ["code", "name", "kind"])
    org.name = name
    after = audit.snapshot(org, ["code", "name", "kind"])
    expected = {} if name == "Old name" else {"name": ["Old name", name]}
    assert audit.diff(before, after) == expected


@HYPOTHESIS
@given(changes=st.dictionaries(field_names, st.lists(json_values, min_size=2, max_size=2)))
def test_any_recorded_changes_survive_the_database_round_trip_and_verify(db, changes):
    """Whatever JSON an event carries, reading it back from the database gives the same hash,
    so `audit verify` never reports a false break."""
    with transaction.atomic():
        org = Organisation.objects.create(code="RT", name="Round trip", kind="customer")
        event = audit.record(actor=None, action=AuditAction.UPDATE, instance=org, changes=changes)
        reloaded = AuditEvent.objects.get(pk=event.pk)
        assert audit.compute_hash(reloaded) == reloaded.hash
        assert audit.verify().ok
        transaction.set_rollback(True)
