"""The rules of change records: numbering, what may be raised by whom, editing with the
version guard, the status moves and what each needs (submission, implementation, outcome,
review before closing), the customers affected, and who may make which move."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accord.changes.choices import ChangeStatus as S
from accord.changes.models import ApprovalRule, Change, RiskQuestion
from accord.changes.selectors.impact import affected
from accord.changes.services.changes import (
    allowed_transitions,
    change_create,
    change_record_review,
    change_transition,
    change_update,
    documentation_missing,
    may_edit,
    review_required,
    transitions_for,
)
from accord.core.choices import Role
from accord.core.models import AuditEvent
from accord.core.records import StaleVersion
from accord.portfolio.models import CIRelationship
from tests.base import nothing_changed
from tests.changes.factories import FreezeWindowFactory, RiskQuestionFactory
from tests.factories import (
    AgreementFactory,
    ConfigurationItemFactory,
    OrganisationFactory,
    ServiceFactory,
    TeamFactory,
    person_with_role,
)

pytestmark = pytest.mark.django_db


# --- helpers shared by the change tests ---------------------------------------------------------


def empty_policy() -> None:
    """No risk questions and no approval rules (the installation seeds a default policy), so
    each test states the policy it is about."""
    RiskQuestion.objects.all().delete()
    ApprovalRule.objects.all().delete()


def window(days: int = 1, hours: int = 2) -> tuple[dt.datetime, dt.datetime]:
    start = (timezone.now() + dt.timedelta(days=days)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    return start, start + dt.timedelta(hours=hours)


def normal_data(**extra):
    start, end = window()
    return {
        "title": "Upgrade the database",
        "services": [ServiceFactory()],
        "planned_start": start,
        "planned_end": end,
        "implementation_plan": "Run the upgrade script.",
        "backout_plan": "Restore the snapshot.",
        **extra,
    }


def raise_normal(actor, **extra) -> Change:
    return change_create(actor=actor, data=normal_data(**extra))


def to_awaiting(change: Change, raiser, manager) -> Change:
    """Submit (by its requester), assess and ask for approval (by the change manager)."""
    change = change_transition(actor=raiser, change=change, to_status=S.SUBMITTED)
    change = change_transition(actor=manager, change=change, to_status=S.ASSESSMENT)
    return change_transition(actor=manager, change=change, to_status=S.AWAITING_APPROVAL)


def events_of(change: Change) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="changes.change", object_id=str(change.pk)).order_by(
            "id"
        )
    )


# --- fixtures -----------------------------------------------------------------------------------


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
def approved(raiser, manager):
    """A normal change approved by the change managers' default step."""
    from accord.changes.services.approvals import change_decide

    change = to_awaiting(raise_normal(raiser), raiser, manager)
    return change_decide(actor=manager, change=change, decision="approve")


# --- raising ------------------------------------------------------------------------------------


def test_create_numbers_drafts_and_audits(raiser):
    first = raise_normal(raiser)
    second = raise_normal(raiser, title="Second")
    assert (first.reference, second.reference) == ("CHG-000001", "CHG-000002")
    assert first.status == S.DRAFT and first.version == 1
    assert first.requester == raiser and first.owner == raiser and first.created_by == raiser
    assert (first.risk_score, first.risk_class) == (0, "low")  # no questions: nothing at risk
    (event,) = events_of(first)
    assert event.action == "create" and event.object_repr.startswith("CHG-000001")
    assert event.changes["services"] == [None, [first.services.get().pk]]


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.INCIDENT_MANAGER, Role.PROBLEM_MANAGER, Role.SERVICE_OWNER]
)
def test_raisers_raise(role):
    assert raise_normal(person_with_role(role)).status == S.DRAFT


