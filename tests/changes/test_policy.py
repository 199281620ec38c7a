"""The change policy as data: risk questions, the approval matrix, freeze windows, the default
policy and who may keep it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from accord.changes.models import ApprovalRule, FreezeWindow, RiskAnswer, RiskQuestion
from accord.changes.services import policy
from accord.core.choices import AuditAction, Role
from accord.core.records import StaleVersion
from tests.base import events_since, last_event_id, nothing_changed, object_type, roles_with
from tests.changes.factories import ApprovalRuleFactory, FreezeWindowFactory, RiskQuestionFactory
from tests.factories import OrganisationFactory, ServiceFactory, TeamFactory, person_with_role

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
ANSWERS = [{"text": "No", "weight": 0}, {"text": "Yes", "weight": 4}]


@pytest.fixture
def manager():
    return person_with_role(Role.CHANGE_MANAGER)


def _question(**data):
    return {"text": "Does it touch the database?", "answers": ANSWERS, **data}


# --- who may keep the policy --------------------------------------------------------------------

NOT_MANAGERS = sorted(
    {Role.AGENT, Role.CHANGE_AUTHORITY, Role.PROBLEM_MANAGER, Role.SERVICE_OWNER, Role.AUDITOR}
)


def test_only_the_change_manager_holds_the_capability():
    assert roles_with("changes.manage") == {Role.CHANGE_MANAGER}


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_others_may_not_keep_the_policy(role):
    person = person_with_role(role)
    rule = ApprovalRuleFactory()
    window = FreezeWindowFactory()
    question = RiskQuestionFactory(answers=[("No", 0), ("Yes", 1)])
    with nothing_changed(RiskQuestion, question), nothing_changed(ApprovalRule, rule):
        with pytest.raises(PermissionDenied):
            policy.risk_question_create(actor=person, data=_question())
        with pytest.raises(PermissionDenied):
            policy.risk_question_update(actor=person, question=question, data={"text": "X?"})
        with pytest.raises(PermissionDenied):
            policy.approval_rule_create(
                actor=person,
                data={"name": "R", "change_type": "normal", "authority": "automatic"},
            )
        with pytest.raises(PermissionDenied):
            policy.approval_rule_update(actor=person, rule=rule, data={"name": "R2"})
        with pytest.raises(PermissionDenied):
            policy.approval_rule_delete(actor=person, rule=rule)
        with pytest.raises(PermissionDenied):
            policy.freeze_window_create(
                actor=person,
                data={"name": "F", "starts_at": T0, "ends_at": T0 + dt.timedelta(days=1)},
            )
        with pytest.raises(PermissionDenied):
            policy.freeze_window_update(actor=person, window=window, data={"name": "F2"})
        with pytest.raises(PermissionDenied):
            policy.freeze_window_delete(actor=person, window=window)


def test_a_change_manager_of_a_customer_may_not_keep_the_policy():
    outsider = person_with_role(Role.CHANGE_MANAGER, organisation=OrganisationFactory())
    with pytest.raises(PermissionDenied):
        policy.risk_question_create(actor=outsider, data=_question())


# --- risk questions -----------------------------------------------------------------------------


def test_create_question_with_answers_is_audited(manager):
    mark = last_event_id()
    question = policy.risk_question_create(actor=manager, data=_question(order=7))
    assert question.text == "Does it touch the database?"
    assert [(a.text, a.weight) for a in question.answers.all()] == [("No", 0), ("Yes", 4)]
    [event] = events_since(mark)
    assert event.action == AuditAction.CREATE
    assert event.object_type == object_type(RiskQuestion)
    assert event.actor_id == manager.pk
    assert event.changes["answers"] == [None, ANSWERS]
    assert event.changes["order"] == [None, 7]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": "  "}, "text"),
        ({"answers": [{"text": "Only", "weight": 1}]}, "answers"),
        ({"answers": []}, "answers"),
        ({"answers": [{"text": "No", "weight": 0}, {"text": "Yes", "weight": -1}]}, "answers"),
        ({"answers": [{"text": "No", "weight": 0}, {"text": "", "weight": 2}]}, "answers"),
        ({"answers": [{"text": "No", "weight": 0}, {"text": "no", "weight": 2}]}, "answers"),
        ({"answers": [{"text": "No", "weight": 0}, {"text": "Yes", "weight": True}]}, "answers"),
        ({"answers": "No, Yes"}, "answers"),
        ({"order": -1}, "order"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_question_is_refused_and_nothing_written(manager, data, field):
    with (
        nothing_changed(RiskQuestion),
        nothing_changed(RiskAnswer),
        pytest.raises(ValidationError) as exc,
    ):
        policy.risk_question_create(actor=manager, data=_question(**data))
    assert field in exc.value.message_dict


def test_question_without_answers_is_refused(manager):
    with pytest.raises(ValidationError) as exc:
        policy.risk_question_create(actor=manager, data={"text": "Why?"})
    assert "answers" in exc.value.message_dict


def test_update_replaces_answers_as_a_whole_and_audits_both_lists(manager):
    question = policy.risk_question_create(actor=manager, data=_question())
    kept = question.answers.get(text="Yes")
    mark = last_event_id()
    new = [
        {"text": "Yes", "weight": 5},
        {"text": "Partly", "weight": 2},
        {"text": "Not at all", "weight": 0},
    ]
    updated = policy.risk_question_update(
        actor=manager, question=question, data={"answers": new}, version=question.version
    )
    assert updated.version == question.version + 1
    assert [(a.text, a.weight) for a in updated.answers.order_by("order")] == [
        ("Yes", 5),
        ("Partly", 2),
        ("Not at all", 0),
    ]
    # An answer kept by its text keeps its row, so earlier assessments still name it.
    assert updated.answers.get(text="Yes").pk == kept.pk
    [event] = events_since(mark)
    assert event.action == AuditAction.UPDATE
    assert event.changes == {"answers": [ANSWERS, new]}


def test_update_that_changes_nothing_writes_nothing(manager):
    question = policy.risk_question_create(actor=manager, data=_question())
    with nothing_changed(RiskQuestion, question):
        policy.risk_question_update(
            actor=manager, question=question, data={"text": question.text, "answers": ANSWERS}
        )


def test_update_of_a_stale_version_is_refused(manager):
    question = policy.risk_question_create(actor=manager, data=_question())
    policy.risk_question_update(actor=manager, question=question, data={"text": "Changed?"})
    with nothing_changed(RiskQuestion, question), pytest.raises(StaleVersion):
        policy.risk_question_update(
            actor=manager, question=question, data={"active": False}, version=question.version
        )


def test_bad_update_changes_nothing(manager):
    question = policy.risk_question_create(actor=manager, data=_question())
    with (
        nothing_changed(RiskQuestion, question),
        nothing_changed(RiskAnswer),
        pytest.raises(ValidationError) as exc,
    ):
        policy.risk_question_update(
            actor=manager, question=question, data={"answers": [{"text": "X", "weight": 1}]}
        )
    assert "answers" in exc.value.message_dict


# --- the approval matrix ------------------------------------------------------------------------


def _rule(**data):
    return {
        "name": "Normal medium",
        "change_type": "normal",
        "risk_class": "medium",
        "authority": "role",
        "role": "change_authority",
        "mode": "any",
        **data,
    }


def test_create_rule_is_audited(manager):
    mark = last_event_id()
    rule = policy.approval_rule_create(actor=manager, data=_rule(mode="quorum", quorum=3))
    assert (rule.authority, rule.role, rule.mode, rule.quorum) == (
        "role",
        "change_authority",
        "quorum",
        3,
    )
    [event] = events_since(mark)
    assert event.action == AuditAction.CREATE
    assert event.object_type == object_type(ApprovalRule)
    assert event.changes["quorum"] == [None, 3]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"change_type": "urgent"}, "change_type"),
        ({"risk_class": "extreme"}, "risk_class"),
        ({"authority": "board"}, "authority"),
        ({"role": ""}, "role"),
        ({"role": "customer_user"}, "role"),
        ({"role": "wizard"}, "role"),
        ({"authority": "team", "role": ""}, "team"),
        ({"mode": "quorum"}, "quorum"),
        ({"mode": "quorum", "quorum": 0}, "quorum"),
        ({"mode": "majority"}, "mode"),
        ({"authority": "automatic", "change_type": "emergency", "risk_class": ""}, "authority"),
        ({"authority": "automatic", "change_type": "normal", "risk_class": "high"}, "authority"),
        ({"authority": "automatic", "change_type": "normal", "risk_class": ""}, "authority"),
        ({"authority": "automatic", "change_type": "standard", "risk_class": "high"}, "authority"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_rule_is_refused_and_nothing_written(manager, data, field):
    with nothing_changed(ApprovalRule), pytest.raises(ValidationError) as exc:
        policy.approval_rule_create(actor=manager, data=_rule(**data))
    assert field in exc.value.message_dict


def test_team_authority_needs_a_team_of_the_provider(manager):
    customer_team = TeamFactory(organisation=OrganisationFactory())
    with pytest.raises(ValidationError) as exc:
        policy.approval_rule_create(
            actor=manager, data=_rule(authority="team", role="", team=customer_team)
        )
    assert "team" in exc.value.message_dict
    cab = TeamFactory()
    rule = policy.approval_rule_create(
        actor=manager, data=_rule(authority="team", role="", team=cab.pk, mode="quorum", quorum=5)
    )
    # The quorum may exceed the team's members today: it is checked when a change asks.
    assert (rule.team_id, rule.role, rule.quorum) == (cab.pk, "", 5)


@pytest.mark.parametrize(
    ("change_type", "risk_class"), [("standard", ""), ("standard", "low"), ("normal", "low")]
)
def test_automatic_is_allowed_for_standard_and_low_risk(manager, change_type, risk_class):
    rule = policy.approval_rule_create(
        actor=manager,
        data=_rule(
            authority="automatic", change_type=change_type, risk_class=risk_class, mode="all"
        ),
    )
    assert (rule.authority, rule.role, rule.team_id, rule.mode) == ("automatic", "", None, "any")


def test_update_rule_normalises_the_authority_and_is_audited(manager):
    rule = ApprovalRuleFactory(mode="quorum", quorum=2)
    team = TeamFactory()
    mark = last_event_id()
    updated = policy.approval_rule_update(
        actor=manager,
        rule=rule,
        data={"authority": "team", "team": team, "mode": "all"},
        version=rule.version,
    )
    assert (updated.authority, updated.role, updated.team_id) == ("team", "", team.pk)
    assert (updated.mode, updated.quorum) == ("all", None)
    [event] = events_since(mark)
    assert event.changes["role"] == ["change_authority", ""]
    assert event.changes["quorum"] == [2, None]


def test_update_rule_refuses_automatic_on_a_high_risk_row(manager):
    rule = ApprovalRuleFactory(risk_class="high")
    with nothing_changed(ApprovalRule, rule), pytest.raises(ValidationError) as exc:
        policy.approval_rule_update(actor=manager, rule=rule, data={"authority": "automatic"})
    assert "authority" in exc.value.message_dict


def test_delete_rule_is_audited(manager):
    rule = ApprovalRuleFactory()
    pk = rule.pk
    mark = last_event_id()
    policy.approval_rule_delete(actor=manager, rule=rule)
    assert not ApprovalRule.objects.filter(pk=pk).exists()
    [event] = events_since(mark)
    assert (event.action, event.object_id) == (AuditAction.DELETE, str(pk))


# --- freeze windows -----------------------------------------------------------------------------


def test_create_freeze_window_with_services_is_audited(manager):
    service = ServiceFactory()
    mark = last_event_id()
    window = policy.freeze_window_create(
        actor=manager,
        data={
            "name": "Year end",
            "reason": "Closing the books",
            "starts_at": T0,
            "ends_at": T0 + dt.timedelta(days=3),
            "services": [service],
            "allow_emergency": False,
        },
    )
    assert list(window.services.all()) == [service]
    assert window.created_by == manager
    [event] = events_since(mark)
    assert event.action == AuditAction.CREATE
    assert event.changes["services"] == [None, [service.pk]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"ends_at": T0}, "ends_at"),
        ({"ends_at": T0 - dt.timedelta(minutes=1)}, "ends_at"),
        ({"starts_at": dt.datetime(2027, 3, 1, 8, 0)}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"name": ""}, "name"),
        ({"services": [999999]}, "services"),
        ({"allow_emergency": "yes"}, "allow_emergency"),
    ],
)
def test_bad_freeze_window_is_refused(manager, data, field):
    payload = {"name": "Freeze", "starts_at": T0, "ends_at": T0 + dt.timedelta(days=1), **data}
    with nothing_changed(FreezeWindow), pytest.raises(ValidationError) as exc:
        policy.freeze_window_create(actor=manager, data=payload)
    assert field in exc.value.message_dict


def test_freeze_window_across_time_zones_compares_instants(manager):
    berlin = dt.timezone(dt.timedelta(hours=1))
    # 09:00 in Berlin is 08:00 UTC: ending then is ending where it starts.
    with pytest.raises(ValidationError):
        policy.freeze_window_create(
            actor=manager,
            data={"name": "F", "starts_at": T0, "ends_at": T0.astimezone(berlin)},
        )


def test_update_freeze_window_checks_the_merged_period(manager):
    window = FreezeWindowFactory(starts_at=T0, ends_at=T0 + dt.timedelta(days=2))
    with nothing_changed(FreezeWindow, window), pytest.raises(ValidationError) as exc:
        policy.freeze_window_update(
            actor=manager, window=window, data={"starts_at": T0 + dt.timedelta(days=2)}
        )
    assert "ends_at" in exc.value.message_dict
    service = ServiceFactory()
    mark = last_event_id()
    updated = policy.freeze_window_update(
        actor=manager,
        window=window,
        data={"ends_at": T0 + dt.timedelta(days=5), "services": [service.pk]},
        version=window.version,
    )
    assert updated.ends_at == T0 + dt.timedelta(days=5)
    assert list(updated.services.all()) == [service]
    [event] = events_since(mark)
    assert event.changes["services"] == [[], [service.pk]]


def test_delete_freeze_window_is_audited(manager):
    window = FreezeWindowFactory()
    mark = last_event_id()
    policy.freeze_window_delete(actor=manager, window=window)
    assert not FreezeWindow.objects.filter(pk=window.pk).exists()
    assert [e.action for e in events_since(mark)] == [AuditAction.DELETE]


# --- the default policy -------------------------------------------------------------------------


def _policy_rows():
    return (
        [
            (q.text, [(a.text, a.weight) for a in q.answers.order_by("order")])
            for q in RiskQuestion.objects.order_by("order", "pk")
        ],
        list(
            ApprovalRule.objects.order_by("order", "pk").values_list(
                "change_type", "risk_class", "authority", "role", "mode", "quorum"
            )
        ),
    )


EXPECTED_RULES = [
    ("standard", "", "automatic", "", "any", None),
    ("normal", "low", "role", "change_manager", "any", None),
    ("normal", "medium", "role", "change_authority", "any", None),
    ("normal", "high", "role", "change_authority", "quorum", 2),
    ("normal", "high", "role", "change_manager", "any", None),
    ("emergency", "", "role", "change_manager", "any", None),
]


def test_a_fresh_database_has_the_default_policy():
    questions, rules = _policy_rows()
    assert [text for text, _ in questions] == [text for text, _ in policy.DEFAULT_QUESTIONS]
    assert questions[0][1] == [("None", 0), ("A team", 1), ("A customer", 3), ("Many customers", 5)]
    assert rules == EXPECTED_RULES


def test_seed_changes_nothing_when_a_policy_exists():
    before = _policy_rows()
    mark = last_event_id()
    policy.seed_policy()
    assert _policy_rows() == before
    assert events_since(mark) == []


def test_seed_installs_the_default_once_and_audits_it():
    installed = _policy_rows()
    RiskQuestion.objects.all().delete()
    ApprovalRule.objects.all().delete()
    mark = last_event_id()
    policy.seed_policy()
    assert _policy_rows() == installed
    events = events_since(mark)
    assert len(events) == len(policy.DEFAULT_QUESTIONS) + len(policy.DEFAULT_RULES)
    assert {e.action for e in events} == {AuditAction.CREATE}
    policy.seed_policy()
    assert _policy_rows() == installed
    assert len(events_since(mark)) == len(events)


def test_seed_leaves_a_written_policy_alone(manager):
    ApprovalRule.objects.all().delete()
    own = policy.approval_rule_create(actor=manager, data=_rule())
    questions = RiskQuestion.objects.count()
    policy.seed_policy()
    assert list(ApprovalRule.objects.all()) == [own]
    assert RiskQuestion.objects.count() == questions


def test_seed_command_reports_what_it_did():
    out = StringIO()
    call_command("seed_change_policy", stdout=out)
    assert "nothing installed" in out.getvalue()
    ApprovalRule.objects.all().delete()
    out = StringIO()
    call_command("seed_change_policy", stdout=out)
    assert "Installed 0 risk questions and 6 approval rules." in out.getvalue()
    assert _policy_rows()[1] == EXPECTED_RULES
