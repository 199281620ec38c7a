"""The objective services: who sets, changes and judges objectives, the validation of bad input
(nothing changes), manual measurements and their rules, progress read against the period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.agreements.choices import ClockState
from accord.core.choices import AuditAction, Role
from accord.core.records import StaleVersion
from accord.governance.choices import Direction, ObjectiveMeasure, ObjectiveStatus
from accord.governance.models import Objective, ObjectiveMeasurement
from accord.governance.selectors.objectives import (
    objective_progress,
    objectives_visible_to,
    objectives_with_progress,
)
from accord.governance.services import objectives as services
from tests.base import events_since, last_event_id, nothing_changed
from tests.factories import PersonFactory, ServiceFactory
from tests.governance.objectives_factories import (
    PERIOD_END,
    PERIOD_START,
    clock,
    customer,
    incident_row,
    make_measurement,
    make_objective,
    staff,
    utc,
)

pytestmark = pytest.mark.django_db
NOW = utc(2026, 3, 20, 12)


@pytest.fixture
def manager():
    return staff(Role.SMS_OWNER)


def create(actor, **kwargs):
    values = {
        "title": "Resolve incidents on time",
        "owner": staff(),
        "target": "95",
        "period_start": PERIOD_START,
        "period_end": PERIOD_END,
        "measure": ObjectiveMeasure.SLA_ATTAINMENT,
    }
    values.update(kwargs)
    return services.objective_create(actor=actor, **values)


def test_a_manager_sets_an_objective_with_the_measure_unit_and_an_audit_event(manager):
    mark = last_event_id()
    objective = create(manager, title="  Resolve incidents on time ")
    assert objective.reference.startswith("OBJ-")
    assert (objective.title, objective.unit, objective.target) == (
        "Resolve incidents on time",
        "%",
        Decimal("95"),
    )
    assert objective.status == ObjectiveStatus.ACTIVE
    assert [(e.action, e.object_id) for e in events_since(mark)] == [
        (AuditAction.CREATE, str(objective.pk))
    ]
    score = create(manager, measure=ObjectiveMeasure.SATISFACTION, target="4.2", unit="")
    assert score.unit == "score"
    assert create(manager, measure=ObjectiveMeasure.MANUAL, unit="").unit == ""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"period_start": PERIOD_END, "period_end": PERIOD_START}, "period_end"),
        ({"target": "ninety"}, "target"),
        ({"target": "95.125"}, "target"),
        ({"target": "1e400"}, "target"),
        ({"target": "NaN"}, "target"),
        ({"target": None}, "target"),
        ({"target": "150"}, "target"),  # a percentage above 100
        ({"measure": ObjectiveMeasure.SATISFACTION, "target": "6"}, "target"),
        ({"title": "  "}, "title"),
        ({"measure": "uptime"}, "measure"),
        ({"direction": "around"}, "direction"),
        ({"period_start": None}, "period_start"),
        ({"period_end": dt.date(9999, 12, 31)}, "period_end"),
        ({"owner": None}, "owner"),
    ],
)
def test_bad_input_is_refused_with_a_field_message_and_changes_nothing(manager, changes, field):
    with nothing_changed(Objective), pytest.raises(ValidationError) as caught:
        create(manager, **changes)
    assert field in caught.value.error_dict


def test_the_owner_is_active_provider_staff(manager):
    outsider = PersonFactory(organisation=customer(), roles=[Role.CUSTOMER_USER])
    with pytest.raises(ValidationError, match="provider"):
        create(manager, owner=outsider)
    gone = staff()
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError, match="active"):
        create(manager, owner=gone)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SERVICE_OWNER, Role.CUSTOMER_MANAGER])
def test_only_managers_set_objectives(role):
    with nothing_changed(Objective), pytest.raises(PermissionDenied):
        create(
            staff(role)
            if role != Role.CUSTOMER_MANAGER
            else PersonFactory(organisation=customer(), roles=[role])
        )


def test_a_manager_role_held_outside_the_provider_sets_nothing():
    holder = PersonFactory(organisation=customer(), roles=[Role.TOP_MANAGEMENT])
    with pytest.raises(PermissionDenied):
        create(holder)


def test_the_owner_changes_the_plan_but_not_the_target(manager):
    objective = make_objective()
    owner = objective.owner
    saved = services.objective_update(
        actor=owner, objective=objective, data={"plan": "Daily stand-up"}, expected_version=1
    )
    assert (saved.plan, saved.version) == ("Daily stand-up", 2)
    with nothing_changed(Objective, saved), pytest.raises(PermissionDenied, match="target"):
        services.objective_update(actor=owner, objective=saved, data={"target": "50"})
    with pytest.raises(PermissionDenied):
        services.objective_update(actor=staff(), objective=saved, data={"plan": "Mine now"})


def test_an_update_is_validated_as_a_whole_and_refuses_stale_versions(manager):
    objective = make_objective()
    with nothing_changed(Objective, objective), pytest.raises(ValidationError) as caught:
        services.objective_update(
            actor=manager, objective=objective, data={"period_end": dt.date(2026, 2, 1)}
        )
    assert "period_end" in caught.value.error_dict
    with pytest.raises(ValidationError, match="transition"):
        services.objective_update(actor=manager, objective=objective, data={"status": "missed"})
    with nothing_changed(Objective, objective), pytest.raises(StaleVersion):
        services.objective_update(
            actor=manager, objective=objective, data={"title": "New"}, expected_version=7
        )
    # A new measure without a unit brings its own unit when the old one was the default.
    sla = make_objective(measure=ObjectiveMeasure.SLA_ATTAINMENT)
    moved = services.objective_update(
        actor=manager,
        objective=sla,
        data={"measure": ObjectiveMeasure.COMPLAINTS, "direction": Direction.AT_MOST},
    )
    assert (moved.unit, moved.version) == ("complaints", 2)


def test_transitions_follow_the_rules_and_are_audited(manager):
    objective = make_objective()
    mark = last_event_id()
    achieved = services.objective_transition(
        actor=manager, objective=objective, to=ObjectiveStatus.ACHIEVED, expected_version=1
    )
    assert achieved.status == ObjectiveStatus.ACHIEVED
    [event] = events_since(mark)
    assert (event.action, event.changes["status"]) == (
        AuditAction.TRANSITION,
        ["active", "achieved"],
    )
    with nothing_changed(Objective, achieved), pytest.raises(ValidationError, match="active"):
        services.objective_transition(actor=manager, objective=achieved, to="missed")
    with pytest.raises(ValidationError, match="not a status"):
        services.objective_transition(actor=manager, objective=achieved, to="done")
    with pytest.raises(PermissionDenied):
        services.objective_transition(actor=achieved.owner, objective=achieved, to="active")
    back = services.objective_transition(actor=manager, objective=achieved, to="active")
    assert back.status == ObjectiveStatus.ACTIVE


def test_the_owner_records_values_with_evidence_within_the_period():
    objective = make_objective(target=Decimal("4"))
    mark = last_event_id()
    saved = services.measurement_record(
        actor=objective.owner,
        objective=objective,
        value="4.25",
        measured_on=dt.date(2026, 3, 15),
        evidence=" Survey of March ",
        now=NOW,
    )
    assert (saved.value, saved.evidence, saved.recorded_by) == (
        Decimal("4.25"),
        "Survey of March",
        objective.owner,
    )
    assert [e.object_type for e in events_since(mark)] == ["governance.objectivemeasurement"]
    progress = objective_progress(objective, NOW)
    assert (progress.value, progress.met, progress.verdict, progress.live) == (
        Decimal("4.25"),
        True,
        "on track",
        False,
    )


@pytest.mark.parametrize(
    ("value", "day", "evidence", "field"),
    [
        ("4", dt.date(2026, 3, 15), "  ", "evidence"),
        ("four", dt.date(2026, 3, 15), "Report", "value"),
        ("4", dt.date(2026, 2, 28), "Report", "measured_on"),  # before the period
        ("4", dt.date(2026, 3, 21), "Report", "measured_on"),  # after today
        ("4", None, "Report", "measured_on"),
    ],
)
def test_bad_measurements_are_refused(value, day, evidence, field):
    objective = make_objective()
    with nothing_changed(ObjectiveMeasurement), pytest.raises(ValidationError) as caught:
        services.measurement_record(
            actor=objective.owner,
            objective=objective,
            value=value,
            measured_on=day,
            evidence=evidence,
            now=NOW,
        )
    assert field in caught.value.error_dict


def test_live_and_withdrawn_objectives_take_no_manual_values_and_strangers_none():
    live = make_objective(measure=ObjectiveMeasure.COMPLAINTS)
    args = {"value": "1", "measured_on": dt.date(2026, 3, 2), "evidence": "Log", "now": NOW}
    with pytest.raises(ValidationError, match="measured live"):
        services.measurement_record(actor=live.owner, objective=live, **args)
    withdrawn = make_objective(status=ObjectiveStatus.WITHDRAWN)
    with pytest.raises(ValidationError, match="withdrawn"):
        services.measurement_record(actor=withdrawn.owner, objective=withdrawn, **args)
    with pytest.raises(PermissionDenied):
        services.measurement_record(actor=staff(), objective=make_objective(), **args)


def test_progress_reads_the_period_and_the_direction():
    manual = make_objective(direction=Direction.AT_MOST, target=Decimal("3"))
    assert objective_progress(manual, NOW).verdict == "no data"
    make_measurement(manual, "5", dt.date(2026, 3, 10))
    make_measurement(manual, "2", dt.date(2026, 3, 12))  # the latest counts
    assert objective_progress(manual, NOW).verdict == "on track"
    assert objective_progress(manual, utc(2026, 4, 2)).verdict == "met"
    assert objective_progress(manual, utc(2026, 2, 2)).verdict == "not started"

    mail = ServiceFactory()
    live = make_objective(measure=ObjectiveMeasure.SLA_ATTAINMENT, service=mail)
    clock(incident_row(mail), state=ClockState.BREACHED, stopped_at=utc(2026, 3, 5))
    progress = objective_progress(live, utc(2026, 4, 2))
    assert (progress.value, progress.count, progress.met, progress.verdict) == (
        Decimal("0.0"),
        1,
        False,
        "not met",
    )
    assert progress.bar == 0


def test_only_provider_staff_and_the_auditor_see_objectives():
    objective = make_objective()
    for role in (Role.AGENT, Role.AUDITOR):
        assert objective in objectives_visible_to(staff(role))
    for person in (
        PersonFactory(organisation=customer(), roles=[Role.CUSTOMER_MANAGER]),
        PersonFactory(organisation=customer(), roles=[Role.SMS_OWNER]),
        None,
    ):
        assert not objectives_visible_to(person).exists()


def test_the_list_costs_one_query_per_live_objective_and_none_per_manual(
    django_assert_num_queries,
):
    reader = staff(Role.AUDITOR)
    for _ in range(4):
        make_measurement(make_objective(), "91", dt.date(2026, 3, 3))
    make_objective(measure=ObjectiveMeasure.COMPLAINTS)
    make_objective(measure=ObjectiveMeasure.MAJOR_INCIDENTS)
    objectives_with_progress(objectives_visible_to(reader), NOW)  # warm the caches
    with django_assert_num_queries(1 + 2):
        rows = objectives_with_progress(objectives_visible_to(reader), NOW)
    assert sorted(r.progress.verdict for r in rows).count("on track") == 4
