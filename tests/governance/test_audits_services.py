"""Internal audit services: programmes, planning with independent auditors (each kind of
conflict refused with its reason), the checklist drawn from the clause register, answers that
keep the live evidence, findings and what they open, the report and the immutability after it,
cancelling, and who may do each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import Role
from accord.core.records import StaleVersion
from accord.governance.choices import AuditStatus, ChecklistResult, FindingKind
from accord.governance.models import Audit, AuditProgramme, ChecklistItem, Finding
from accord.governance.selectors.audits import (
    audits_visible_to,
    finding_links,
    programme_coverage,
    programmes_visible_to,
)
from accord.governance.services import audit_programmes as programmes
from accord.governance.services import audits as services
from accord.improvement.models import Improvement, Nonconformity
from accord.notifications.choices import NotificationKind
from accord.notifications.models import Notification
from tests.base import nothing_changed
from tests.factories import PersonFactory, ServiceFactory, person_with_role
from tests.governance.audits_factories import (
    END,
    NOW,
    START,
    add_activity,
    answer_all,
    item_of,
    make_process,
    make_programme,
    manager,
    plan_audit,
    raise_finding,
    reported_audit,
    staff,
    started_audit,
)

pytestmark = pytest.mark.django_db


def messages(exc: ValidationError, field: str) -> list[str]:
    return [str(m) for m in exc.message_dict.get(field, [])]


# --- programmes ---------------------------------------------------------------------------------


def test_programme_is_numbered_and_checks_its_period():
    owner = manager()
    programme = programmes.programme_create(
        actor=owner,
        data={
            "title": "Audits 2026",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "owner": owner.pk,
            "objectives": "Every clause once.",
        },
    )
    assert programme.reference.startswith("APG-")
    with pytest.raises(ValidationError) as exc, nothing_changed(AuditProgramme):
        programmes.programme_create(
            actor=owner,
            data={"title": "x", "starts_on": "2026-05-01", "ends_on": "2026-04-01", "owner": owner},
        )
    assert "ends_on" in exc.value.message_dict


def test_programme_period_cannot_shrink_past_its_audits():
    programme = make_programme()
    plan_audit(programme=programme)
    with pytest.raises(ValidationError) as exc:
        programmes.programme_update(
            actor=manager(), programme=programme, data={"ends_on": dt.date(2026, 2, 28)}
        )
    assert "outside the period" in messages(exc.value, "ends_on")[0]


def test_programme_update_honours_the_version():
    programme = make_programme()
    with pytest.raises(StaleVersion):
        programmes.programme_update(
            actor=manager(), programme=programme, data={"title": "New"}, version=9
        )


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.AGENT, Role.SERVICE_OWNER])
def test_only_managers_plan_programmes(role):
    with pytest.raises(PermissionDenied), nothing_changed(AuditProgramme):
        programmes.programme_create(
            actor=staff(role),
            data={"title": "x", "starts_on": START, "ends_on": END, "owner": manager()},
        )


# --- planning -----------------------------------------------------------------------------------


def test_audit_is_planned_with_defaults_and_the_lead_on_the_team():
    lead, other = staff(), staff()
    audit = plan_audit(lead_auditor=lead, auditors=[other.pk], clauses=["8.6", "9"])
    assert audit.reference.startswith("AUD-")
    assert audit.status == AuditStatus.PLANNED
    assert audit.criteria == services.DEFAULT_CRITERIA
    assert set(audit.auditors.values_list("pk", flat=True)) == {lead.pk, other.pk}
    assert sorted(audit.clauses.values_list("number", flat=True)) == ["8.6", "9"]


def test_team_is_told_when_named():
    lead, other = staff(), staff()
    audit = plan_audit(lead_auditor=lead)
    told = Notification.objects.filter(kind=NotificationKind.AUDIT_ASSIGNED)
    assert set(told.values_list("recipient_id", flat=True)) == {lead.pk}
    services.audit_update(actor=manager(), audit=audit, data={"auditors": [lead, other]}, now=NOW)
    assert set(told.values_list("recipient_id", flat=True)) == {lead.pk, other.pk}


def test_dates_must_fall_within_the_programme():
    programme = make_programme(starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 6, 30))
    with pytest.raises(ValidationError) as exc, nothing_changed(Audit):
        plan_audit(programme=programme.pk)
    assert "within the programme" in messages(exc.value, "planned_start")[0]


def test_reversed_dates_and_unknown_clause_are_refused_together():
    with pytest.raises(ValidationError) as exc, nothing_changed(Audit):
        plan_audit(planned_end=dt.date(2026, 3, 1), clauses=["8.6", "11.9"])
    assert "planned_end" in exc.value.message_dict
    assert "11.9" in messages(exc.value, "clauses")[0]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.AGENT, Role.INCIDENT_MANAGER])
def test_only_managers_plan_audits(role):
    with pytest.raises(PermissionDenied), nothing_changed(Audit):
        plan_audit(actor=staff(role))


# --- independence -------------------------------------------------------------------------------


def test_owner_of_a_process_in_scope_is_refused_with_the_reason():
    lead = staff(Role.AGENT, first_name="Sam", last_name="Owner")
    make_process(name="Incident management", clause="8.6.1", owner=lead, owner_role="")
    with pytest.raises(ValidationError) as exc, nothing_changed(Audit):
        plan_audit(lead_auditor=lead)
    assert messages(exc.value, "lead_auditor") == [
        "Sam Owner owns the process Incident management (in scope)."
    ]


def test_holder_of_the_owner_role_of_a_process_in_scope_is_refused():
    manager_of_incidents = staff(Role.INCIDENT_MANAGER, first_name="Ina", last_name="Cident")
    process = make_process(name="Incident management", owner_role=Role.INCIDENT_MANAGER)
    with pytest.raises(ValidationError) as exc:
        plan_audit(clauses=[], processes=[process], auditors=[manager_of_incidents])
    assert messages(exc.value, "auditors") == [
        "Ina Cident holds the role Incident manager, which runs the process Incident "
        "management (in scope)."
    ]


@pytest.mark.parametrize("letter", ["R", "A"])
def test_responsible_or_accountable_in_the_raci_is_refused(letter):
    agent = staff(Role.AGENT, first_name="Al", last_name="Gent")
    process = make_process(name="Request fulfilment", clause="8.6.2", owner_role="")
    add_activity(process, "Fulfil the request", agent=letter)
    with pytest.raises(ValidationError) as exc:
        plan_audit(lead_auditor=agent)
    (reason,) = messages(exc.value, "lead_auditor")
    assert reason.startswith("Al Gent holds the role Service desk agent, ")
    assert f"({letter})" in reason and "Request fulfilment (in scope)" in reason


def test_consulted_or_informed_in_the_raci_may_audit():
    agent = staff(Role.AGENT)
    process = make_process(clause="8.6.2", owner_role="")
    add_activity(process, "Tell the customer", agent="I")
    assert plan_audit(lead_auditor=agent).lead_auditor == agent


def test_process_outside_the_scope_does_not_conflict():
    lead = staff()
    make_process(clause="8.5.1", owner=lead, owner_role="")
    assert plan_audit(lead_auditor=lead, clauses=["8.6"]).pk


def test_clause_in_scope_reaches_processes_of_its_sub_clauses():
    lead = staff()
    process = make_process(clause="8.6.3", owner=lead, owner_role="")
    assert services.independence_conflicts({"clauses": ["8"]}, lead)
    assert not services.independence_conflicts({"clauses": ["8.5"]}, lead)
    assert services.independence_conflicts({"processes": [process]}, lead)


def test_owner_of_a_service_in_scope_is_refused():
    owner = staff(Role.SERVICE_OWNER, first_name="Sam", last_name="Owner")
    mail = ServiceFactory(name="Email", owner=owner)
    with pytest.raises(ValidationError) as exc:
        plan_audit(services=[mail.pk], auditors=[owner])
    assert messages(exc.value, "auditors") == ["Sam Owner owns the service Email (in scope)."]


def test_auditor_role_customer_and_inactive_people_are_refused():
    reader = person_with_role(Role.AUDITOR)
    customer = person_with_role(Role.CUSTOMER_USER)
    gone = staff(is_active=False)
    for person in (reader, customer, gone):
        reasons = services.independence_conflicts({"clauses": ["8.6"]}, person)
        assert reasons, person
    assert "auditor role" in services.independence_conflicts({}, reader)[0]
    with pytest.raises(ValidationError) as exc, nothing_changed(Audit):
        plan_audit(auditors=[reader])
    assert "auditor role" in " ".join(messages(exc.value, "auditors"))
    with pytest.raises(ValidationError) as exc:
        plan_audit(lead_auditor=customer)
    assert "lead_auditor" in exc.value.message_dict


def test_independence_is_checked_again_at_start():
    lead = staff()
    audit = plan_audit(lead_auditor=lead)
    make_process(name="Problem management", clause="8.6.3", owner=lead, owner_role="")
    with pytest.raises(ValidationError) as exc, nothing_changed(ChecklistItem):
        services.audit_start(actor=manager(), audit=audit, now=NOW)
    assert "owns the process Problem management" in messages(exc.value, "lead_auditor")[0]
    assert Audit.objects.get(pk=audit.pk).status == AuditStatus.PLANNED


# --- start and the checklist --------------------------------------------------------------------


def test_checklist_is_drawn_from_the_clause_register_in_order():
    audit = started_audit(clauses=["8.6", "4.3"])
    numbers = list(audit.checklist.order_by("position").values_list("clause__number", flat=True))
    assert numbers == ["4.3", "8.6", "8.6.1", "8.6.2", "8.6.3"]
    question = item_of(audit, "8.6.1").question
    assert question.startswith("8.6.1 ") and question.endswith("?")
    assert "is there evidence" in question
    assert audit.status == AuditStatus.IN_PROGRESS and audit.started_at == NOW


def test_without_clauses_the_processes_name_the_checklist():
    process = make_process(clause="8.5.1", owner_role="")
    audit = started_audit(clauses=[], processes=[process])
    assert list(audit.checklist.values_list("clause__number", flat=True)) == ["8.5.1"]


def test_audit_without_scope_does_not_start():
    audit = plan_audit(clauses=[])
    with pytest.raises(ValidationError) as exc:
        services.audit_start(actor=manager(), audit=audit, now=NOW)
    assert "clause or process" in messages(exc.value, "clauses")[0]


def test_lead_may_start_but_another_auditor_may_not():
    lead, other = staff(), staff()
    audit = plan_audit(lead_auditor=lead, auditors=[other])
    with pytest.raises(PermissionDenied):
        services.audit_start(actor=other, audit=audit, now=NOW)
    assert services.audit_start(actor=lead, audit=audit, now=NOW).status == "in_progress"


def test_scope_and_team_are_fixed_once_started():
    audit = started_audit()
    with pytest.raises(ValidationError) as exc:
        services.audit_update(actor=manager(), audit=audit, data={"clauses": ["9"]}, now=NOW)
    assert "has started" in messages(exc.value, "clauses")[0]
    renamed = services.audit_update(actor=manager(), audit=audit, data={"title": "Renamed"})
    assert renamed.title == "Renamed"


# --- conducting ---------------------------------------------------------------------------------


def test_answer_keeps_the_live_evidence_seen():
    audit = started_audit(clauses=["4.4"])
    make_process(clause="8.1", owner_role="")
    item = item_of(audit, "4.4")
    answered = services.checklist_answer(
        actor=audit.lead_auditor, item=item, result="conforming", notes="Register read.", now=NOW
    )
    assert answered.result == ChecklistResult.CONFORMING
    assert answered.checked_by == audit.lead_auditor and answered.checked_at == NOW
    rows = ChecklistItem.objects.get(pk=item.pk).evidence_seen
    assert rows[0]["label"] == "Summary" and "1 active processes" in rows[0]["value"]
    assert {"label": "Active processes", "value": 1}.items() <= rows[1].items()
    assert set(rows[1]) == {"label", "value", "link", "available", "gap"}


def test_finding_answer_needs_a_finding_on_the_item():
    audit = started_audit()
    item = item_of(audit, "8.6.1")
    with pytest.raises(ValidationError) as exc:
        services.checklist_answer(actor=audit.lead_auditor, item=item, result="finding", now=NOW)
    assert "Raise the finding" in messages(exc.value, "result")[0]
    finding = raise_finding(audit, checklist_item=item.pk)
    assert finding.clause.number == "8.6.1"  # defaults to the question's clause
    answered = services.checklist_answer(
        actor=audit.lead_auditor, item=item, result="finding", now=NOW
    )
    assert answered.result == "finding"


@pytest.mark.parametrize("result", ["open", "maybe", ""])
def test_bad_answer_is_refused(result):
    audit = started_audit()
    item = item_of(audit, "8.6")
    with pytest.raises(ValidationError):
        services.checklist_answer(actor=audit.lead_auditor, item=item, result=result, now=NOW)
    assert ChecklistItem.objects.get(pk=item.pk).result == ChecklistResult.OPEN


@pytest.mark.parametrize("who", ["outsider", Role.AUDITOR, Role.SMS_OWNER, Role.TOP_MANAGEMENT])
def test_only_the_team_conducts(who):
    audit = started_audit()
    person = staff() if who == "outsider" else staff(who)
    item = item_of(audit, "8.6")
    with pytest.raises(PermissionDenied), nothing_changed(Finding):
        services.checklist_answer(actor=person, item=item, result="conforming", now=NOW)
    with pytest.raises(PermissionDenied), nothing_changed(Finding):
        services.finding_create(
            actor=person,
            audit=audit,
            data={"kind": "observation", "title": "x", "statement": "y"},
            now=NOW,
        )


def test_team_member_who_became_an_auditor_no_longer_conducts():
    other = staff()
    audit = started_audit(auditors=[other])
    other.role_assignments.create(role=Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        services.finding_create(
            actor=other,
            audit=audit,
            data={"kind": "observation", "title": "x", "statement": "y"},
            now=NOW,
        )


def test_nothing_is_conducted_before_the_start():
    audit = plan_audit()
    with pytest.raises(ValidationError) as exc:
        raise_finding(audit)
    assert "once the audit has started" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "grave"}, "kind"),
        ({"statement": "  "}, "statement"),
        ({"title": ""}, "title"),
        ({"service": 987654}, "service"),
        ({"clause": "12.1"}, "clause"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_finding_is_refused(data, field):
    audit = started_audit()
    with pytest.raises(ValidationError) as exc, nothing_changed(Finding):
        raise_finding(audit, **data)
    assert field in exc.value.message_dict


def test_checklist_item_of_another_audit_is_refused():
    audit, other = started_audit(), started_audit()
    with pytest.raises(ValidationError) as exc:
        raise_finding(audit, checklist_item=other.checklist.first().pk)
    assert "checklist_item" in exc.value.message_dict


@pytest.mark.parametrize("kind", [FindingKind.MINOR, FindingKind.MAJOR])
def test_nonconformity_finding_opens_a_nonconformity(kind):
    audit = started_audit()
    finding = raise_finding(audit, kind=kind, checklist_item=item_of(audit, "8.6.1").pk)
    nonconformity = Nonconformity.objects.get(finding=finding)
    assert nonconformity.title == finding.title
    links = finding_links([finding])
    assert links[finding.pk]["nonconformity"] == (nonconformity.pk, nonconformity.reference)


def test_opportunity_raises_an_improvement_owned_by_the_process_owner():
    owner = staff(Role.INCIDENT_MANAGER)
    process = make_process(clause="8.5.1", owner=owner, owner_role="")
    audit = started_audit()
    finding = raise_finding(audit, kind=FindingKind.OPPORTUNITY, process=process.pk)
    improvement = Improvement.objects.get(source_reference=finding.reference)
    assert improvement.source == "audit_finding"
    assert improvement.owner == owner
    assert improvement.source_id == finding.pk
    assert finding.statement in improvement.description
    assert finding_links([finding])[finding.pk]["improvement"][1] == improvement.reference


def test_opportunity_without_process_or_service_is_owned_by_the_auditor():
    audit = started_audit()
    finding = raise_finding(audit, kind=FindingKind.OPPORTUNITY)
    assert Improvement.objects.get(source_reference=finding.reference).owner == audit.lead_auditor


@pytest.mark.parametrize("kind", [FindingKind.OBSERVATION, FindingKind.CONFORMITY])
def test_other_findings_open_nothing(kind):
    audit = started_audit()
    finding = raise_finding(audit, kind=kind)
    assert finding_links([finding])[finding.pk] == {}


def test_finding_update_and_its_kind_once_something_opened():
    audit = started_audit()
    finding = raise_finding(audit)
    updated = services.finding_update(
        actor=audit.lead_auditor,
        finding=finding,
        data={"kind": FindingKind.MINOR, "evidence": "INC-000012"},
        version=finding.version,
        now=NOW,
    )
    assert updated.version == 2 and Nonconformity.objects.filter(finding=finding).exists()
    with pytest.raises(ValidationError) as exc:
        services.finding_update(
            actor=audit.lead_auditor, finding=updated, data={"kind": "observation"}, now=NOW
        )
    assert "no longer changes" in messages(exc.value, "kind")[0]
    with pytest.raises(StaleVersion):
        services.finding_update(
            actor=audit.lead_auditor, finding=updated, data={"title": "T"}, version=1, now=NOW
        )


# --- the report ---------------------------------------------------------------------------------


def test_report_is_refused_while_questions_are_open():
    audit = started_audit()
    services.checklist_answer(
        actor=audit.lead_auditor, item=item_of(audit, "8.6"), result="not_applicable", now=NOW
    )
    with pytest.raises(ValidationError) as exc:
        services.audit_report(
            actor=audit.lead_auditor, audit=audit, summary="S", conclusion="C", now=NOW
        )
    assert "still open for 8.6.1, 8.6.2, 8.6.3" in messages(exc.value, "checklist")[0]


def test_only_the_lead_issues_the_report():
    other = staff()
    audit = started_audit(auditors=[other])
    answer_all(audit)
    for person in (other, manager()):
        with pytest.raises(PermissionDenied):
            services.audit_report(actor=person, audit=audit, summary="S", conclusion="C", now=NOW)


def test_report_is_frozen_with_everything_it_covers():
    service = ServiceFactory(name="Email")
    audit = started_audit(services=[service], clauses=["8.6.1"])
    finding = raise_finding(
        audit, kind=FindingKind.MINOR, checklist_item=item_of(audit, "8.6.1").pk
    )
    answer_all(audit, ChecklistResult.FINDING)
    reported = services.audit_report(
        actor=audit.lead_auditor,
        audit=audit,
        summary="Incidents sampled.",
        conclusion="One minor nonconformity.",
        now=NOW,
    )
    nonconformity = Nonconformity.objects.get(finding=finding)
    report = reported.report
    assert reported.status == AuditStatus.REPORTED and reported.reported_at == NOW
    assert reported.reported_by == audit.lead_auditor
    for text in (
        audit.reference,
        "2026-03-09 to 2026-03-13",
        "Email",
        "8.6.1",
        "Incidents sampled.",
        "One minor nonconformity.",
        "### Minor nonconformity (1)",
        finding.reference,
        nonconformity.reference,
        "Finding raised",
        "Issued 2026-03-10 09:00 UTC",
    ):
        assert text in report, text


def test_nothing_changes_after_the_report():
    audit = reported_audit()
    lead = audit.lead_auditor
    item = audit.checklist.first()
    finding = audit.findings.first()
    attempts = [
        lambda: services.checklist_answer(actor=lead, item=item, result="conforming", now=NOW),
        lambda: raise_finding(audit),
        lambda: services.finding_update(actor=lead, finding=finding, data={"title": "x"}),
        lambda: services.audit_update(actor=manager(), audit=audit, data={"title": "x"}),
        lambda: services.audit_cancel(actor=manager(), audit=audit, reason="x"),
        lambda: services.audit_report(
            actor=lead, audit=audit, summary="x", conclusion="y", now=NOW
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as exc, nothing_changed(Audit, audit, finding):
            attempt()
        assert "no longer change" in exc.value.messages[0]
    assert ChecklistItem.objects.get(pk=item.pk).result == item.result


# --- cancel -------------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_a_manager():
    audit = started_audit()
    with pytest.raises(ValidationError) as exc:
        services.audit_cancel(actor=manager(), audit=audit, reason=" ")
    assert "cancelled_reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.audit_cancel(actor=audit.lead_auditor, audit=audit, reason="x")
    cancelled = services.audit_cancel(actor=manager(), audit=audit, reason="Auditor ill.")
    assert cancelled.status == AuditStatus.CANCELLED
    with pytest.raises(ValidationError):
        raise_finding(cancelled)


# --- selectors ----------------------------------------------------------------------------------


def test_readers_see_audits_customers_none():
    audit = plan_audit()
    programme = make_programme()
    for role in (Role.AUDITOR, Role.AGENT, Role.SMS_OWNER):
        person = staff(role)
        assert audit in audits_visible_to(person)
        assert programme in programmes_visible_to(person)
    customer = person_with_role(Role.CUSTOMER_MANAGER)
    assert not audits_visible_to(customer).exists()
    assert not programmes_visible_to(customer).exists()
    assert not audits_visible_to(PersonFactory(organisation=None)).exists()


def test_programme_coverage_shows_what_its_audits_reach_and_the_gaps():
    programme = make_programme()
    incidents = make_process(name="Incident management", clause="8.6.1", owner_role="")
    changes = make_process(name="Change management", clause="8.5.1", owner_role="")
    plan_audit(programme=programme, clauses=["8.6"])
    plan_audit(programme=programme, clauses=[], processes=[changes])
    cancelled = plan_audit(programme=programme, clauses=["9"])
    services.audit_cancel(actor=manager(), audit=cancelled, reason="Moved.")
    coverage = programme_coverage(programme)
    state = {row.record.number: row.state for row in coverage.clauses}
    assert state["8.6"] == state["8.6.2"] == state["8.5.1"] == "covered"
    assert state["8"] == state["8.5"] == "partial"
    assert state["9"] == state["9.1"] == state["4"] == "gap"
    processes = {row.record.name: row for row in coverage.processes}
    assert processes["Incident management"].state == "covered"
    assert processes["Change management"].state == "covered"
    assert incidents and {row.record.number for row in coverage.clause_gaps} >= {"9", "10"}


def test_programme_coverage_costs_a_few_queries(django_assert_max_num_queries):
    programme = make_programme()
    for _ in range(3):
        plan_audit(programme=programme, clauses=["8.6", "9.1"], processes=[make_process()])
    with django_assert_max_num_queries(5):
        programme_coverage(programme)
