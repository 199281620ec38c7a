"""Complaint services: who raises, the status rules as data, versions, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import AuditAction, Door, Role
from accord.core.records import StaleVersion
from accord.feedback import services
from accord.feedback.choices import COMPLAINT_TRANSITIONS, ComplaintStatus
from accord.feedback.models import Complaint
from tests.base import events_since, last_event_id, nothing_changed
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    person_with_role,
    provider,
)
from tests.feedback.conftest import NOW, complaint_manager, customer_user, raise_complaint

pytestmark = pytest.mark.django_db
S = ComplaintStatus


def test_a_customer_raises_for_their_own_organisation_with_a_deadline(settings):
    settings.ACCORD_COMPLAINT_ACKNOWLEDGE_HOURS = 8
    org = OrganisationFactory(kind="customer")
    person = customer_user(org)
    mark = last_event_id()
    complaint = services.complaint_raise(
        actor=person,
        title=" Nobody called back ",
        description="We waited.",
        ticket_reference="inc-000042",
        now=NOW,
    )
    assert complaint.reference == "CMP-000001"
    assert (complaint.organisation, complaint.raised_by, complaint.status) == (org, person, S.NEW)
    assert complaint.title == "Nobody called back"
    assert complaint.ticket_reference == "INC-000042"
    assert complaint.acknowledge_due_at == NOW + dt.timedelta(hours=8)
    assert Complaint.objects.get().reference == "CMP-000001"
    events = events_since(mark)
    assert [(e.action, e.actor_id, e.object_type) for e in events] == [
        (AuditAction.CREATE, person.pk, "feedback.complaint")
    ]
    assert events[0].object_repr.startswith("CMP-000001")


def test_the_default_deadline_is_24_wall_clock_hours():
    complaint = raise_complaint(OrganisationFactory(kind="customer"), now=NOW)
    assert complaint.acknowledge_due_at == NOW + dt.timedelta(hours=24)


def test_a_customer_cannot_raise_for_another_organisation():
    org, other = OrganisationFactory(kind="customer"), OrganisationFactory(kind="customer")
    with nothing_changed(Complaint), pytest.raises(ValidationError, match="own organisation"):
        raise_complaint(org, organisation=other)


def test_a_manager_raises_on_behalf_of_a_customer():
    org = OrganisationFactory(kind="customer")
    caller = customer_user(org)
    manager = complaint_manager()
    complaint = services.complaint_raise(
        actor=manager, raised_by=caller, title="Rude call", description="On the phone."
    )
    assert (complaint.organisation, complaint.raised_by) == (org, caller)
    with nothing_changed(Complaint), pytest.raises(ValidationError, match="customer"):
        services.complaint_raise(
            actor=manager, organisation=provider(), title="Internal", description="No."
        )


@pytest.mark.parametrize("role", [Role.AGENT, Role.TOP_MANAGEMENT, Role.AUDITOR])
def test_staff_without_complaints_manage_cannot_raise(role):
    org = OrganisationFactory(kind="customer")
    with nothing_changed(Complaint), pytest.raises(PermissionDenied):
        services.complaint_raise(
            actor=person_with_role(role), organisation=org, title="t", description="d"
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"description": ""}, "description"),
        ({"ticket_reference": "yesterday's call"}, "ticket_reference"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(changes, field):
    org = OrganisationFactory(kind="customer")
    with nothing_changed(Complaint), pytest.raises(ValidationError) as exc:
        raise_complaint(org, **changes)
    assert field in exc.value.error_dict


def test_a_service_that_is_not_live_is_refused():
    service = ServiceFactory(status="pipeline")
    with nothing_changed(Complaint), pytest.raises(ValidationError, match="not live"):
        raise_complaint(OrganisationFactory(kind="customer"), service=service)


def test_the_full_flow_sets_its_instants_and_audits_each_step():
    complaint = raise_complaint(OrganisationFactory(kind="customer"), now=NOW)
    manager = complaint_manager()
    mark = last_event_id()
    at = NOW + dt.timedelta(hours=1)
    c = services.complaint_transition(actor=manager, complaint=complaint, to=S.ACKNOWLEDGED, now=at)
    assert (c.status, c.acknowledged_at, c.owner) == (S.ACKNOWLEDGED, at, manager)
    c = services.complaint_transition(actor=manager, complaint=c, to=S.INVESTIGATING, now=at)
    with nothing_changed(Complaint, c), pytest.raises(ValidationError) as exc:
        services.complaint_transition(actor=manager, complaint=c, to=S.RESOLVED, outcome=" ")
    assert "outcome" in exc.value.error_dict
    c = services.complaint_transition(
        actor=manager, complaint=c, to=S.RESOLVED, outcome="Credited.", now=at
    )
    assert (c.status, c.outcome, c.resolved_at) == (S.RESOLVED, "Credited.", at)
    c = services.complaint_transition(actor=manager, complaint=c, to=S.CLOSED, now=at)
    assert (c.status, c.closed_at, c.version) == (S.CLOSED, at, 5)
    events = events_since(mark)
    assert [e.action for e in events] == [AuditAction.TRANSITION] * 4
    assert events[0].changes["status"] == ["new", "acknowledged"]
    with nothing_changed(Complaint, c), pytest.raises(ValidationError, match="cannot be changed"):
        services.complaint_update(actor=manager, complaint=c, data={"title": "Later"})


REFUSED_MOVES = [
    (frm, to)
    for frm in S.values
    for to in S.values
    if to not in COMPLAINT_TRANSITIONS[frm] - {S.WITHDRAWN}
]


@pytest.mark.parametrize(("frm", "to"), REFUSED_MOVES)
def test_refused_moves_name_the_allowed_next_states(frm, to):
    allowed = COMPLAINT_TRANSITIONS[frm] - {S.WITHDRAWN}
    complaint = raise_complaint(OrganisationFactory(kind="customer"))
    Complaint.objects.filter(pk=complaint.pk).update(status=frm, outcome="Done")
    complaint.refresh_from_db()
    manager = complaint_manager()
    with nothing_changed(Complaint, complaint), pytest.raises(ValidationError) as exc:
        services.complaint_transition(actor=manager, complaint=complaint, to=to)
    message = str(exc.value)
    assert "allowed next" in message
    for name in allowed:
        assert name in message


def test_the_raiser_withdraws_early_and_no_one_else_does():
    org = OrganisationFactory(kind="customer")
    raiser = customer_user(org)
    complaint = raise_complaint(org, raiser)
    manager_of_customer = PersonFactory(organisation=org, roles=[Role.CUSTOMER_MANAGER])
    for someone in (complaint_manager(), manager_of_customer, customer_user(org)):
        with (
            nothing_changed(Complaint, complaint),
            pytest.raises((ValidationError, PermissionDenied)),
        ):
            services.complaint_transition(actor=someone, complaint=complaint, to=S.WITHDRAWN)
    withdrawn = services.complaint_transition(
        actor=raiser, complaint=complaint, to=S.WITHDRAWN, now=NOW
    )
    assert (withdrawn.status, withdrawn.closed_at) == (S.WITHDRAWN, NOW)


def test_the_raiser_cannot_withdraw_once_investigated():
    org = OrganisationFactory(kind="customer")
    raiser = customer_user(org)
    complaint = raise_complaint(org, raiser)
    c = services.complaint_transition(
        actor=complaint_manager(), complaint=complaint, to=S.INVESTIGATING
    )
    with nothing_changed(Complaint, c), pytest.raises(ValidationError, match="allowed next: none"):
        services.complaint_transition(actor=raiser, complaint=c, to=S.WITHDRAWN)


def test_the_raiser_edits_only_while_new_and_never_the_owner():
    org = OrganisationFactory(kind="customer")
    raiser = customer_user(org)
    complaint = raise_complaint(org, raiser)
    c = services.complaint_update(actor=raiser, complaint=complaint, data={"title": "Better"})
    assert (c.title, c.version) == ("Better", 2)
    with nothing_changed(Complaint, c), pytest.raises(PermissionDenied):
        services.complaint_update(actor=raiser, complaint=c, data={"owner": complaint_manager()})
    c = services.complaint_transition(actor=complaint_manager(), complaint=c, to=S.ACKNOWLEDGED)
    with nothing_changed(Complaint, c), pytest.raises(ValidationError, match="being handled"):
        services.complaint_update(actor=raiser, complaint=c, data={"title": "Again"})


def test_only_complaint_managers_own_complaints():
    complaint = raise_complaint(OrganisationFactory(kind="customer"))
    manager = complaint_manager()
    agent = person_with_role(Role.AGENT)
    with nothing_changed(Complaint, complaint), pytest.raises(ValidationError) as exc:
        services.complaint_update(actor=manager, complaint=complaint, data={"owner": agent})
    assert "owner" in exc.value.error_dict
    other = complaint_manager()
    c = services.complaint_update(actor=manager, complaint=complaint, data={"owner": other})
    assert c.owner == other


def test_a_stale_version_is_refused():
    complaint = raise_complaint(OrganisationFactory(kind="customer"))
    manager = complaint_manager()
    services.complaint_update(actor=manager, complaint=complaint, data={"title": "First"})
    with nothing_changed(Complaint, complaint), pytest.raises(StaleVersion):
        services.complaint_update(
            actor=manager, complaint=complaint, data={"title": "Second"}, expected_version=1
        )


def test_unknown_fields_are_refused():
    complaint = raise_complaint(OrganisationFactory(kind="customer"))
    with nothing_changed(Complaint, complaint), pytest.raises(ValidationError) as exc:
        services.complaint_update(
            actor=complaint_manager(), complaint=complaint, data={"colour": "red"}
        )
    assert "colour" in exc.value.error_dict


def test_changes_made_by_the_system_are_recorded_as_such():
    from accord.core.context import audit_context

    complaint = raise_complaint(OrganisationFactory(kind="customer"))
    mark = last_event_id()
    with audit_context(Door.CLI, actor_label="cli:ops"):
        services.complaint_transition(actor=None, complaint=complaint, to=S.ACKNOWLEDGED)
    (event,) = events_since(mark)
    assert (event.actor_id, event.actor_label, event.door) == (None, "cli:ops", Door.CLI)
    assert provider() is not None