@pytest.mark.parametrize(
    "role",
    [Role.CHANGE_AUTHORITY, Role.AUDITOR, Role.CUSTOMER_USER, Role.CAPACITY_MANAGER],
)
def test_others_may_not_raise(role):
    data = normal_data()
    with nothing_changed(Change), pytest.raises(PermissionDenied):
        change_create(actor=person_with_role(role), data=data)


def test_standard_type_is_refused_with_a_clear_message(raiser):
    data = normal_data(change_type="standard")
    with nothing_changed(Change), pytest.raises(ValidationError) as exc:
        change_create(actor=raiser, data=data)
    assert "template" in exc.value.message_dict["change_type"][0]


def test_bad_input_names_each_field(raiser):
    start, end = window()
    with nothing_changed(Change), pytest.raises(ValidationError) as exc:
        change_create(
            actor=raiser,
            data={
                "title": " ",
                "services": [987654],
                "configuration_items": ["x"],
                "planned_start": end,
                "planned_end": start,
                "impact": 7,
                "change_type": "sideways",
            },
        )
    assert set(exc.value.message_dict) == {
        "title",
        "services",
        "configuration_items",
        "planned_end",
        "impact",
        "change_type",
    }


def test_unknown_and_naive_values_refused(raiser):
    with pytest.raises(ValidationError) as exc:
        change_create(actor=raiser, data=normal_data(status="approved"))
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        change_create(actor=raiser, data=normal_data(colour="red"))
    assert "colour" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        change_create(actor=raiser, data=normal_data(planned_start=dt.datetime(2030, 1, 1, 10)))
    assert "planned_start" in exc.value.message_dict


def test_manager_may_name_the_requester_others_may_not(manager, raiser):
    other = person_with_role(Role.AGENT)
    change = change_create(actor=manager, data=normal_data(requester=other))
    assert change.requester == other and change.created_by == manager
    with pytest.raises(ValidationError) as exc:
        change_create(actor=raiser, data=normal_data(requester=other))
    assert "requester" in exc.value.message_dict


def test_risk_answers_give_score_and_class(raiser, settings):
    settings.ACCORD_CHANGE_RISK_MEDIUM = 3
    settings.ACCORD_CHANGE_RISK_HIGH = 8
    question = RiskQuestionFactory(answers=[("No", 0), ("Yes", 4)])
    yes = question.answers.get(text="Yes")
    change = raise_normal(raiser, risk_answers={question.pk: yes.pk})
    assert change.risk_answers == {str(question.pk): yes.pk}
    assert (change.risk_score, change.risk_class) == (4, "medium")
    half = raise_normal(raiser)  # not answered yet: no class
    assert (half.risk_score, half.risk_class) == (None, "")
    assert "risk_answers" in documentation_missing(half)


# --- editing ------------------------------------------------------------------------------------


def test_update_checks_version_and_audits_many_to_many(raiser):
    change = raise_normal(raiser)
    old = change.services.get()
    new = ServiceFactory()
    with pytest.raises(StaleVersion):
        change_update(actor=raiser, change=change, data={"title": "x"}, version=5)
    changed = change_update(actor=raiser, change=change, data={"services": [new]}, version=1)
    assert changed.version == 2 and list(changed.services.all()) == [new]
    assert events_of(change)[-1].changes["services"] == [[old.pk], [new.pk]]


def test_update_reassesses_risk(raiser, settings):
    settings.ACCORD_CHANGE_RISK_HIGH = 5
    question = RiskQuestionFactory(answers=[("No", 0), ("Yes", 6)])
    change = raise_normal(raiser, risk_answers={question.pk: question.answers.get(text="No").pk})
    assert change.risk_class == "low"
    changed = change_update(
        actor=raiser,
        change=change,
        data={"risk_answers": {str(question.pk): question.answers.get(text="Yes").pk}},
    )
    assert (changed.risk_score, changed.risk_class) == (6, "high")


