"""Nonconformity services: recording (and from audit findings, once), the moves open -> in
progress -> verifying -> closed with what each needs, the effectiveness check (not before it
is due, not by the owner, only by a manager; a failed check sends it back), corrective
actions, recurrence, reminders exactly once, and the summary figures."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F

from accord.core.choices import AuditAction, Role
from accord.core.records import StaleVersion
from accord.governance.choices import FindingKind
from accord.improvement.models import CorrectiveAction, Nonconformity
from accord.improvement.selectors import nonconformities as selectors
from accord.improvement.services import nonconformities as services
from accord.notifications.choices import NotificationKind
from accord.notifications.models import Notification
from tests.base import events_since, last_event_id, nothing_changed
from tests.factories import ServiceFactory, person_with_role
from tests.improvement.nonconformity_factories import (
    NOW,
    TODAY,
    add_action,
    clause,
    closed,
    complete,
    days,
    make_finding,
    make_process,
    record,
    staff,
    started,
    verifying,
)

pytestmark = pytest.mark.django_db


def errors_of(refused: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return refused.value.message_dict


# --- recording ----------------------------------------------------------------------------------


def test_record_numbers_defaults_and_audits():
    owner = staff()
    mark = last_event_id()
    nc = record(owner, clause="8.5.1", severity="major", correction="Rolled back CHG-000101")
    assert nc.reference.startswith("NC-") and len(nc.reference) == 9
    assert (nc.status, nc.source, nc.severity) == ("open", "other", "major")
    assert nc.owner == owner and nc.raised_by == owner
    assert nc.clause.number == "8.5.1"
    assert nc.recurrence_of is None
    [event] = events_since(mark)
    assert (event.action, event.object_type, event.object_id) == (
        AuditAction.CREATE,
        "improvement.nonconformity",
        str(nc.pk),
    )


def test_record_needs_title_and_description_and_checks_every_value():
    with nothing_changed(Nonconformity), pytest.raises(ValidationError) as refused:
        services.nonconformity_create(
            actor=staff(),
            data={
                "title": " ",
                "description": "",
                "source": "rumour",
                "severity": "fatal",
                "clause": "99.9",
                "service": 987654,
            },
            now=NOW,
        )
    assert set(errors_of(refused)) == {
        "title",
        "description",
        "source",
        "severity",
        "clause",
        "service",
    }


def test_record_refuses_unknown_fields_and_customer_owner(customer_org):
    customer = person_with_role(Role.CUSTOMER_USER, organisation=customer_org)
    with pytest.raises(ValidationError) as refused:
        record(status="closed")
    assert "status" in errors_of(refused)
    with pytest.raises(ValidationError) as refused:
        services.nonconformity_create(
            actor=staff(), data={"title": "x", "description": "y", "owner": customer}, now=NOW
        )
    assert "owner" in errors_of(refused)


def test_source_record_gives_its_reference():
    complaint_like = ServiceFactory()  # any record with a primary key will do
    nc = record(source="complaint", source_record=complaint_like)
    assert nc.source_id == complaint_like.pk
    assert nc.source_record == complaint_like


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.CUSTOMER_USER])
def test_who_may_not_record(role, customer_org):
    person = person_with_role(role, organisation=customer_org if "customer" in role else None)
    with nothing_changed(Nonconformity), pytest.raises(PermissionDenied):
        services.nonconformity_create(
            actor=person, data={"title": "x", "description": "y"}, now=NOW
        )


# --- from a finding -----------------------------------------------------------------------------


def test_from_finding_takes_the_finding_and_is_idempotent():
    process_owner = staff(Role.CHANGE_MANAGER)
    service = ServiceFactory()
    finding = make_finding(
        FindingKind.MAJOR,
        clause=clause("8.5.1"),
        service=service,
        process=make_process(process_owner),
    )
    auditor = finding.raised_by
    nc = services.nonconformity_from_finding(actor=auditor, finding=finding, now=NOW)
    assert (nc.source, nc.finding, nc.severity) == ("audit_finding", finding, "major")
    assert nc.title == finding.title
    assert nc.description == (
        "Two changes had no recorded approval (8.5.1.3).\n\nEvidence: CHG-000101 and CHG-000107."
    )
    assert (nc.clause, nc.service, nc.source_reference) == (
        finding.clause,
        service,
        finding.reference,
    )
    assert nc.source_record == finding
    assert nc.owner == process_owner
    with nothing_changed(Nonconformity):
        again = services.nonconformity_from_finding(actor=auditor, finding=finding, now=NOW)
    assert again.pk == nc.pk


def test_from_finding_owner_rules():
    sms = staff(Role.SMS_OWNER)
    given = staff(Role.PROBLEM_MANAGER)
    actor = staff(Role.SMS_OWNER)
    # Given wins.
    nc = services.nonconformity_from_finding(
        actor=actor, finding=make_finding(process=make_process(staff())), owner=given, now=NOW
    )
    assert nc.owner == given
    # A process without an owner: the service's owner.
    service = ServiceFactory()
    nc = services.nonconformity_from_finding(
        actor=actor, finding=make_finding(process=make_process(None), service=service), now=NOW
    )
    assert nc.owner == service.owner
    # Neither: the first SMS owner (the audit's lead was made first, then ``sms``).
    finding = make_finding()
    nc = services.nonconformity_from_finding(actor=actor, finding=finding, now=NOW)
    first = min([sms, actor, finding.audit.lead_auditor], key=lambda p: p.pk)
    assert nc.owner == first
    assert nc.severity == "minor"


def test_from_finding_falls_back_to_the_actor_without_sms_owner():
    actor = staff(Role.TOP_MANAGEMENT)
    finding = make_finding()
    # The audit's lead holds the SMS owner role; take it away to reach the last fallback.
    finding.audit.lead_auditor.role_assignments.all().delete()
    nc = services.nonconformity_from_finding(actor=actor, finding=finding, now=NOW)
    assert nc.owner == actor


@pytest.mark.parametrize(
    "kind", [FindingKind.CONFORMITY, FindingKind.OBSERVATION, FindingKind.OPPORTUNITY]
)
def test_from_finding_only_for_minor_or_major(kind):
    finding = make_finding(kind)
    with nothing_changed(Nonconformity), pytest.raises(ValidationError) as refused:
        services.nonconformity_from_finding(actor=finding.raised_by, finding=finding, now=NOW)
    assert "finding" in errors_of(refused)


# --- moves --------------------------------------------------------------------------------------


def test_no_in_progress_without_cause_and_action():
    nc = record()
    with nothing_changed(Nonconformity, nc), pytest.raises(ValidationError) as refused:
        services.nonconformity_start(actor=nc.owner, nonconformity=nc, now=NOW)
    assert set(errors_of(refused)) == {"cause_analysis", "actions"}
    add_action(nc)
    with pytest.raises(ValidationError) as refused:
        services.nonconformity_start(actor=nc.owner, nonconformity=nc, now=NOW)
    assert set(errors_of(refused)) == {"cause_analysis"}
    nc = services.nonconformity_start(
        actor=nc.owner, nonconformity=nc, cause_analysis="No approval step", now=NOW
    )
    assert (nc.status, nc.cause_analysis) == ("in_progress", "No approval step")


def test_cause_without_action_is_refused_too():
    nc = record()
    services.nonconformity_update(
        actor=nc.owner, nonconformity=nc, data={"cause_analysis": "Why"}, now=NOW
    )
    nc.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.nonconformity_start(actor=nc.owner, nonconformity=nc, now=NOW)
    assert set(errors_of(refused)) == {"actions"}


def test_verifying_after_the_last_action_with_the_check_date():
    nc = started()
    second = add_action(nc, title="Train the change managers")
    complete(nc.actions.exclude(pk=second.pk).get(), NOW)
    assert Nonconformity.objects.get(pk=nc.pk).status == "in_progress"
    mark = last_event_id()
    complete(second, NOW + days(2))
    nc.refresh_from_db()
    assert nc.status == "verifying"
    assert nc.effectiveness_due_on == TODAY + days(2 + 30)
    assert [e.action for e in events_since(mark)] == ["transition", "transition"]


def test_a_later_check_date_already_set_is_kept(settings):
    settings.ACCORD_NC_EFFECTIVENESS_DAYS = 10
    nc = started()
    services.nonconformity_update(
        actor=nc.owner,
        nonconformity=nc,
        data={"effectiveness_due_on": TODAY + days(60)},
        now=NOW,
    )
    complete(nc.actions.get())
    nc.refresh_from_db()
    assert nc.effectiveness_due_on == TODAY + days(60)


def test_start_with_every_action_done_goes_to_verifying():
    nc = record()
    complete(add_action(nc), NOW)
    nc = services.nonconformity_start(
        actor=nc.owner, nonconformity=nc, cause_analysis="Why", now=NOW + days(1)
    )
    assert nc.status == "verifying"
    assert nc.effectiveness_due_on == TODAY + days(30)


def test_manual_move_to_verifying_needs_every_action_done():
    nc = started()
    with nothing_changed(Nonconformity, nc), pytest.raises(ValidationError) as refused:
        services.nonconformity_ready_for_check(actor=nc.owner, nonconformity=nc, now=NOW)
    assert "actions" in errors_of(refused)
    # Done outside the service (as data may be): the move by hand is then possible.
    CorrectiveAction.objects.filter(nonconformity=nc).update(done_at=NOW)
    nc = services.nonconformity_ready_for_check(actor=nc.owner, nonconformity=nc, now=NOW)
    assert nc.status == "verifying"


def test_check_refused_before_its_due_date():
    nc = verifying()
    manager = staff(Role.SMS_OWNER)
    with nothing_changed(Nonconformity, nc), pytest.raises(ValidationError) as refused:
        services.nonconformity_verify(
            actor=manager, nonconformity=nc, effective=True, notes="ok", now=NOW + days(29)
        )
    [message] = errors_of(refused)["effectiveness_due_on"]
    assert message.startswith(f"The effectiveness check is due on {TODAY + days(30):%Y-%m-%d}")


def test_check_refused_for_the_owner_even_a_manager_and_for_non_managers():
    owner = staff(Role.SMS_OWNER)
    nc = verifying(owner)
    for person in (owner, staff(Role.AGENT), staff(Role.PROBLEM_MANAGER), staff(Role.AUDITOR)):
        with nothing_changed(Nonconformity, nc), pytest.raises(PermissionDenied):
            services.nonconformity_verify(
                actor=person, nonconformity=nc, effective=True, notes="ok", now=NOW + days(30)
            )
    with pytest.raises(PermissionDenied):
        services.nonconformity_verify(
            actor=None, nonconformity=nc, effective=True, notes="ok", now=NOW + days(30)
        )


def test_check_needs_notes_and_the_verifying_status():
    nc = started()
    manager = staff(Role.TOP_MANAGEMENT)
    with pytest.raises(ValidationError) as refused:
        services.nonconformity_verify(
            actor=manager, nonconformity=nc, effective=True, notes="ok", now=NOW
        )
    assert "status" in errors_of(refused)
    nc = verifying()
    with nothing_changed(Nonconformity, nc), pytest.raises(ValidationError) as refused:
        services.nonconformity_verify(
            actor=manager, nonconformity=nc, effective=True, notes=" ", now=NOW + days(30)
        )
    assert "notes" in errors_of(refused)


def test_not_effective_goes_back_and_needs_new_actions():
    nc = verifying()
    manager = staff(Role.SMS_OWNER)
    nc = services.nonconformity_verify(
        actor=manager,
        nonconformity=nc,
        effective=False,
        notes="Another change went live unapproved.",
        now=NOW + days(30),
    )
    assert (nc.status, nc.checks_failed, nc.effectiveness_due_on) == ("in_progress", 1, None)
    assert nc.verified_at is None and nc.closed_at is None
    assert nc.effectiveness_notes == "Another change went live unapproved."
    with pytest.raises(ValidationError) as refused:
        services.nonconformity_ready_for_check(actor=nc.owner, nonconformity=nc, now=NOW)
    assert "new corrective action" in errors_of(refused)["actions"][0]
    later = NOW + days(31)
    complete(add_action(nc, now=later), later + days(3))
    nc.refresh_from_db()
    assert nc.status == "verifying"
    assert nc.effectiveness_due_on == TODAY + days(31 + 3 + 30)


def test_effective_closes_and_closed_refuses_changes():
    nc, at = closed()
    assert nc.status == "closed"
    assert nc.verified_at == at and nc.closed_at == at
    assert nc.verified_by is not None and nc.verified_by != nc.owner
    action = nc.actions.get()
    with nothing_changed(Nonconformity, nc), nothing_changed(CorrectiveAction, action):
        with pytest.raises(ValidationError):
            services.nonconformity_update(
                actor=nc.owner, nonconformity=nc, data={"title": "New"}, now=at
            )
        with pytest.raises(ValidationError):
            add_action(nc, now=at)
        with pytest.raises(ValidationError):
            services.nonconformity_start(actor=nc.owner, nonconformity=nc, now=at)


def test_no_action_added_while_verifying():
    nc = verifying()
    with nothing_changed(CorrectiveAction), pytest.raises(ValidationError):
        add_action(nc)


# --- update -------------------------------------------------------------------------------------


def test_update_with_version_and_by_whom():
    owner = staff()
    nc = record(owner)
    other = staff()
    with nothing_changed(Nonconformity, nc), pytest.raises(PermissionDenied):
        services.nonconformity_update(actor=other, nonconformity=nc, data={"title": "x"}, now=NOW)
    Nonconformity.objects.filter(pk=nc.pk).update(version=F("version") + 1)
    with pytest.raises(StaleVersion):
        services.nonconformity_update(
            actor=owner, nonconformity=nc, data={"title": "x"}, version=1, now=NOW
        )
    updated = services.nonconformity_update(
        actor=staff(Role.TOP_MANAGEMENT),
        nonconformity=nc,
        data={"title": "Renamed", "correction": "Rolled back", "severity": "major"},
        version=2,
        now=NOW,
    )
    assert (updated.title, updated.version, updated.severity) == ("Renamed", 3, "major")


def test_update_refuses_bad_values_and_the_check_in_the_past():
    nc = record()
    with nothing_changed(Nonconformity, nc), pytest.raises(ValidationError) as refused:
        services.nonconformity_update(
            actor=nc.owner,
            nonconformity=nc,
            data={
                "title": "",
                "effectiveness_due_on": TODAY - days(1),
                "status": "closed",
            },
            now=NOW,
        )
    assert "status" in errors_of(refused)
    with pytest.raises(ValidationError) as refused:
        services.nonconformity_update(
            actor=nc.owner,
            nonconformity=nc,
            data={"title": "", "effectiveness_due_on": TODAY - days(1)},
            now=NOW,
        )
    assert set(errors_of(refused)) == {"title", "effectiveness_due_on"}


# --- corrective actions -------------------------------------------------------------------------


def test_action_rules():
    nc = record()
    with nothing_changed(CorrectiveAction), pytest.raises(ValidationError) as refused:
        services.corrective_action_add(
            actor=nc.owner,
            nonconformity=nc,
            title="",
            owner=None,
            due_on=TODAY - days(1),
            now=NOW,
        )
    assert set(errors_of(refused)) == {"title", "owner", "due_on"}
    with nothing_changed(CorrectiveAction), pytest.raises(PermissionDenied):
        services.corrective_action_add(
            actor=staff(),
            nonconformity=nc,
            title="x",
            owner=nc.owner,
            due_on=TODAY,
            now=NOW,
        )


def test_who_completes_an_action_and_notes_are_required():
    nc = record()
    doer = staff(Role.CHANGE_MANAGER)
    action = add_action(nc, owner=doer)
    with nothing_changed(CorrectiveAction, action), pytest.raises(PermissionDenied):
        services.corrective_action_complete(actor=staff(), action=action, done_notes="x", now=NOW)
    with nothing_changed(CorrectiveAction, action), pytest.raises(ValidationError) as refused:
        services.corrective_action_complete(actor=doer, action=action, done_notes="", now=NOW)
    assert "done_notes" in errors_of(refused)
    done = services.corrective_action_complete(
        actor=doer, action=action, done_notes="Form changed", now=NOW
    )
    assert (done.done_at, done.done_notes) == (NOW, "Form changed")
    with pytest.raises(ValidationError):
        services.corrective_action_complete(actor=doer, action=done, done_notes="x", now=NOW)


# --- recurrence ---------------------------------------------------------------------------------


def test_recurrence_on_the_same_clause_within_the_window(settings):
    settings.ACCORD_NC_RECURRENCE_DAYS = 365
    first, at = closed(clause="8.5.1")
    again = record(clause="8.5.1", now=at + days(100))
    assert again.recurrence_of == first
    other_clause = record(clause="8.6.1", now=at + days(100))
    assert other_clause.recurrence_of is None
    no_clause = record(now=at + days(100))
    assert no_clause.recurrence_of is None
    too_late = record(clause="8.5.1", now=at + days(366))
    assert too_late.recurrence_of is None
    rows = selectors.with_flags(Nonconformity.objects.all(), TODAY)
    flags = dict(rows.values_list("pk", "recurring"))
    assert flags[first.pk] and flags[again.pk]
    assert not flags[too_late.pk] and not flags[no_clause.pk]
    chain = selectors.recurrence_chain(again)
    assert chain["earlier"] == [first]
    assert selectors.recurrence_chain(first)["later"] == [again]


def test_an_open_one_is_not_recurred_and_the_service_must_match():
    service, other = ServiceFactory(), ServiceFactory()
    record(clause="8.5.1", service=service)  # still open
    assert record(clause="8.5.1", service=service).recurrence_of is None
    first, at = closed(clause="8.5.1", service=service)
    assert record(clause="8.5.1", service=other, now=at + days(1)).recurrence_of is None
    assert record(clause="8.5.1", service=service, now=at + days(1)).recurrence_of == first
    assert record(clause="8.5.1", now=at + days(1)).recurrence_of == first


# --- reminders ----------------------------------------------------------------------------------


def test_overdue_actions_are_reminded_exactly_once():
    nc = record()
    doer = staff(Role.CHANGE_MANAGER)
    late = add_action(nc, owner=doer, due_on=TODAY + days(1))
    add_action(nc, due_on=TODAY + days(10))
    assert services.remind(NOW + days(1)) == 0
    assert services.remind(NOW + days(2)) == 1
    assert services.remind(NOW + days(2)) == 0
    assert services.remind(NOW + days(3)) == 0
    late.refresh_from_db()
    assert late.reminded_at == NOW + days(2)
    [notice] = Notification.objects.filter(kind=NotificationKind.CORRECTIVE_ACTION_OVERDUE)
    assert notice.recipient == doer
    assert nc.reference in notice.subject
    assert notice.link == f"/improvements/nonconformities/{nc.pk}/"


def test_the_check_is_announced_once_per_due_date():
    sms = staff(Role.SMS_OWNER)
    nc = verifying()
    due = NOW + days(30)
    assert services.remind(due - days(1)) == 0
    assert services.remind(due) == 1
    assert services.remind(due + days(1)) == 0
    recipients = set(
        Notification.objects.filter(kind=NotificationKind.EFFECTIVENESS_CHECK_DUE).values_list(
            "recipient", flat=True
        )
    )
    assert {sms.pk, nc.owner_id} <= recipients
    # A failed check and a new round: the new due date is announced again.
    nc = services.nonconformity_verify(
        actor=sms, nonconformity=nc, effective=False, notes="Not yet", now=due
    )
    complete(add_action(nc, now=due), due)
    nc.refresh_from_db()
    assert services.remind(due + days(30)) == 1
    assert services.remind(due + days(30)) == 0


# --- summary ------------------------------------------------------------------------------------


def test_summary_counts(django_assert_max_num_queries):
    record(severity="major")
    record()
    started()
    verifying()
    _first, at = closed(clause="8.5.1")
    again = record(clause="8.5.1", now=at + days(1))
    CorrectiveAction.objects.create(
        nonconformity=again, title="Late", owner=again.owner, due_on=TODAY - days(1)
    )
    with django_assert_max_num_queries(2):
        summary = selectors.nonconformity_summary(today=TODAY)
    assert summary["open_by_severity"] == {"minor": 4, "major": 1}
    assert (summary["open"], summary["in_progress"], summary["verifying"]) == (3, 1, 1)
    assert (summary["closed"], summary["recurring"], summary["overdue_actions"]) == (1, 1, 1)
    assert summary["raised"] == 6
    empty = selectors.nonconformity_summary(TODAY + days(400), TODAY + days(401), today=TODAY)
    assert (empty["raised"], empty["closed"], empty["recurring"]) == (0, 0, 0)


def test_the_check_may_be_put_off_not_brought_forward():
    nc = verifying()
    due = nc.effectiveness_due_on
    with nothing_changed(Nonconformity, nc), pytest.raises(ValidationError) as refused:
        services.nonconformity_update(
            actor=staff(Role.SMS_OWNER),
            nonconformity=nc,
            data={"effectiveness_due_on": due - days(1)},
            now=NOW,
        )
    assert "put off, not brought forward" in errors_of(refused)["effectiveness_due_on"][0]
    with pytest.raises(ValidationError):
        services.nonconformity_update(
            actor=nc.owner, nonconformity=nc, data={"effectiveness_due_on": None}, now=NOW
        )
    later = services.nonconformity_update(
        actor=nc.owner, nonconformity=nc, data={"effectiveness_due_on": due + days(5)}, now=NOW
    )
    assert later.effectiveness_due_on == due + days(5)
