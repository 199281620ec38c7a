"""Links of changes to incidents (caused, possibly caused, fixed) and to problems (fixes,
caused), each audited on both records."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.changes.models import ChangeIncident, ChangeProblem
from accord.changes.services.links import (
    change_link_incident,
    change_link_problem,
    change_unlink_incident,
    change_unlink_problem,
)
from accord.core.choices import AuditAction, Role
from accord.incidents.models import Incident
from accord.problems.models import Problem
from tests.base import events_since, last_event_id, nothing_changed, object_type
from tests.changes.factories import ChangeFactory
from tests.factories import OrganisationFactory, make_incident, person_with_role
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def change():
    return ChangeFactory()


@pytest.fixture
def incident(customer_org):
    return make_incident(organisation=customer_org)


@pytest.fixture
def agent():
    return person_with_role(Role.AGENT)


# --- incidents ----------------------------------------------------------------------------------


def test_link_incident_audits_the_change_and_the_incident(change, incident, agent):
    mark = last_event_id()
    link = change_link_incident(
        actor=agent, change=change, incident=incident, relation="possibly_caused"
    )
    assert (link.relation, link.source, link.linked_by) == ("possibly_caused", "manual", agent)
    # The tenant key is the incident's customer.
    assert link.organisation_id == incident.organisation_id
    events = events_since(mark)
    assert [(e.object_type, e.action) for e in events] == [
        (object_type(type(change)), AuditAction.UPDATE),
        (object_type(Incident), AuditAction.UPDATE),
    ]
    assert events[0].changes == {f"incident {incident.reference}": [None, "possibly_caused"]}
    assert events[1].changes == {f"change {change.reference}": [None, "possibly_caused"]}
    assert events[1].organisation_id == incident.organisation_id


def test_relinking_reclassifies_and_audits_the_relation(change, incident, agent):
    change_link_incident(actor=agent, change=change, incident=incident, relation="possibly_caused")
    mark = last_event_id()
    link = change_link_incident(actor=agent, change=change, incident=incident, relation="caused")
    assert ChangeIncident.objects.get(pk=link.pk).relation == "caused"
    assert ChangeIncident.objects.filter(change=change).count() == 1
    events = events_since(mark)
    assert events[0].changes == {f"incident {incident.reference}": ["possibly_caused", "caused"]}
    assert events[1].changes == {f"change {change.reference}": ["possibly_caused", "caused"]}
    # The same relation again is no change.
    with nothing_changed(ChangeIncident, link):
        change_link_incident(actor=agent, change=change, incident=incident, relation="caused")


def test_link_incident_by_id(change, incident):
    manager = person_with_role(Role.INCIDENT_MANAGER)
    link = change_link_incident(
        actor=manager, change=change, incident=incident.pk, relation="fixed"
    )
    assert link.incident_id == incident.pk


@pytest.mark.parametrize("relation", ["", "blamed", None])
def test_unknown_relation_is_refused(change, incident, agent, relation):
    with nothing_changed(ChangeIncident), pytest.raises(ValidationError) as exc:
        change_link_incident(actor=agent, change=change, incident=incident, relation=relation)
    assert "relation" in exc.value.message_dict


def test_unknown_incident_is_refused(change, agent):
    with nothing_changed(ChangeIncident), pytest.raises(ValidationError) as exc:
        change_link_incident(actor=agent, change=change, incident=999999, relation="caused")
    assert "incident" in exc.value.message_dict


@pytest.mark.parametrize(
    "role",
    [Role.AGENT, Role.INCIDENT_MANAGER, Role.CHANGE_MANAGER, Role.SERVICE_OWNER],
)
def test_incident_linkers(change, incident, role):
    person = person_with_role(role)
    change_link_incident(actor=person, change=change, incident=incident, relation="caused")
    change_unlink_incident(actor=person, change=change, incident=incident)


@pytest.mark.parametrize(
    "role", [Role.CHANGE_AUTHORITY, Role.AUDITOR, Role.CAPACITY_MANAGER, Role.TOP_MANAGEMENT]
)
def test_others_may_not_link_incidents(change, incident, role):
    person = person_with_role(role)
    with nothing_changed(ChangeIncident), pytest.raises(PermissionDenied):
        change_link_incident(actor=person, change=change, incident=incident, relation="caused")


def test_customer_may_not_link_incidents(change, incident, customer_org):
    person = person_with_role(Role.CUSTOMER_MANAGER, organisation=customer_org)
    with pytest.raises(PermissionDenied):
        change_link_incident(actor=person, change=change, incident=incident, relation="caused")


def test_unlink_incident_is_audited(change, incident, agent):
    change_link_incident(actor=agent, change=change, incident=incident, relation="caused")
    mark = last_event_id()
    change_unlink_incident(actor=agent, change=change, incident=incident)
    assert not ChangeIncident.objects.filter(change=change).exists()
    events = events_since(mark)
    assert events[0].changes == {f"incident {incident.reference}": ["caused", None]}
    assert events[1].changes == {f"change {change.reference}": ["caused", None]}
    with pytest.raises(ValidationError) as exc:
        change_unlink_incident(actor=agent, change=change, incident=incident)
    assert "incident" in exc.value.message_dict


def test_unlink_refuses_others(change, incident, agent):
    change_link_incident(actor=agent, change=change, incident=incident, relation="caused")
    with nothing_changed(ChangeIncident), pytest.raises(PermissionDenied):
        change_unlink_incident(
            actor=person_with_role(Role.CHANGE_AUTHORITY), change=change, incident=incident
        )


# --- problems -----------------------------------------------------------------------------------


def test_a_fix_names_itself_on_the_problem(change, agent):
    problem = ProblemFactory()
    version = problem.version
    mark = last_event_id()
    link = change_link_problem(actor=agent, change=change, problem=problem, relation="fixes")
    assert (link.relation, link.linked_by) == ("fixes", agent)
    problem.refresh_from_db()
    assert problem.change_reference == change.reference
    # The version moves, so a problem form opened before cannot write the old value back.
    assert problem.version == version + 1
    events = events_since(mark)
    assert [(e.object_type, e.changes) for e in events] == [
        (object_type(type(change)), {f"problem {problem.reference}": [None, "fixes"]}),
        (object_type(Problem), {f"change {change.reference}": [None, "fixes"]}),
        (object_type(Problem), {"change_reference": ["", change.reference]}),
    ]


def test_a_fix_keeps_a_change_reference_already_given(change, agent):
    problem = ProblemFactory(change_reference="EXT-42")
    change_link_problem(actor=agent, change=change, problem=problem, relation="fixes")
    problem.refresh_from_db()
    assert problem.change_reference == "EXT-42"


def test_a_closed_problem_is_not_written(change, agent):
    problem = ProblemFactory(status="closed", resolution="workaround_only")
    change_link_problem(actor=agent, change=change, problem=problem, relation="fixes")
    problem.refresh_from_db()
    assert problem.change_reference == ""


def test_a_cause_does_not_name_itself_as_the_fix(change, agent):
    problem = ProblemFactory()
    change_link_problem(actor=agent, change=change, problem=problem, relation="caused")
    problem.refresh_from_db()
    assert problem.change_reference == ""


def test_relink_problem_changes_the_relation_and_audits(change, agent):
    problem = ProblemFactory()
    change_link_problem(actor=agent, change=change, problem=problem, relation="caused")
    mark = last_event_id()
    change_link_problem(actor=agent, change=change, problem=problem, relation="fixes")
    assert ChangeProblem.objects.get(change=change, problem=problem).relation == "fixes"
    events = events_since(mark)
    assert events[0].changes == {f"problem {problem.reference}": ["caused", "fixes"]}
    problem.refresh_from_db()
    assert problem.change_reference == change.reference


def test_bad_problem_relation_is_refused(change, agent):
    problem = ProblemFactory()
    with (
        nothing_changed(ChangeProblem),
        nothing_changed(Problem, problem),
        pytest.raises(ValidationError) as exc,
    ):
        change_link_problem(actor=agent, change=change, problem=problem, relation="fixed")
    assert "relation" in exc.value.message_dict


@pytest.mark.parametrize("role", [Role.AGENT, Role.PROBLEM_MANAGER, Role.CHANGE_MANAGER])
def test_problem_linkers(change, role):
    problem = ProblemFactory()
    person = person_with_role(role)
    change_link_problem(actor=person, change=change, problem=problem, relation="caused")
    change_unlink_problem(actor=person, change=change, problem=problem)


@pytest.mark.parametrize("role", [Role.CHANGE_AUTHORITY, Role.SERVICE_OWNER, Role.AUDITOR])
def test_others_may_not_link_problems(change, role):
    problem = ProblemFactory()
    with nothing_changed(ChangeProblem), pytest.raises(PermissionDenied):
        change_link_problem(
            actor=person_with_role(role), change=change, problem=problem, relation="fixes"
        )


def test_unlink_problem_keeps_the_change_reference(change, agent):
    problem = ProblemFactory()
    change_link_problem(actor=agent, change=change, problem=problem, relation="fixes")
    mark = last_event_id()
    change_unlink_problem(actor=agent, change=change, problem=problem)
    assert not ChangeProblem.objects.exists()
    problem.refresh_from_db()
    assert problem.change_reference == change.reference
    assert events_since(mark)[0].changes == {f"problem {problem.reference}": ["fixes", None]}
    with pytest.raises(ValidationError):
        change_unlink_problem(actor=agent, change=change, problem=problem)


def test_outsider_with_a_provider_role_may_not_link(change, incident):
    person = person_with_role(Role.AGENT, organisation=OrganisationFactory())
    with pytest.raises(PermissionDenied):
        change_link_incident(actor=person, change=change, incident=incident, relation="caused")