def test_requester_edits_only_the_draft_manager_until_final(raiser, manager):
    change = raise_normal(raiser)
    stranger = person_with_role(Role.AGENT)
    assert may_edit(raiser, change) and may_edit(manager, change)
    assert not may_edit(stranger, change)
    with pytest.raises(PermissionDenied):
        change_update(actor=stranger, change=change, data={"title": "Mine now"})
    change = change_transition(actor=raiser, change=change, to_status=S.SUBMITTED)
    assert not may_edit(raiser, change)
    with nothing_changed(Change, change), pytest.raises(PermissionDenied):
        change_update(actor=raiser, change=change, data={"title": "Too late"})
    assert change_update(actor=manager, change=change, data={"title": "Fine"}).title == "Fine"
    change = change_transition(
        actor=manager, change=change, to_status=S.CANCELLED, data={"reason": "Not needed"}
    )
    assert not may_edit(manager, change)
    with pytest.raises(ValidationError):
        change_update(actor=manager, change=change, data={"title": "After the end"})


def test_status_is_not_edited(manager, raiser):
    change = raise_normal(raiser)
    with pytest.raises(ValidationError) as exc:
        change_update(actor=manager, change=change, data={"status": "approved"})
    assert "status" in exc.value.message_dict


# --- submitting ---------------------------------------------------------------------------------


def test_normal_submit_needs_a_complete_record(raiser):
    RiskQuestionFactory(answers=[("No", 0), ("Yes", 5)])
    change = change_create(actor=raiser, data={"title": "Sketchy"})
    with nothing_changed(Change, change), pytest.raises(ValidationError) as exc:
        change_transition(actor=raiser, change=change, to_status=S.SUBMITTED)
    assert set(exc.value.message_dict) == {
        "services",
        "planned_start",
        "planned_end",
        "implementation_plan",
        "backout_plan",
        "risk_answers",
    }


def test_emergency_submit_needs_only_scope_and_reason(raiser):
    change = change_create(actor=raiser, data={"title": "Patch now", "change_type": "emergency"})
    with pytest.raises(ValidationError) as exc:
        change_transition(actor=raiser, change=change, to_status=S.SUBMITTED)
    assert set(exc.value.message_dict) == {"services", "reason"}
    change_update(
        actor=raiser,
        change=change,
        data={"services": [ServiceFactory()], "reason": "Exploited in the wild."},
    )
    submitted = change_transition(actor=raiser, change=change, to_status=S.SUBMITTED)
    assert submitted.status == S.SUBMITTED and submitted.submitted_at is not None


def test_submit_records_the_customers_affected(raiser):
    db_ci = ConfigurationItemFactory(name="db-01")
    app_ci = ConfigurationItemFactory(name="app-01")
    CIRelationship.objects.create(
        source=app_ci, target=db_ci, kind="depends_on", organisation=db_ci.organisation
    )
    crm = ServiceFactory(name="CRM")
    crm.configuration_items.add(app_ci)
    mail = ServiceFactory(name="Mail")
    crm_customer = OrganisationFactory()
    mail_customer = OrganisationFactory()
    AgreementFactory(organisation=crm_customer, services=[crm])
    AgreementFactory(organisation=mail_customer, services=[mail])
    AgreementFactory(services=[ServiceFactory()])  # untouched
    change = raise_normal(raiser, services=[mail], configuration_items=[db_ci])
    assert list(change.organisations.all()) == []
    assert set(affected(change).services) == {crm.pk, mail.pk}
    submitted = change_transition(actor=raiser, change=change, to_status=S.SUBMITTED)
    assert set(submitted.organisations.values_list("pk", flat=True)) == {
        crm_customer.pk,
        mail_customer.pk,
    }


# --- the roads to a decision --------------------------------------------------------------------


