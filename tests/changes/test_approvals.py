"""Approval by the change authority the matrix names: steps built from the rules with the people
eligible at that moment, any / all / quorum, wrong approvers refused (not eligible, the
requester, twice), rejection with a reason, conflicts overridden only with a justification,
automatic approval, the approver's queue, new rounds, and the emergency path with its
documentation deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accord.changes.choices import ChangeStatus as S
from accord.changes.models import Change, ChangeApproval, ChangeApprovalStep
from accord.changes.services.approvals import (
    approval_queue,
    change_decide,
    matching_rules,
    pending_steps_for,
)
from accord.changes.services.changes import (
    change_create,
    change_record_review,
    change_steps,
    change_transition,
    change_update,
    documentation_missing,
)
from accord.core.choices import Role
from accord.notifications.models import Notification
from tests.base import nothing_changed
from tests.changes.factories import (
    ApprovalRuleFactory,
    FreezeWindowFactory,
    RiskQuestionFactory,
)
from tests.changes.test_change_services import (
    empty_policy,
    events_of,
    normal_data,
    raise_normal,
    to_awaiting,
    window,
)
from tests.factories import ServiceFactory, TeamFactory, person_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(db):
    empty_policy()


@pytest.fixture
def manager():
    return person_with_role(Role.CHANGE_MANAGER)


@pytest.fixture
def raiser():
    return person_with_role(Role.AGENT)


@pytest.fixture
def authorities():
    return [person_with_role(Role.CHANGE_AUTHORITY) for _ in range(3)]


def _steps(change: Change) -> list[ChangeApprovalStep]:
    return list(ChangeApprovalStep.objects.filter(change=change).order_by("round", "order"))


def _kinds(person) -> list[str]:
    return list(Notification.objects.filter(recipient=person).values_list("kind", flat=True))


# --- the steps ----------------------------------------------------------------------------------


def test_no_rule_goes_to_the_change_managers(raiser, manager):
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    (step,) = _steps(change)
    assert (step.label, step.role, step.mode, step.round) == (
        "Change managers",
        "change_manager",
        "any",
        1,
    )
    assert step.eligible == [manager.pk]
    assert "change.approval_needed" in _kinds(manager)


def test_rules_match_type_and_class(raiser, manager):
    any_class = ApprovalRuleFactory(name="CAB")
    ApprovalRuleFactory(name="High only", risk_class="high")
    ApprovalRuleFactory(name="Emergency", change_type="emergency")
    ApprovalRuleFactory(name="Retired", active=False)
    low = ApprovalRuleFactory(name="Low", risk_class="low")
    change = raise_normal(raiser)
    assert matching_rules(change) == [any_class, low]


def test_eligible_excludes_the_requester_and_people_of_other_roles(manager, authorities):
    raiser = authorities[0]
    from accord.core.models import RoleAssignment

    RoleAssignment.objects.create(person=raiser, role=Role.AGENT)  # may raise, is an authority
    ApprovalRuleFactory(name="CAB", role="change_authority")
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    (step,) = _steps(change)
    assert step.eligible == sorted(p.pk for p in authorities[1:])
    with nothing_changed(ChangeApproval), pytest.raises(PermissionDenied):
        change_decide(actor=raiser, change=change, decision="approve")


def test_nobody_eligible_refuses_the_move(raiser, manager):
    ApprovalRuleFactory(name="Security board", authority="team", role="", team=TeamFactory())
    change = change_transition(
        actor=manager,
        change=change_transition(actor=raiser, change=raise_normal(raiser), to_status=S.SUBMITTED),
        to_status=S.ASSESSMENT,
    )
    with nothing_changed(Change, change), pytest.raises(ValidationError) as exc:
        change_transition(actor=manager, change=change, to_status=S.AWAITING_APPROVAL)
    assert "Security board" in exc.value.message_dict["status"][0]
    assert not ChangeApprovalStep.objects.exists()


def test_quorum_larger_than_the_authority_is_refused(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB", mode="quorum", quorum=5)
    change = change_transition(
        actor=manager,
        change=change_transition(actor=raiser, change=raise_normal(raiser), to_status=S.SUBMITTED),
        to_status=S.ASSESSMENT,
    )
    with pytest.raises(ValidationError) as exc:
        change_transition(actor=manager, change=change, to_status=S.AWAITING_APPROVAL)
    assert "needs 5 approvals" in exc.value.message_dict["status"][0]


def test_automatic_rule_approves_at_once_and_is_audited(raiser, manager):
    ApprovalRuleFactory(name="Low risk pre-approved", authority="automatic", role="")
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    assert change.status == S.APPROVED and change.approved_at is not None
    (step,) = _steps(change)
    assert step.status == "approved"
    event = events_of(change)[-1]
    assert "Automatic" in event.changes["approval"][1]
    assert "change.approved" in _kinds(raiser)


# --- any / all / quorum -------------------------------------------------------------------------


def test_any_needs_one_approval(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB", mode="any")
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    approved = change_decide(actor=authorities[1], change=change, decision="approve", reason="OK")
    assert approved.status == S.APPROVED and approved.approved_at is not None
    assert _steps(approved)[0].status == "approved"
    assert "change.approved" in _kinds(raiser)
    decision = events_of(approved)[-2].changes["decision"][1]
    assert decision == {"decision": "approve", "steps": ["CAB"], "reason": "OK"}


def test_all_needs_everyone(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB", mode="all")
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    for person in authorities[:2]:
        change = change_decide(actor=person, change=change, decision="approve")
        assert change.status == S.AWAITING_APPROVAL
    change = change_decide(actor=authorities[2], change=change, decision="approve")
    assert change.status == S.APPROVED


def test_quorum_needs_that_many(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB", mode="quorum", quorum=2)
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    change = change_decide(actor=authorities[0], change=change, decision="approve")
    assert change.status == S.AWAITING_APPROVAL
    change = change_decide(actor=authorities[2], change=change, decision="approve")
    assert change.status == S.APPROVED
    with pytest.raises(ValidationError):  # nothing left to decide
        change_decide(actor=authorities[1], change=change, decision="approve")


def test_every_step_must_be_approved(raiser, manager, authorities):
    team = TeamFactory(name="Database team")
    dba = person_with_role(Role.AGENT)
    team.members.add(dba)
    ApprovalRuleFactory(name="CAB", order=1)
    ApprovalRuleFactory(name="DBAs", authority="team", role="", team=team, order=2)
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    assert [s.label for s in change_steps(change)] == ["CAB", "DBAs"]
    assert [s.label for s in pending_steps_for(dba, change)] == ["DBAs"]
    change = change_decide(actor=authorities[0], change=change, decision="approve")
    assert change.status == S.AWAITING_APPROVAL
    change = change_decide(actor=dba, change=change, decision="approve")
    assert change.status == S.APPROVED


# --- wrong approvers ----------------------------------------------------------------------------


def test_not_eligible_refused(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB")
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    for outsider in (manager, person_with_role(Role.AGENT), person_with_role(Role.AUDITOR)):
        with nothing_changed(Change, change), pytest.raises(PermissionDenied):
            change_decide(actor=outsider, change=change, decision="approve")
    with pytest.raises(PermissionDenied):
        change_decide(actor=None, change=change, decision="approve")


def test_requester_never_approves_even_holding_the_role(manager, authorities):
    from accord.core.models import RoleAssignment

    requester = authorities[0]
    RoleAssignment.objects.create(person=requester, role=Role.AGENT)
    ApprovalRuleFactory(name="CAB")
    change = to_awaiting(raise_normal(requester), requester, manager)
    # The eligibility snapshot is no back door either.
    ChangeApprovalStep.objects.filter(change=change).update(eligible=[requester.pk])
    with nothing_changed(Change, change), pytest.raises(PermissionDenied):
        change_decide(actor=requester, change=change, decision="approve")


def test_deciding_twice_refused(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB", mode="all")
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    change = change_decide(actor=authorities[0], change=change, decision="approve")
    with nothing_changed(ChangeApproval), pytest.raises(ValidationError) as exc:
        change_decide(actor=authorities[0], change=change, decision="reject", reason="Changed")
    assert "already" in exc.value.message_dict["decision"][0]


def test_bad_decision_and_wrong_status_refused(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB")
    draft = raise_normal(raiser)
    with pytest.raises(ValidationError):
        change_decide(actor=authorities[0], change=draft, decision="approve")
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    with pytest.raises(ValidationError):
        change_decide(actor=authorities[0], change=change, decision="maybe")


# --- rejection ----------------------------------------------------------------------------------


def test_rejection_needs_a_reason_and_ends_the_change(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB", mode="all", order=1)
    ApprovalRuleFactory(name="Managers", role="change_manager", order=2)
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    with nothing_changed(Change, change), pytest.raises(ValidationError) as exc:
        change_decide(actor=authorities[0], change=change, decision="reject", reason=" ")
    assert "reason" in exc.value.message_dict
    rejected = change_decide(
        actor=authorities[0], change=change, decision="reject", reason="No backout tested."
    )
    assert rejected.status == S.REJECTED and rejected.rejection_reason == "No backout tested."
    assert [s.status for s in _steps(rejected)] == ["rejected", "skipped"]
    assert "change.rejected" in _kinds(raiser)
    with pytest.raises(ValidationError):
        change_decide(actor=manager, change=rejected, decision="approve")


# --- conflicts ----------------------------------------------------------------------------------


def test_conflicting_change_needs_an_override_justification(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB", mode="quorum", quorum=2)
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    FreezeWindowFactory(
        name="Black Friday",
        starts_at=change.planned_start - dt.timedelta(days=1),
        ends_at=change.planned_end + dt.timedelta(days=1),
    )
    with nothing_changed(Change, change), pytest.raises(ValidationError) as exc:
        change_decide(actor=authorities[0], change=change, decision="approve")
    message = exc.value.message_dict["override_justification"][0]
    assert message.startswith("This change conflicts: ") and "Black Friday" in message
    assert message.endswith("Give a justification to approve it anyway.")
    assert not ChangeApproval.objects.exists()
    change = change_decide(
        actor=authorities[0],
        change=change,
        decision="approve",
        override_justification="Security fix; cannot wait.",
    )
    assert change.status == S.AWAITING_APPROVAL
    assert change.conflict_override_justification == "Security fix; cannot wait."
    assert change.conflict_override_by == authorities[0]
    assert [c["kind"] for c in change.conflict_override_snapshot] == ["freeze"]
    assert "conflict_override_justification" in events_of(change)[-1].changes
    # The same conflict, once overridden, does not stop the next approver.
    change = change_decide(actor=authorities[1], change=change, decision="approve")
    assert change.status == S.APPROVED


def test_rejecting_a_conflicting_change_needs_no_justification(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB")
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    FreezeWindowFactory(
        starts_at=change.planned_start - dt.timedelta(days=1),
        ends_at=change.planned_end + dt.timedelta(days=1),
    )
    rejected = change_decide(
        actor=authorities[0], change=change, decision="reject", reason="In the freeze."
    )
    assert rejected.status == S.REJECTED


# --- queue and rounds ---------------------------------------------------------------------------


def test_queue_lists_what_i_may_decide_soonest_first(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB", mode="all")
    later_start, later_end = window(days=5)
    later = to_awaiting(
        raise_normal(raiser, planned_start=later_start, planned_end=later_end), raiser, manager
    )
    sooner = to_awaiting(raise_normal(raiser), raiser, manager)
    raise_normal(raiser)  # a draft: not in anyone's queue
    assert list(approval_queue(authorities[0])) == [sooner, later]
    change_decide(actor=authorities[0], change=sooner, decision="approve")
    assert list(approval_queue(authorities[0])) == [later]
    assert list(approval_queue(authorities[1])) == [sooner, later]
    assert list(approval_queue(raiser)) == []
    assert list(approval_queue(manager)) == []
    assert list(approval_queue(None)) == []


def test_queue_query_count_is_constant(raiser, manager, authorities, django_assert_num_queries):
    ApprovalRuleFactory(name="CAB")
    for _ in range(3):
        to_awaiting(raise_normal(raiser), raiser, manager)
    with django_assert_num_queries(3):
        assert len(list(approval_queue(authorities[0]))) == 3
    for _ in range(3):
        to_awaiting(raise_normal(raiser), raiser, manager)
    with django_assert_num_queries(3):
        assert len(list(approval_queue(authorities[0]))) == 6


def test_returned_change_starts_a_new_round(raiser, manager, authorities):
    ApprovalRuleFactory(name="CAB", mode="all")
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    change = change_decide(actor=authorities[0], change=change, decision="approve")
    change = change_transition(
        actor=manager, change=change, to_status=S.DRAFT, data={"reason": "Add a test plan"}
    )
    assert [s.status for s in _steps(change)] == ["skipped"]
    assert list(approval_queue(authorities[1])) == []
    change = to_awaiting(change, raiser, manager)
    steps = _steps(change)
    assert [(s.round, s.status) for s in steps] == [(1, "skipped"), (2, "pending")]
    assert [s.round for s in change_steps(change)] == [2]
    # The first round's approval does not count in the second.
    assert [s.label for s in pending_steps_for(authorities[0], change)] == ["CAB"]


# --- the emergency path -------------------------------------------------------------------------


def _emergency(raiser, **data):
    change = change_create(
        actor=raiser,
        data={
            "title": "Patch the firewall",
            "change_type": "emergency",
            "services": [ServiceFactory()],
            "reason": "Actively exploited.",
            **data,
        },
    )
    change = change_transition(actor=raiser, change=change, to_status=S.SUBMITTED)
    return change_transition(actor=raiser, change=change, to_status=S.AWAITING_APPROVAL)


def test_emergency_is_documented_after_the_fact(raiser, manager, settings):
    settings.ACCORD_CHANGE_EMERGENCY_DOC_HOURS = 48
    RiskQuestionFactory(answers=[("Low", 0), ("High", 9)])
    ApprovalRuleFactory(name="ECAB", change_type="emergency", role="change_manager")
    change = _emergency(raiser)
    assert change.status == S.AWAITING_APPROVAL  # straight to its authority
    now = timezone.now()
    approved = change_decide(actor=manager, change=change, decision="approve", now=now)
    assert approved.status == S.APPROVED and approved.approved_at == now
    assert approved.documentation_due_at == now + dt.timedelta(hours=48)
    assert approved.documented_at is None
    assert set(documentation_missing(approved)) == {
        "planned_start",
        "planned_end",
        "implementation_plan",
        "backout_plan",
        "risk_answers",
    }
    # The requester still completes the record after approval.
    question = RiskQuestionFactory._meta.model.objects.get()
    start, end = window(days=0)
    change = change_update(
        actor=raiser,
        change=approved,
        data={
            "planned_start": start,
            "planned_end": end,
            "implementation_plan": "Apply vendor patch.",
        },
    )
    assert change.documented_at is None
    change = change_update(
        actor=raiser,
        change=change,
        data={
            "backout_plan": "Roll back the patch.",
            "risk_answers": {question.pk: question.answers.get(text="High").pk},
        },
    )
    assert change.documented_at is not None
    with pytest.raises(PermissionDenied):  # documented: the record is the manager's now
        change_update(actor=raiser, change=change, data={"title": "Renamed"})
    # Emergency changes are reviewed before closing.
    change = change_transition(actor=raiser, change=change, to_status=S.IMPLEMENTING)
    change = change_transition(actor=raiser, change=change, to_status=S.IMPLEMENTED)
    with pytest.raises(ValidationError) as exc:
        change_transition(actor=manager, change=change, to_status=S.CLOSED)
    assert "pir_summary" in exc.value.message_dict
    change = change_record_review(actor=manager, change=change, summary="Patched in time.")
    assert change_transition(actor=manager, change=change, to_status=S.CLOSED).status == S.CLOSED


def test_undocumented_emergency_cannot_close(raiser, manager):
    ApprovalRuleFactory(name="ECAB", change_type="emergency", role="change_manager")
    change = change_decide(actor=manager, change=_emergency(raiser), decision="approve")
    change = change_transition(actor=raiser, change=change, to_status=S.IMPLEMENTING)
    change = change_transition(actor=raiser, change=change, to_status=S.IMPLEMENTED)
    change = change_record_review(actor=manager, change=change, summary="Worked.")
    with pytest.raises(ValidationError) as exc:
        change_transition(actor=manager, change=change, to_status=S.CLOSED)
    assert "backout plan" in exc.value.message_dict["documented_at"][0]


def test_complete_emergency_is_documented_on_approval(raiser, manager):
    ApprovalRuleFactory(name="ECAB", change_type="emergency", role="change_manager")
    start, end = window()
    data = normal_data()
    change = _emergency(
        raiser,
        planned_start=start,
        planned_end=end,
        implementation_plan=data["implementation_plan"],
        backout_plan=data["backout_plan"],
    )
    approved = change_decide(actor=manager, change=change, decision="approve")
    assert approved.documented_at == approved.approved_at
    assert approved.documentation_due_at is not None
