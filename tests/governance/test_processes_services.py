"""The process register's services: the standard set, the one-Accountable rule, stale matrix
saves, what a process owner may change, bad input. Everything through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import Role
from accord.core.records import StaleVersion
from accord.governance.models import Process, ProcessActivity, RaciAssignment
from accord.governance.services import processes as services
from accord.governance.standard_processes import STANDARD_PROCESSES
from tests.base import events_since, last_event_id, nothing_changed
from tests.factories import PersonFactory
from tests.governance.processes_factories import add_activity, make_process, staff

pytestmark = pytest.mark.django_db


def cells_of(process: Process) -> dict[tuple[str, str], str]:
    return {
        (c.activity.name, c.role): c.responsibility
        for c in RaciAssignment.objects.filter(activity__process=process).select_related("activity")
    }


def test_standard_set_is_complete_and_each_activity_has_one_accountable():
    codes = {p.code for p in STANDARD_PROCESSES}
    assert len(codes) == len(STANDARD_PROCESSES) == 23
    for std in STANDARD_PROCESSES:
        assert set(std.interfaces) <= codes - {std.code}, std.code
        assert 3 <= len(std.kpis) <= 5 and 3 <= len(std.activities) <= 6, std.code
        for activity in std.activities:
            assert list(activity.raci.values()).count("A") == 1, (std.code, activity.name)
            assert set(activity.raci) <= set(Role.values)
    change = next(p for p in STANDARD_PROCESSES if p.code == "change")
    authorise = next(a for a in change.activities if a.name == "Authorise change")
    assert authorise.raci[Role.CHANGE_AUTHORITY] == "A"
    review = next(p for p in STANDARD_PROCESSES if p.code == "review")
    assert "A" in {a.raci.get(Role.TOP_MANAGEMENT) for a in review.activities}


def test_seed_is_idempotent_never_overwrites_and_owns_by_single_holder():
    incident_manager = staff(Role.INCIDENT_MANAGER)
    staff(Role.CHANGE_MANAGER)
    staff(Role.CHANGE_MANAGER)  # two holders: change management starts without an owner
    PersonFactory(roles=[Role.CAPACITY_MANAGER], is_active=False)
    # The organisation already has its own incident process, edited, missing one activity.
    own = make_process(code="incident", name="Our incidents", purpose="Ours.", kpis="Ours")
    add_activity(own, "Record and classify incidents", agent="A")
    manager = staff(Role.SMS_OWNER)
    mark = last_event_id()

    created = services.processes_seed_standard(actor=manager)

    std_activities = sum(len(p.activities) for p in STANDARD_PROCESSES)
    assert created == (len(STANDARD_PROCESSES) - 1) + (std_activities - 1)
    own.refresh_from_db()
    assert (own.name, own.purpose, own.kpis, own.owner) == ("Our incidents", "Ours.", "Ours", None)
    assert cells_of(own)[("Record and classify incidents", Role.AGENT)] == "A"
    assert own.activities.count() == 4 and own.version == 2  # activities added: next version
    assert Process.objects.get(code="request").owner == incident_manager
    assert Process.objects.get(code="change").owner is None
    assert Process.objects.get(code="capacity").owner is None
    change = Process.objects.get(code="change")
    assert {"configuration", "release", "incident"} <= set(
        change.interfaces.values_list("code", flat=True)
    )
    assert Process.objects.get(code="incident").interfaces.filter(code="change").exists()
    events = events_since(mark)
    assert {e.object_type for e in events} == {"governance.process", "governance.processactivity"}
    assert all(e.actor_id == manager.pk and e.organisation_id is None for e in events)

    # Again: nothing is missing, nothing changes.
    with nothing_changed(Process, own), nothing_changed(RaciAssignment):
        assert services.processes_seed_standard(actor=None) == 0


def test_seed_needs_governance_manage():
    with nothing_changed(Process), pytest.raises(PermissionDenied):
        services.processes_seed_standard(actor=staff(Role.AUDITOR))


def test_second_accountable_is_refused_naming_who_is_accountable_now():
    process = make_process()
    activity = add_activity(process, "Resolve", incident_manager="A", agent="R")
    with nothing_changed(Process, process), pytest.raises(ValidationError) as refused:
        services.raci_set(actor=None, activity=activity, role=Role.AGENT, responsibility="A")
    message = refused.value.message_dict["responsibility"][0]
    assert "Incident manager" in message and "exactly one" in message
    # Moving the A in one matrix save is fine; so is a draft without any A.
    services.raci_save_matrix(
        actor=None,
        process=process,
        cells={(activity.pk, Role.INCIDENT_MANAGER): "R", (activity.pk, Role.AGENT): "A"},
        expected_version=process.version,
    )
    assert cells_of(process) == {
        ("Resolve", Role.INCIDENT_MANAGER): "R",
        ("Resolve", Role.AGENT): "A",
    }
    services.raci_set(actor=None, activity=activity, role=Role.AGENT, responsibility=None)
    assert cells_of(process) == {("Resolve", Role.INCIDENT_MANAGER): "R"}
    process.refresh_from_db()
    assert process.version == 3


def test_matrix_save_is_one_event_bumps_the_version_and_refuses_stale():
    process = make_process()
    a1 = add_activity(process, "Record", agent="R")
    a2 = add_activity(process, "Close")
    editor = staff(Role.TOP_MANAGEMENT)
    seen = process.version
    mark = last_event_id()
    services.raci_save_matrix(
        actor=editor,
        process=process,
        cells={(a1.pk, Role.INCIDENT_MANAGER): "A", (a2.pk, Role.AGENT): "r", (a1.pk, "agent"): ""},
        expected_version=seen,
    )
    [event] = events_since(mark)
    assert (event.object_type, event.action, event.actor_id) == (
        "governance.process",
        "update",
        editor.pk,
    )
    assert event.changes == {
        "RACI Record / Incident manager": [None, "A"],
        "RACI Close / Service desk agent": [None, "R"],
        "RACI Record / Service desk agent": ["R", None],
    }
    process.refresh_from_db()
    assert process.version == seen + 1
    # A second editor who read the same version is refused.
    with nothing_changed(Process, process), pytest.raises(StaleVersion):
        services.raci_save_matrix(
            actor=editor, process=process, cells={(a2.pk, Role.AGENT): "I"}, expected_version=seen
        )


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        (("wizard", "R"), "role"),
        ((Role.AGENT, "X"), "responsibility"),
        ((Role.AGENT, 7), "responsibility"),
    ],
)
def test_bad_cells_are_refused(cell, field):
    process = make_process()
    activity = add_activity(process, "Record")
    with nothing_changed(Process, process), pytest.raises(ValidationError) as refused:
        services.raci_save_matrix(
            actor=None, process=process, cells={(activity.pk, cell[0]): cell[1]}
        )
    assert field in refused.value.message_dict


def test_activity_of_another_process_is_refused():
    process, other = make_process(), make_process()
    foreign = add_activity(other, "Record")
    with nothing_changed(Process, process, other), pytest.raises(ValidationError) as refused:
        services.raci_save_matrix(
            actor=None, process=process, cells={(foreign.pk, Role.AGENT): "R"}
        )
    assert "not an activity of" in refused.value.message_dict["activity"][0]


def test_owner_edits_purpose_kpis_activities_and_raci_but_not_the_owner():
    owner = staff(Role.INCIDENT_MANAGER)
    process = make_process(owner=owner)
    updated = services.process_update(
        actor=owner, process=process, data={"purpose": "New purpose.", "kpis": " A \n\n B "}
    )
    assert (updated.purpose, updated.kpis) == ("New purpose.", "A\nB")
    activity = services.activity_add(actor=owner, process=process, name="  Triage  ")
    assert activity.name == "Triage" and activity.position == 10
    services.raci_set(actor=owner, activity=activity, role=Role.AGENT, responsibility="R")
    services.activity_update(actor=owner, activity=activity, name="Triage calls", position=5)
    with nothing_changed(Process, process), pytest.raises(PermissionDenied):
        services.process_update(actor=owner, process=process, data={"owner": staff(Role.AGENT)})
    with nothing_changed(Process, process), pytest.raises(PermissionDenied):
        services.process_update(actor=owner, process=process, data={"name": "Mine"})
    # Sending the owner unchanged beside an allowed change is fine.
    services.process_update(actor=owner, process=process, data={"owner": owner, "purpose": "P"})
    someone = staff(Role.INCIDENT_MANAGER)
    with nothing_changed(Process, process), pytest.raises(PermissionDenied):
        services.process_update(actor=someone, process=process, data={"purpose": "Theirs"})
    with pytest.raises(PermissionDenied):
        services.raci_set(actor=someone, activity=activity, role=Role.AGENT, responsibility="A")
    mark = last_event_id()
    services.activity_remove(actor=owner, activity=activity)
    assert not ProcessActivity.objects.filter(pk=activity.pk).exists()
    [event] = events_since(mark)
    assert event.action == "delete"
    assert event.changes["raci"] == [{Role.AGENT: "R"}, None]


def test_process_rules_refuse_bad_values():
    process = make_process(code="incident")
    customer = PersonFactory(organisation=None)
    cases = [
        (lambda: services.process_create(actor=None, code="incident", name="Again"), "code"),
        (lambda: services.process_create(actor=None, code="x y", name="Bad"), "code"),
        (
            lambda: services.process_create(actor=None, code="ok", name="Ok", owner_role="x"),
            "owner_role",
        ),
        (
            lambda: services.process_create(actor=None, code="ok", name="Ok", owner=customer),
            "owner",
        ),
        (lambda: services.process_create(actor=None, code="ok", name="Ok", kpis="x" * 201), "kpis"),
        (
            lambda: services.process_update(
                actor=None, process=process, data={"interfaces": [process]}
            ),
            "interfaces",
        ),
        (
            lambda: services.process_update(actor=None, process=process, data={"version": 9}),
            "version",
        ),
        (lambda: services.activity_add(actor=None, process=process, name=" "), "name"),
    ]
    for call, field in cases:
        with nothing_changed(Process, process), pytest.raises(ValidationError) as refused:
            call()
        assert field in refused.value.message_dict, field
    add_activity(process, "Record")
    with pytest.raises(ValidationError):
        services.activity_add(actor=None, process=process, name="record")