def test_each_type_has_its_own_road(raiser, manager):
    normal = change_transition(actor=raiser, change=raise_normal(raiser), to_status=S.SUBMITTED)
    assert allowed_transitions(normal) == [S.DRAFT, S.ASSESSMENT, S.CANCELLED]
    emergency = change_transition(
        actor=raiser,
        change=raise_normal(raiser, change_type="emergency", reason="Outage"),
        to_status=S.SUBMITTED,
    )
    assert allowed_transitions(emergency) == [S.DRAFT, S.AWAITING_APPROVAL, S.CANCELLED]
    with pytest.raises(ValidationError):
        change_transition(actor=manager, change=normal, to_status=S.AWAITING_APPROVAL)
    with pytest.raises(ValidationError):
        change_transition(actor=manager, change=emergency, to_status=S.ASSESSMENT)


def test_approved_is_never_a_plain_move(raiser, manager):
    change = to_awaiting(raise_normal(raiser), raiser, manager)
    for actor in (manager, None):
        with nothing_changed(Change, change), pytest.raises(ValidationError) as exc:
            change_transition(actor=actor, change=change, to_status=S.APPROVED)
        assert "decision" in exc.value.message_dict["status"][0]


def test_only_the_change_manager_assesses(raiser, manager):
    change = change_transition(actor=raiser, change=raise_normal(raiser), to_status=S.SUBMITTED)
    assert transitions_for(raiser, change) == [S.DRAFT, S.CANCELLED]
    with nothing_changed(Change, change), pytest.raises(PermissionDenied):
        change_transition(actor=raiser, change=change, to_status=S.ASSESSMENT)
    assert change_transition(actor=manager, change=change, to_status=S.ASSESSMENT).status == (
        S.ASSESSMENT
    )


@pytest.mark.parametrize(
    ("role", "moves"),
    [
        (Role.CHANGE_MANAGER, [S.SUBMITTED, S.CANCELLED]),
        (Role.AGENT, []),
        (Role.CHANGE_AUTHORITY, []),
        (Role.AUDITOR, []),
        (Role.CUSTOMER_USER, []),
    ],
)
def test_who_moves_someone_elses_draft(raiser, role, moves):
    change = raise_normal(raiser)
    assert transitions_for(person_with_role(role), change) == moves
    assert transitions_for(raiser, change) == [S.SUBMITTED, S.CANCELLED]


def test_returning_and_cancelling_need_a_reason(raiser, manager):
    change = change_transition(actor=raiser, change=raise_normal(raiser), to_status=S.SUBMITTED)
    with nothing_changed(Change, change), pytest.raises(ValidationError) as exc:
        change_transition(actor=manager, change=change, to_status=S.DRAFT)
    assert "reason" in exc.value.message_dict
    returned = change_transition(
        actor=manager, change=change, to_status=S.DRAFT, data={"reason": "Plan the backout"}
    )
    assert returned.rejection_reason == "Plan the backout"
    with pytest.raises(ValidationError):
        change_transition(actor=raiser, change=returned, to_status=S.CANCELLED)
    cancelled = change_transition(
        actor=raiser, change=returned, to_status=S.CANCELLED, data={"reason": "Obsolete"}
    )
    assert cancelled.closure_notes == "Obsolete" and cancelled.closed_at is not None
    assert allowed_transitions(cancelled) == []


def test_unknown_move_data_refused(raiser):
    with pytest.raises(ValidationError) as exc:
        change_transition(
            actor=raiser, change=raise_normal(raiser), to_status=S.SUBMITTED, data={"x": 1}
        )
    assert "x" in exc.value.message_dict


def test_moves_are_audited_as_transitions(raiser):
    change = change_transition(actor=raiser, change=raise_normal(raiser), to_status=S.SUBMITTED)
    event = events_of(change)[-1]
    assert event.action == "transition" and event.changes["status"] == ["draft", "submitted"]


def test_stale_version_refused_on_move(raiser):
    change = raise_normal(raiser)
    with pytest.raises(StaleVersion):
        change_transition(actor=raiser, change=change, to_status=S.SUBMITTED, version=7)


