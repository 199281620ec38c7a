"""The improvement services: raising, the Plan-Do-Check-Act rules, who may drive an
improvement, actions and the once-only reminder of overdue ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.choices import OrganisationKind, Role
from accord.core.models import AuditEvent
from accord.core.records import StaleVersion
from accord.improvement import services
from accord.improvement.choices import MeasureKind, Stage
from accord.improvement.models import Action, Criterion, Improvement
from accord.notifications.models import Notification
from tests.base import ALL_ROLES, person_for_role, roles_with
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    agent,
    make_incident,
)
from tests.improvement.factories import (
    ActionFactory,
    ImprovementFactory,
    covered_service,
    staff,
    stopped_clock,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)
RAISERS = roles_with("improvement.raise")
MANAGERS = roles_with("improvement.manage")


def manager():
    return staff(Role.SMS_OWNER)


def raised(actor=None, **data):
    actor = actor or staff()
    data.setdefault("title", "Fewer password resets")
    return services.improvement_create(actor=actor, data=data, now=NOW)


def ready(actor=None, **data):
    """An improvement with everything Plan needs before Do (manual measure)."""
    actor = actor or staff()
    data.setdefault("plan", "Self-service reset page")
    data.setdefault("baseline_value", "120")
    data.setdefault("target_value", "60")
    data.setdefault("higher_is_better", False)
    improvement = raised(actor, **data)
    services.action_add(
        actor=actor,
        improvement=improvement,
        title="Build the page",
        owner=actor,
        due_on=dt.date(2026, 5, 20),
        now=NOW,
    )
    return improvement


def move(improvement, to, actor=None, **data):
    return services.improvement_move(
        actor=actor or improvement.owner, improvement=improvement, to=to, data=data, now=NOW
    )


def unchanged(improvement):
    """The improvement is as it was (same version, same stage)."""
    fresh = Improvement.objects.get(pk=improvement.pk)
    assert fresh.version == improvement.version
    assert fresh.stage == improvement.stage
    return fresh


# --- raising --------------------------------------------------------------------------------------


def test_raising_numbers_the_improvement_puts_it_in_plan_and_audits_it():
    actor = staff()
    improvement = raised(actor, ratings={"VALUE": 5, "EFFORT": 2, "RISK": 1}, source="problem")
    assert improvement.reference.startswith("IMP-")
    assert improvement.stage == Stage.PLAN
    assert improvement.cycle == 1
    assert improvement.owner == actor and improvement.raised_by == actor
    # VALUE +3, EFFORT -2, RISK -1: 15 - 4 - 1
    assert improvement.priority == 10
    event = AuditEvent.objects.get(object_id=str(improvement.pk), object_type__contains="improv")
    assert event.action == "create"


def test_the_source_record_is_linked_and_names_its_reference():
    incident = make_incident(actor=agent())
    improvement = raised(source="problem", source_record=incident)
    assert improvement.source_record == incident
    assert improvement.source_reference == incident.reference


@pytest.mark.parametrize(
    ("ratings", "label"),
    [
        ({"NOPE": 3}, "unknown code"),
        ({"VALUE": 0}, "below one"),
        ({"VALUE": 6}, "above five"),
        ({"VALUE": "high"}, "words"),
        ({"VALUE": True}, "yes/no"),
        (["VALUE", 3], "not a mapping"),
    ],
)
def test_bad_ratings_are_refused_and_nothing_is_raised(ratings, label):
    with pytest.raises(ValidationError) as refused:
        raised(ratings=ratings)
    assert "ratings" in refused.value.message_dict
    assert not Improvement.objects.exists()


def test_a_missing_title_and_a_bad_number_are_named_together():
    with pytest.raises(ValidationError) as refused:
        raised(title=" ", target_value="lots", baseline_to="tomorrow")
    assert {"title", "target_value", "baseline_to"} <= set(refused.value.message_dict)
    assert not Improvement.objects.exists()


def test_an_inactive_criterion_counts_nothing_towards_priority():
    Criterion.objects.filter(code="RISK").update(is_active=False)
    improvement = raised(ratings={"VALUE": 4, "RISK": 5})
    assert improvement.priority == 12


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.dictionaries(st.sampled_from(["VALUE", "EFFORT", "RISK"]), st.integers(1, 5), max_size=3))
def test_priority_is_the_weighted_sum_of_the_ratings(ratings):
    """Whatever is rated, priority = 3 x value - 2 x effort - 1 x risk (unrated: 0)."""
    weights = {"VALUE": 3, "EFFORT": -2, "RISK": -1}
    expected = sum(weights[code] * rating for code, rating in ratings.items())
    assert services.priority_of(ratings) == expected


def test_changing_the_ratings_recomputes_the_priority():
    improvement = raised(ratings={"VALUE": 1})
    assert improvement.priority == 3
    saved = services.improvement_update(
        actor=improvement.owner, improvement=improvement, data={"ratings": {"VALUE": 5}}
    )
    assert saved.priority == 15 and saved.version == improvement.version + 1


def test_the_owner_must_be_active_provider_staff():
    customer = PersonFactory(
        organisation=OrganisationFactory(kind=OrganisationKind.CUSTOMER), roles=[]
    )
    gone = staff()
    gone.is_active = False
    gone.save()
    for owner in (customer, gone, 999999):
        with pytest.raises(ValidationError) as refused:
            raised(owner=owner)
        assert "owner" in refused.value.message_dict
    assert not Improvement.objects.exists()


# --- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_raise(role, customer_org):
    person = person_for_role(role, customer_org)
    if role in RAISERS:
        assert raised(person).owner == person
    else:
        assert role in (Role.AUDITOR, Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER)
        with pytest.raises(PermissionDenied):
            raised(person)
        assert not Improvement.objects.exists()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_drive_an_improvement_they_do_not_own(role, customer_org):
    improvement = raised(staff())
    person = person_for_role(role, customer_org)
    assert services.may_drive(person, improvement) == (role in MANAGERS)
    if role in MANAGERS:
        saved = services.improvement_update(
            actor=person, improvement=improvement, data={"benefit": "Less waiting"}
        )
        assert saved.benefit == "Less waiting"
    else:
        with pytest.raises(PermissionDenied):
            services.improvement_update(
                actor=person, improvement=improvement, data={"benefit": "Less waiting"}
            )
        with pytest.raises(PermissionDenied):
            move(improvement, Stage.CLOSED, person, decision="abandon", decision_notes="No")
        unchanged(improvement)


def test_only_the_sms_owner_and_top_management_manage_the_register():
    assert {Role.SMS_OWNER, Role.TOP_MANAGEMENT} == MANAGERS
    assert Role.AUDITOR not in RAISERS


def test_the_owner_drives_their_own_improvement():
    owner = staff(Role.CHANGE_MANAGER)
    improvement = raised(owner)
    assert services.may_drive(owner, improvement)
    assert not services.may_drive(staff(), improvement)
    assert services.may_drive(None, improvement)


def test_a_stale_version_is_refused_and_changes_nothing():
    improvement = raised()
    services.improvement_update(
        actor=improvement.owner, improvement=improvement, data={"benefit": "First"}
    )
    with pytest.raises(StaleVersion):
        services.improvement_update(
            actor=improvement.owner,
            improvement=improvement,
            data={"benefit": "Second"},
            version=improvement.version,
        )
    with pytest.raises(StaleVersion):
        services.improvement_move(
            actor=improvement.owner, improvement=improvement, to=Stage.DO, version=1
        )
    fresh = Improvement.objects.get(pk=improvement.pk)
    assert fresh.benefit == "First" and fresh.version == 2


def test_a_save_that_changes_nothing_keeps_the_version():
    improvement = raised(benefit="Less waiting")
    saved = services.improvement_update(
        actor=improvement.owner, improvement=improvement, data={"benefit": "Less waiting"}
    )
    assert saved.version == improvement.version


# --- the stage rules ------------------------------------------------------------------------------


def test_do_needs_a_plan_a_target_a_baseline_and_an_action():
    improvement = raised()
    with pytest.raises(ValidationError) as refused:
        move(improvement, Stage.DO)
    assert {"plan", "target_value", "baseline_value", "actions"} <= set(refused.value.message_dict)
    unchanged(improvement)


def test_an_action_of_an_earlier_cycle_does_not_count():
    improvement = raised(plan="Do it", baseline_value=1, target_value=2)
    ActionFactory(improvement=improvement, cycle=0)
    with pytest.raises(ValidationError) as refused:
        move(improvement, Stage.DO)
    assert set(refused.value.message_dict) == {"actions"}


def test_the_whole_cycle_to_adoption():
    improvement = ready()
    owner = improvement.owner
    improvement = move(improvement, Stage.DO)
    assert improvement.stage == Stage.DO
    improvement = move(improvement, Stage.CHECK, result_value="45", check_notes="Half the calls")
    assert improvement.result_value == Decimal("45")
    improvement = move(improvement, Stage.ACT)
    improvement = move(improvement, Stage.CLOSED, decision="adopt", decision_notes="Keep the page")
    assert improvement.stage == Stage.CLOSED
    assert improvement.decided_by == owner and improvement.decided_at == NOW
    assert improvement.closed_at == NOW
    transitions = AuditEvent.objects.filter(object_id=str(improvement.pk), action="transition")
    assert transitions.count() == 4


def test_no_check_without_a_measured_result():
    improvement = move(ready(), Stage.DO)
    with pytest.raises(ValidationError) as refused:
        move(improvement, Stage.CHECK)
    assert set(refused.value.message_dict) == {"result_value"}
    unchanged(improvement)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "decision"),
        ({"decision": "adjust", "decision_notes": "Again"}, "decision"),
        ({"decision": "adopt"}, "decision_notes"),
        ({"decision": "maybe", "decision_notes": "Hm"}, "decision"),
    ],
)
def test_closing_from_act_needs_adopt_or_abandon_with_notes(data, field):
    improvement = move(move(move(ready(), Stage.DO), Stage.CHECK, result_value=50), Stage.ACT)
    with pytest.raises(ValidationError) as refused:
        move(improvement, Stage.CLOSED, **data)
    assert field in refused.value.message_dict
    unchanged(improvement)


def test_adjust_and_repeat_starts_a_new_cycle_without_the_old_result():
    improvement = move(move(move(ready(), Stage.DO), Stage.CHECK, result_value=90), Stage.ACT)
    improvement = move(
        improvement, Stage.PLAN, decision="adjust", decision_notes="Advertise the page"
    )
    assert improvement.stage == Stage.PLAN and improvement.cycle == 2
    assert improvement.result_value is None and improvement.check_notes == ""
    assert improvement.baseline_value == Decimal("120")
    # The first cycle's action does not carry the second.
    with pytest.raises(ValidationError) as refused:
        move(improvement, Stage.DO)
    assert set(refused.value.message_dict) == {"actions"}
    action = services.action_add(
        actor=improvement.owner,
        improvement=improvement,
        title="Mail every user",
        owner=improvement.owner,
        due_on="2026-05-30",
        now=NOW,
    )
    assert action.cycle == 2
    assert move(improvement, Stage.DO).stage == Stage.DO


def test_act_back_to_plan_needs_the_decision_adjust():
    improvement = move(move(move(ready(), Stage.DO), Stage.CHECK, result_value=50), Stage.ACT)
    with pytest.raises(ValidationError) as refused:
        move(improvement, Stage.PLAN, decision="adopt", decision_notes="x")
    assert "decision" in refused.value.message_dict
    fresh = unchanged(improvement)
    assert fresh.cycle == 1


def test_abandoning_in_plan_needs_the_decision_abandon_with_notes():
    improvement = raised()
    with pytest.raises(ValidationError):
        move(improvement, Stage.CLOSED, decision="adopt", decision_notes="Why not")
    with pytest.raises(ValidationError):
        move(improvement, Stage.CLOSED, decision="abandon")
    unchanged(improvement)
    closed = move(improvement, Stage.CLOSED, decision="abandon", decision_notes="Duplicate")
    assert closed.stage == Stage.CLOSED and closed.closed_at == NOW


@pytest.mark.parametrize(
    ("stage", "to"),
    [
        (Stage.PLAN, Stage.CHECK),
        (Stage.PLAN, Stage.ACT),
        (Stage.PLAN, Stage.PLAN),
        (Stage.DO, Stage.ACT),
        (Stage.DO, Stage.CLOSED),
        (Stage.CHECK, Stage.CLOSED),
        (Stage.CHECK, Stage.PLAN),
        (Stage.ACT, Stage.DO),
        (Stage.CLOSED, Stage.PLAN),
        (Stage.PLAN, "somewhere"),
    ],
)
def test_moves_outside_the_cycle_are_refused_naming_the_allowed_ones(stage, to):
    improvement = ImprovementFactory(stage=stage, decision="adopt" if stage == Stage.CLOSED else "")
    with pytest.raises(ValidationError) as refused:
        move(improvement, to, manager())
    message = refused.value.message_dict["stage"][0]
    assert "allowed" in message
    for allowed in services.STAGE_TRANSITIONS[stage]:
        assert allowed in message
    unchanged(improvement)


def test_do_steps_back_to_plan_and_check_back_to_do():
    improvement = move(ready(), Stage.DO)
    assert move(improvement, Stage.PLAN).stage == Stage.PLAN
    improvement = move(move(improvement, Stage.DO), Stage.CHECK, result_value=70)
    assert move(improvement, Stage.DO).stage == Stage.DO


def test_the_plan_is_fixed_outside_plan_and_the_result_is_set_only_in_check():
    improvement = raised()
    with pytest.raises(ValidationError) as refused:
        services.improvement_update(
            actor=improvement.owner, improvement=improvement, data={"result_value": 3}
        )
    assert "result_value" in refused.value.message_dict
    improvement = move(ready(), Stage.DO)
    with pytest.raises(ValidationError) as refused:
        services.improvement_update(
            actor=improvement.owner, improvement=improvement, data={"target_value": 1}
        )
    assert "target_value" in refused.value.message_dict
    unchanged(improvement)
    # The general fields stay editable.
    saved = services.improvement_update(
        actor=improvement.owner, improvement=improvement, data={"title": "Renamed"}
    )
    assert saved.title == "Renamed"


def test_a_closed_improvement_no_longer_changes():
    improvement = move(raised(), Stage.CLOSED, decision="abandon", decision_notes="Duplicate")
    with pytest.raises(ValidationError):
        services.improvement_update(
            actor=manager(), improvement=improvement, data={"title": "Renamed"}
        )
    with pytest.raises(ValidationError):
        services.action_add(
            actor=manager(),
            improvement=improvement,
            title="Late",
            owner=improvement.owner,
            due_on=dt.date(2026, 6, 1),
            now=NOW,
        )
    assert Improvement.objects.get(pk=improvement.pk).title == improvement.title


def test_a_live_measure_refuses_typed_figures():
    with pytest.raises(ValidationError) as refused:
        raised(measure_kind=MeasureKind.SLA_ATTAINMENT, baseline_value=90)
    assert "baseline_value" in refused.value.message_dict


# --- actions --------------------------------------------------------------------------------------


def test_actions_are_added_in_plan_and_do_only():
    improvement = move(move(ready(), Stage.DO), Stage.CHECK, result_value=1)
    with pytest.raises(ValidationError):
        services.action_add(
            actor=improvement.owner,
            improvement=improvement,
            title="Late idea",
            owner=improvement.owner,
            due_on=dt.date(2026, 6, 1),
            now=NOW,
        )
    assert improvement.actions.count() == 1


def test_a_bad_action_is_refused_with_every_field_named():
    improvement = raised()
    customer = PersonFactory(
        organisation=OrganisationFactory(kind=OrganisationKind.CUSTOMER), roles=[]
    )
    with pytest.raises(ValidationError) as refused:
        services.action_add(
            actor=improvement.owner,
            improvement=improvement,
            title="",
            owner=customer,
            due_on=dt.date(2026, 5, 1),
            now=NOW,
        )
    assert set(refused.value.message_dict) == {"title", "owner", "due_on"}
    assert not Action.objects.exists()


def test_other_staff_cannot_add_actions():
    improvement = raised()
    with pytest.raises(PermissionDenied):
        services.action_add(
            actor=staff(),
            improvement=improvement,
            title="Mine",
            owner=improvement.owner,
            due_on=dt.date(2026, 6, 1),
            now=NOW,
        )
    assert not Action.objects.exists()


def test_the_action_owner_completes_it_once():
    improvement = raised()
    doer = staff(Role.INCIDENT_MANAGER)
    action = services.action_add(
        actor=improvement.owner,
        improvement=improvement,
        title="Write the guide",
        owner=doer,
        due_on=dt.date(2026, 5, 10),
        now=NOW,
    )
    with pytest.raises(PermissionDenied):
        services.action_complete(actor=staff(), action=action, now=NOW)
    done = services.action_complete(actor=doer, action=action, notes=" Published ", now=NOW)
    assert done.done_at == NOW and done.done_notes == "Published"
    with pytest.raises(ValidationError):
        services.action_complete(actor=doer, action=action, now=NOW)
    with pytest.raises(StaleVersion):
        services.action_complete(actor=manager(), action=action, version=1, now=NOW)


# --- overdue reminders ----------------------------------------------------------------------------


def test_an_overdue_action_reminds_its_owner_exactly_once():
    doer = staff()
    overdue = ActionFactory(owner=doer, due_on=dt.date(2026, 5, 3))
    ActionFactory(owner=doer, due_on=dt.date(2026, 5, 4))  # due today: not overdue yet
    ActionFactory(owner=doer, due_on=dt.date(2026, 4, 1), done_at=NOW)  # done
    ActionFactory(
        owner=doer,
        due_on=dt.date(2026, 4, 1),
        improvement=ImprovementFactory(stage=Stage.CLOSED, decision="abandon"),
    )
    assert services.remind_overdue_actions(NOW) == 1
    notices = Notification.objects.filter(kind="improvement.action_overdue")
    assert [n.recipient_id for n in notices] == [doer.pk]
    assert overdue.title in notices.get().subject
    assert Action.objects.get(pk=overdue.pk).reminded_at == NOW
    # Later runs tell nobody again.
    assert services.remind_overdue_actions(NOW + dt.timedelta(hours=1)) == 0
    assert services.remind_overdue_actions(NOW + dt.timedelta(days=3)) == 1  # the next one
    assert Notification.objects.filter(kind="improvement.action_overdue").count() == 2


def test_the_task_runs_the_reminder():
    from accord.improvement.tasks import remind_overdue_actions

    ActionFactory(due_on=dt.date(2000, 1, 1))
    assert remind_overdue_actions() == 1
    assert remind_overdue_actions() == 0


# --- a live measure through Plan, Do and Check --------------------------------------------------


def test_a_live_sla_attainment_is_measured_into_baseline_and_result():
    service, customer = covered_service()
    march = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    for breached in (True, True, False, False):  # 50 % in March
        stopped_clock(service, customer, march, breached=breached)
    owner = staff(Role.SERVICE_LEVEL_MANAGER)
    improvement = raised(
        owner,
        service=service,
        measure_kind=MeasureKind.SLA_ATTAINMENT,
        measure_name="Resolution within target",
        measure_unit="%",
        plan="Second-line rota",
        target_value="75",
        baseline_from="2026-03-01",
        baseline_to="2026-03-31",
    )
    services.action_add(
        actor=owner,
        improvement=improvement,
        title="Rota",
        owner=owner,
        due_on=dt.date(2026, 5, 5),
        now=NOW,
    )
    improvement = move(improvement, Stage.DO)
    assert improvement.baseline_value == Decimal("50.000")
    # Check needs the result period; an empty period measures nothing.
    with pytest.raises(ValidationError) as refused:
        move(improvement, Stage.CHECK)
    assert {"result_from", "result_to"} <= set(refused.value.message_dict)
    with pytest.raises(ValidationError) as refused:
        move(improvement, Stage.CHECK, result_from="2026-06-01", result_to="2026-06-30")
    assert "result_from" in refused.value.message_dict
    unchanged(improvement)
    june = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)  # the last day counts
    for breached in (False, False, False, True):  # 75 % in June
        stopped_clock(service, customer, june, breached=breached)
    improvement = move(improvement, Stage.CHECK, result_from="2026-06-01", result_to="2026-06-30")
    assert improvement.stage == Stage.CHECK
    assert improvement.result_value == Decimal("75.000")
    assert improvement.baseline_value == Decimal("50.000")
    # Correcting the period in Check measures it again.
    stopped_clock(service, customer, dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC), breached=False)
    improvement = services.improvement_update(
        actor=owner, improvement=improvement, data={"result_to": "2026-07-01"}
    )
    assert improvement.result_value == Decimal("80.000")


def test_a_live_baseline_needs_the_service_and_the_period():
    owner = staff()
    improvement = raised(
        owner, measure_kind=MeasureKind.SLA_ATTAINMENT, plan="Rota", target_value=90
    )
    ActionFactory(improvement=improvement)
    with pytest.raises(ValidationError) as refused:
        move(improvement, Stage.DO)
    assert set(refused.value.message_dict) == {"service", "baseline_from", "baseline_to"}
    unchanged(improvement)
