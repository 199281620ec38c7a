"""The `accord` command line, driven through its real entry point (accord.cli.main): what an
operator types, what they read, the exit status, and what changed in the database."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from accord import cli
from accord.agreements.models import Agreement
from accord.core.choices import AuditAction, Door, OrganisationKind, Role
from accord.core.demo import DEMO_PASSWORD
from accord.core.models import AuditEvent, Organisation, Person, RoleAssignment, Team
from accord.portfolio.models import Service
from tests.factories import OrganisationFactory, PersonFactory, provider

# The entry point closes database connections when a command ends, as a real process would:
# only a transactional test database survives that.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hashing"),
]

STRONG = "Velvet-orchard-5520"


def accord(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `accord ARGV...`; return (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        cli.main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def state() -> tuple[int, int, int, int]:
    """What a refused command must leave untouched."""
    return (
        Person.objects.count(),
        RoleAssignment.objects.count(),
        Organisation.objects.count(),
        AuditEvent.objects.count(),
    )


# --- accord user --------------------------------------------------------------------------------


def test_user_create_makes_the_person_with_roles_and_cli_audit_events(capsys):
    home = provider()

    code, out, _ = accord(
        capsys,
        "user",
        "create",
        "alice",
        "--role",
        Role.AGENT,
        "--role",
        Role.INCIDENT_MANAGER,
        "--password",
        STRONG,
        "--first-name",
        "Alice",
    )

    assert code == 0
    assert "Created alice in PROV with roles agent, incident_manager." in out
    assert STRONG not in out
    alice = Person.objects.get(username="alice")
    assert alice.organisation == home
    assert alice.first_name == "Alice"
    assert alice.check_password(STRONG)
    assert set(alice.role_assignments.values_list("role", "organisation")) == {
        (Role.AGENT, None),
        (Role.INCIDENT_MANAGER, None),
    }
    events = AuditEvent.objects.order_by("id")
    assert [(e.object_type, e.action, e.door) for e in events] == [
        ("core.person", AuditAction.CREATE, Door.CLI),
        ("core.roleassignment", AuditAction.CREATE, Door.CLI),
        ("core.roleassignment", AuditAction.CREATE, Door.CLI),
    ]
    assert all(e.actor_label.startswith("cli:") for e in events)


def test_user_create_for_a_customer_holds_the_customer_role_there(capsys):
    provider()
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="CONTOSO")

    code, out, _ = accord(
        capsys, "user", "create", "carl", "--org", "contoso", "--role", Role.CUSTOMER_USER
    )

    assert code == 0, out
    carl = Person.objects.get(username="carl")
    assert carl.organisation == customer
    assert list(carl.role_assignments.values_list("role", "organisation")) == [
        (Role.CUSTOMER_USER, customer.pk)
    ]


def test_user_create_without_password_prints_a_generated_one_that_works(capsys):
    provider()

    code, out, _ = accord(capsys, "user", "create", "gen", "--role", Role.AGENT)

    assert code == 0
    [password] = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Pass")]
    assert len(password) >= 12
    assert Person.objects.get(username="gen").check_password(password)


def test_user_roles_lists_every_role_and_what_it_may_do(capsys):
    code, out, _ = accord(capsys, "user", "roles")

    assert code == 0
    for role in Role:
        assert f"{role.value}  ({role.label})" in out
    auditor_block = out.split("auditor  (Auditor)")[1].split("administrator  (")[0]
    assert "Verify the audit trail's hash chain" in auditor_block
    assert "Create and edit" not in auditor_block


def test_user_list_shows_people_and_their_roles(capsys):
    PersonFactory(username="zed", organisation=provider(), roles=[Role.AUDITOR])

    code, out, _ = accord(capsys, "user", "list")

    assert code == 0
    [row] = [line for line in out.splitlines() if line.startswith("zed ")]
    assert row.split() == ["zed", "PROV", "yes", "auditor"]


# --- accord token -------------------------------------------------------------------------------


def test_token_admin_prints_a_token_that_authenticates_the_api(capsys):
    PersonFactory(username="admin", organisation=provider(), roles=[Role.ADMINISTRATOR])

    code, out, _ = accord(capsys, "token", "admin")

    assert code == 0
    token = out.strip()
    assert len(token) == 40
    client = APIClient()
    assert client.get("/api/v1/organisations/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/organisations/")
    assert response.status_code == 200
    assert [o["code"] for o in response.json()["results"]] == ["PROV"]
    # Asking again prints the same token; --rotate replaces it and the old one stops working.
    assert accord(capsys, "token", "admin")[1].strip() == token
    rotated = accord(capsys, "token", "admin", "--rotate")[1].strip()
    assert rotated != token
    assert client.get("/api/v1/organisations/").status_code == 401


def test_token_for_an_unknown_person_is_a_clear_error(capsys):
    code, _, err = accord(capsys, "token", "nobody")
    assert code == 1
    assert "No person with username 'nobody'" in err


# --- accord demo and accord audit verify --------------------------------------------------------


def counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "people": Person.objects.count(),
        "teams": Team.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "events": AuditEvent.objects.count(),
    }


@pytest.mark.demo
def test_demo_loads_into_an_empty_database_once_and_is_idempotent():
    # One test for both, because loading the whole demo is the expensive part.
    OrganisationFactory(kind=OrganisationKind.PROVIDER, code="MINE")
    out = io.StringIO()

    call_command("demo", "--if-empty", stdout=out)

    assert "not loaded again" in out.getvalue()
    assert counts()["organisations"] == 1
    assert not Person.objects.exists()

    Organisation.objects.all().delete()
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    first = counts()
    assert first["organisations"] == 5
    assert first["people"] == 11 + 9  # one per main role, three callers per customer
    assert first["teams"] == 2
    portfolio = (Service.objects.count(), Agreement.objects.filter(status="active").count())
    assert portfolio == (4, 6)  # three customer SLAs, two OLAs, one UC, all active
    assert "admin" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    assert Person.objects.get(username="admin").check_password(DEMO_PASSWORD)

    call_command("demo", stdout=io.StringIO())

    assert counts() == first
    assert (Service.objects.count(), Agreement.objects.count()) == portfolio


def test_audit_verify_succeeds_on_a_clean_chain(capsys):
    provider()
    accord(capsys, "user", "create", "v", "--role", Role.AGENT, "--password", STRONG)

    code, out, _ = accord(capsys, "audit", "verify")

    assert code == 0
    assert "Audit trail intact: 2 events." in out


# --- Wrong arguments: a clear message, a non-zero exit, nothing changed --------------------------


@pytest.fixture
def directory(db):
    provider()
    OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="CUST-A")
    PersonFactory(username="taken", organisation=provider())


WRONG = {
    "unknown role": (
        ["user", "create", "bob", "--role", "wizard"],
        2,
        "invalid choice: 'wizard'",
    ),
    "unknown org": (
        ["user", "create", "bob", "--role", "agent", "--org", "NOPE"],
        1,
        "No organisation with code 'NOPE'",
    ),
    "duplicate username": (
        ["user", "create", "TAKEN", "--role", "agent", "--password", STRONG],
        1,
        "username: A person with this username already exists.",
    ),
    "weak password": (
        ["user", "create", "bob", "--role", "agent", "--password", "password"],
        1,
        "This password is too common.",
    ),
    "role not for this organisation": (
        ["user", "create", "bob", "--role", "agent", "--org", "CUST-A", "--password", STRONG],
        1,
        "Service desk agent is a provider role",
    ),
    "missing username": (
        ["user", "create", "--role", "agent"],
        2,
        "the following arguments are required: username",
    ),
    "missing role": (["user", "create", "bob"], 2, "the following arguments are required: --role"),
    "unknown subcommand": (["user", "frobnicate"], 2, "invalid choice: 'frobnicate'"),
    "unknown command": (["frobnicate"], 1, "Unknown command: 'frobnicate'"),
    "audit without action": (["audit"], 2, "the following arguments are required"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_wrong_arguments_give_a_clear_message_and_change_nothing(capsys, directory, case):
    argv, expected_code, message = WRONG[case]
    before = state()

    code, out, err = accord(capsys, *argv)

    assert code == expected_code, (out, err)
    assert message in err
    assert "Traceback" not in err
    assert state() == before
    assert not Person.objects.filter(username="bob").exists()


def test_user_create_without_a_provider_says_what_to_do(capsys):
    code, _, err = accord(capsys, "user", "create", "bob", "--role", "agent")
    assert code == 1
    assert "No service provider organisation exists yet" in err
    assert state() == (0, 0, 0, 0)


@pytest.mark.parametrize("command", ["worker", "beat"])
@override_settings(ACCORD_BROKER_URL="")
def test_worker_and_beat_without_a_broker_name_the_setting_and_exit_non_zero(capsys, command):
    code, _, err = accord(capsys, command)
    assert code == 1
    assert "ACCORD_BROKER_URL" in err