# --- scheduling ---------------------------------------------------------------------------------


def test_scheduling_into_a_freeze_needs_a_justification(approved, manager):
    FreezeWindowFactory(
        name="Year end",
        starts_at=approved.planned_start - dt.timedelta(hours=1),
        ends_at=approved.planned_end + dt.timedelta(hours=1),
    )
    with nothing_changed(Change, approved), pytest.raises(ValidationError) as exc:
        change_transition(actor=manager, change=approved, to_status=S.SCHEDULED)
    message = exc.value.message_dict["override_justification"][0]
    assert "Year end" in message and "justification" in message
    scheduled = change_transition(
        actor=manager,
        change=approved,
        to_status=S.SCHEDULED,
        data={"override_justification": "Agreed with finance."},
    )
    assert scheduled.status == S.SCHEDULED
    assert scheduled.conflict_override_justification == "Agreed with finance."
    assert scheduled.conflict_override_by == manager
    assert scheduled.conflict_override_snapshot[0]["kind"] == "freeze"


def test_scheduling_without_conflict(approved, manager, raiser):
    assert S.SCHEDULED not in transitions_for(raiser, approved)
    scheduled = change_transition(actor=manager, change=approved, to_status=S.SCHEDULED)
    assert scheduled.status == S.SCHEDULED and scheduled.conflict_override_at is None


def test_moving_an_approved_window_into_a_freeze_needs_a_justification(approved, manager):
    start = approved.planned_start + dt.timedelta(days=20)
    FreezeWindowFactory(starts_at=start, ends_at=start + dt.timedelta(days=1))
    data = {"planned_start": start, "planned_end": start + dt.timedelta(hours=1)}
    with nothing_changed(Change, approved), pytest.raises(ValidationError) as exc:
        change_update(actor=manager, change=approved, data=data)
    assert "override_justification" in exc.value.message_dict
    moved = change_update(
        actor=manager, change=approved, data={**data, "override_justification": "Only slot."}
    )
    assert moved.planned_start == start and moved.conflict_override_justification == "Only slot."


# --- implementation, outcome, review, closing ---------------------------------------------------


def test_implementation_records_times_and_outcome(approved, raiser):
    assert transitions_for(raiser, approved) == [S.IMPLEMENTING]  # the owner carries it out
    started = change_transition(actor=raiser, change=approved, to_status=S.IMPLEMENTING)
    assert started.actual_start is not None
    with pytest.raises(ValidationError) as exc:
        change_transition(
            actor=raiser,
            change=started,
            to_status=S.IMPLEMENTED,
            data={"actual_end": started.actual_start - dt.timedelta(minutes=1)},
        )
    assert "actual_end" in exc.value.message_dict
    done = change_transition(actor=raiser, change=started, to_status=S.IMPLEMENTED)
    assert done.outcome == "successful" and done.actual_end >= done.actual_start
    assert not review_required(done)


def test_implementer_team_member_carries_out(approved, manager):
    member = person_with_role(Role.AGENT)
    team = TeamFactory()
    team.members.add(member)
    assert transitions_for(member, approved) == []
    change_update(actor=manager, change=approved, data={"implementer_team": team})
    assert transitions_for(member, Change.objects.get(pk=approved.pk)) == [S.IMPLEMENTING]


