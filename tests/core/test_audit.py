"""The audit trail: one event per change from every door (UI, API, admin, CLI), with actor,
request id and field changes; tampering is found by `accord audit verify`; on PostgreSQL the
database itself refuses to rewrite history."""

from __future__ import annotations

import getpass
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.test import Client

from accord import cli
from accord.core import audit, services
from accord.core.choices import AuditAction, Door, OrganisationKind, Role
from accord.core.context import audit_context
from accord.core.models import AuditEvent, Organisation, Person
from tests.core.conftest import ON_POSTGRES
from tests.factories import PASSWORD, PersonFactory, provider

STRONG_PASSWORD = "Quiet-lantern-4821"


def last_id() -> int:
    return AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0


def events_since(event_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=event_id).order_by("id"))


@pytest.fixture
def admin(db):
    """An administrator who may also use the Django admin site."""
    return PersonFactory(
        organisation=provider(),
        roles=[Role.ADMINISTRATOR],
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def org(db):
    return services.organisation_create(
        actor=None,
        code="DOOR",
        name="Door test",
        kind=OrganisationKind.CUSTOMER,
        time_zone="Europe/Berlin",
    )


def form_data(org: Organisation, **changes) -> dict:
    data = {
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "time_zone": org.time_zone,
        "is_active": "on",
        "notes": org.notes,
    }
    data.update(changes)
    return data


# --- One event per change, from each door ------------------------------------------------------


def test_ui_change_writes_one_event_with_door_actor_request_id_and_changes(admin, org):
    client = Client()
    client.force_login(admin)
    start = last_id()

    response = client.post(
        f"/organisations/{org.pk}/edit/",
        form_data(org, name="Renamed via UI", version=org.version),
    )

    assert response.status_code == 302
    [event] = events_since(start)
    assert event.door == Door.UI
    assert event.action == AuditAction.UPDATE
    assert (event.object_type, event.object_id) == ("core.organisation", str(org.pk))
    assert (event.actor_id, event.actor_label) == (admin.pk, admin.username)
    assert event.request_id == response["X-Request-ID"]
    assert event.changes == {"name": ["Door test", "Renamed via UI"]}
    assert event.organisation_id == org.pk


def test_api_change_writes_one_event_and_honours_the_callers_request_id(admin, org, bearer_client):
    client = bearer_client(admin)
    start = last_id()

    response = client.patch(
        f"/api/v1/organisations/{org.pk}/",
        {"name": "Renamed via API", "time_zone": "Europe/Paris"},
        format="json",
        HTTP_IF_MATCH=f'"{org.version}"',
        HTTP_X_REQUEST_ID="caller-request-0001",
    )

    assert response.status_code == 200, response.content
    assert response["X-Request-ID"] == "caller-request-0001"
    [event] = events_since(start)
    assert event.door == Door.API
    assert event.actor_id == admin.pk
    assert event.request_id == "caller-request-0001"
    assert event.changes == {
        "name": ["Door test", "Renamed via API"],
        "time_zone": ["Europe/Berlin", "Europe/Paris"],
    }


def test_api_replaces_a_malformed_request_id_with_its_own(admin, org, bearer_client):
    client = bearer_client(admin)
    start = last_id()

    response = client.patch(
        f"/api/v1/organisations/{org.pk}/",
        {"notes": "n"},
        format="json",
        HTTP_X_REQUEST_ID="not a valid id; DROP TABLE",
    )

    assert response.status_code == 200
    [event] = events_since(start)
    assert event.request_id == response["X-Request-ID"]
    assert event.request_id != "not a valid id; DROP TABLE"
    assert len(event.request_id) >= 8


def test_admin_site_change_writes_one_event_with_door_admin(admin, org):
    client = Client()
    client.force_login(admin)
    start = last_id()

    response = client.post(
        f"/admin/core/organisation/{org.pk}/change/",
        form_data(org, name="Renamed via admin", _save="Save"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = events_since(start)
    assert event.door == Door.ADMIN
    assert event.actor_id == admin.pk
    assert event.changes == {"name": ["Door test", "Renamed via admin"]}
    org.refresh_from_db()
    assert (org.name, org.version) == ("Renamed via admin", 2)


def test_cli_command_writes_events_with_door_cli_and_operator_label(db):
    provider()
    start = last_id()

    with audit_context(Door.CLI, actor_label="cli:operator"):
        call_command(
            "user",
            "create",
            "cli-person",
            "--role",
            Role.AGENT,
            "--password",
            STRONG_PASSWORD,
            stdout=io.StringIO(),
        )

    person = Person.objects.get(username="cli-person")
    events = events_since(start)
    assert [(e.object_type, e.action) for e in events] == [
        ("core.person", AuditAction.CREATE),
        ("core.roleassignment", AuditAction.CREATE),
    ]
    assert {(e.door, e.actor_id, e.actor_label) for e in events} == {
        (Door.CLI, None, "cli:operator")
    }
    person_event = events[0]
    assert person_event.object_id == str(person.pk)
    assert person_event.changes["username"] == [None, "cli-person"]
    assert "password" not in person_event.changes
    assert len({e.request_id for e in events}) == 1, "one command, one request id"


@pytest.mark.django_db(transaction=True)
def test_accord_main_entry_point_records_door_cli_and_os_user(capsys):
    provider()
    start = last_id()

    cli.main(["user", "create", "main-person", "--role", Role.AGENT, "--password", PASSWORD])

    assert "Created main-person" in capsys.readouterr().out
    person_event = next(e for e in events_since(start) if e.object_type == "core.person")
    assert person_event.door == Door.CLI
    assert person_event.actor_label == f"cli:{getpass.getuser()}"


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"postgres://{auth}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_real_console_script_writes_a_cli_event_into_the_same_database(tmp_path):
    provider()
    start = last_id()
    accord = Path(sys.executable).parent / "accord"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ACCORD_", "DATABASE_URL", "DJANGO_"))
    }
    env.update(DATABASE_URL=_database_url(), ACCORD_VAR_DIR=str(tmp_path))

    result = subprocess.run(
        [str(accord), "user", "create", "script-person", "--role", "agent", "--password", PASSWORD],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    [person_event] = [e for e in events_since(start) if e.object_type == "core.person"]
    assert person_event.door == Door.CLI
    assert person_event.actor_label.startswith("cli:")
    assert audit.verify().ok


# --- Tampering is found -------------------------------------------------------------------------


def tamper(sql: str, params: list) -> None:
    """Run raw SQL against the audit table, as someone bypassing the application would
    (on PostgreSQL they would first have to disable the append-only trigger)."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            cursor.execute(
                "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only"
            )
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")


@pytest.fixture
def five_events(org):
    for n in range(4):
        services.organisation_update(actor=None, organisation=org, data={"notes": f"note {n}"})
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) == 5
    return events


def verify_error() -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("audit", "verify", stdout=io.StringIO())
    return str(excinfo.value)


def test_verify_reports_an_intact_chain(five_events):
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact: 5 events" in out.getvalue()


def test_verify_finds_an_event_changed_through_raw_sql(five_events):
    victim = five_events[2]
    tamper("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["forged", victim.pk])

    message = verify_error()

    assert f"broken at event {victim.pk}:" in message
    assert "content does not match" in message
    assert "2 events before it are intact" in message


def test_verify_finds_changed_field_changes(five_events):
    victim = five_events[1]
    tamper("UPDATE core_auditevent SET actor_label = %s WHERE id = %s", ["someone-else", victim.pk])

    assert f"broken at event {victim.pk}:" in verify_error()


def test_verify_finds_an_event_rewritten_together_with_its_own_hash(five_events):
    """Recomputing the forged event's hash does not help: the next link no longer matches."""
    victim, follower = five_events[2], five_events[3]
    victim.object_repr = "forged"
    forged_hash = audit.compute_hash(victim)
    tamper(
        "UPDATE core_auditevent SET object_repr = %s, hash = %s WHERE id = %s",
        ["forged", forged_hash, victim.pk],
    )

    message = verify_error()

    assert f"broken at event {follower.pk}:" in message
    assert "link to the previous event" in message


def test_verify_finds_a_deleted_middle_event(five_events):
    removed, follower = five_events[2], five_events[3]
    tamper("DELETE FROM core_auditevent WHERE id = %s", [removed.pk])

    message = verify_error()

    assert f"broken at event {follower.pk}:" in message
    assert "link to the previous event" in message


@pytest.mark.skipif(not ON_POSTGRES, reason="the append-only trigger exists on PostgreSQL only")
def test_postgres_refuses_raw_update_and_delete_of_audit_events(five_events):
    victim = five_events[0]
    statements = [
        ("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["forged", victim.pk]),
        ("DELETE FROM core_auditevent WHERE id = %s", [victim.pk]),
    ]
    for sql, params in statements:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=victim.pk).delete()

    victim.refresh_from_db()
    assert victim.object_repr == "Door test"
    assert AuditEvent.objects.count() == 5
    assert audit.verify().ok


# --- What does not change writes nothing --------------------------------------------------------


def test_service_call_that_fails_validation_writes_no_event(admin, org):
    start = last_id()

    with pytest.raises(ValidationError):
        services.organisation_create(actor=admin, code="not valid!", name="X", kind="customer")
    with pytest.raises(ValidationError):
        services.organisation_update(
            actor=admin, organisation=org, data={"time_zone": "Mars/Olympus"}
        )
    with pytest.raises(ValidationError):
        services.team_create(
            actor=admin, organisation=org, code="T1", name="Team", lead=admin
        )  # the lead is provider staff, not the customer's

    assert events_since(start) == []
    org.refresh_from_db()
    assert (org.time_zone, org.version) == ("Europe/Berlin", 1)
    assert not Organisation.objects.filter(name="X").exists()


def test_no_op_update_writes_no_event_and_keeps_the_version(admin, org, bearer_client):
    client = bearer_client(admin)
    start = last_id()

    same = services.organisation_update(
        actor=admin,
        organisation=org,
        data={"name": org.name, "time_zone": org.time_zone},
        expected_version=1,
    )
    response = client.patch(
        f"/api/v1/organisations/{org.pk}/",
        {"name": org.name, "is_active": True},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert same.version == 1
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert events_since(start) == []