def test_failure_needs_outcome_and_notes_then_a_review(approved, raiser, manager):
    started = change_transition(actor=raiser, change=approved, to_status=S.IMPLEMENTING)
    with nothing_changed(Change, started), pytest.raises(ValidationError) as exc:
        change_transition(actor=raiser, change=started, to_status=S.FAILED)
    assert set(exc.value.message_dict) == {"outcome", "outcome_notes"}
    with pytest.raises(ValidationError):
        change_transition(
            actor=raiser,
            change=started,
            to_status=S.FAILED,
            data={"outcome": "successful", "outcome_notes": "x"},
        )
    failed = change_transition(
        actor=raiser,
        change=started,
        to_status=S.FAILED,
        data={"outcome": "backed_out", "outcome_notes": "Schema migration timed out."},
    )
    assert failed.outcome == "backed_out" and review_required(failed)
    assert allowed_transitions(failed) == [S.IN_REVIEW]
    in_review = change_transition(actor=raiser, change=failed, to_status=S.IN_REVIEW)
    with nothing_changed(Change, in_review), pytest.raises(ValidationError) as exc:
        change_transition(actor=manager, change=in_review, to_status=S.CLOSED)
    assert "pir_summary" in exc.value.message_dict
    with pytest.raises(ValidationError):
        change_record_review(actor=manager, change=in_review, summary=" ")
    with pytest.raises(PermissionDenied):
        change_record_review(actor=person_with_role(Role.AGENT), change=in_review, summary="x")
    reviewed = change_record_review(
        actor=raiser, change=in_review, summary="Timeout too short.", lessons="Test with data."
    )
    assert reviewed.pir_by == raiser and reviewed.pir_completed_at is not None
    closed = change_transition(
        actor=manager, change=reviewed, to_status=S.CLOSED, data={"closure_notes": "Done"}
    )
    assert closed.status == S.CLOSED and closed.closed_at is not None


def test_high_risk_change_needs_a_review_before_closing(raiser, manager, settings):
    from accord.changes.services.approvals import change_decide

    settings.ACCORD_CHANGE_RISK_HIGH = 5
    question = RiskQuestionFactory(answers=[("Yes", 9)])
    change = raise_normal(raiser, risk_answers={question.pk: question.answers.get().pk})
    change = to_awaiting(change, raiser, manager)
    change = change_decide(actor=manager, change=change, decision="approve")
    change = change_transition(actor=raiser, change=change, to_status=S.IMPLEMENTING)
    change = change_transition(actor=raiser, change=change, to_status=S.IMPLEMENTED)
    assert review_required(change) and allowed_transitions(change) == [S.IN_REVIEW, S.CLOSED]
    with pytest.raises(ValidationError) as exc:
        change_transition(actor=manager, change=change, to_status=S.CLOSED)
    assert "pir_summary" in exc.value.message_dict


def test_low_risk_success_closes_without_review(approved, raiser, manager):
    change = change_transition(actor=raiser, change=approved, to_status=S.IMPLEMENTING)
    change = change_transition(actor=raiser, change=change, to_status=S.IMPLEMENTED)
    assert S.CLOSED not in transitions_for(raiser, change)
    with pytest.raises(PermissionDenied):
        change_transition(actor=raiser, change=change, to_status=S.CLOSED)
    assert change_transition(actor=manager, change=change, to_status=S.CLOSED).status == S.CLOSED


def test_review_only_after_implementation(raiser, manager):
    with pytest.raises(ValidationError):
        change_record_review(actor=manager, change=raise_normal(raiser), summary="Early")


def test_owner_named_by_the_manager_edits_the_draft(manager, raiser):
    owner = person_with_role(Role.SERVICE_OWNER)
    change = change_create(actor=manager, data=normal_data(requester=raiser, owner=owner))
    assert (change.requester, change.owner) == (raiser, owner)
    assert may_edit(owner, change) and may_edit(raiser, change)
    assert change_update(actor=owner, change=change, data={"reason": "EOL"}).reason == "EOL"
    with pytest.raises(ValidationError) as exc:
        change_update(actor=manager, change=change, data={"owner": person_with_role(Role.AUDITOR)})
    assert "owner" in exc.value.message_dict


def test_the_system_raises_for_a_named_requester(raiser):
    change = change_create(actor=None, data=normal_data(requester=raiser))
    assert change.requester == raiser and change.created_by is None
    with pytest.raises(ValidationError) as exc:
        change_create(actor=None, data=normal_data())
    assert "requester" in exc.value.message_dict
