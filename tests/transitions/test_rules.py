"""The rules of service transitions through their services: stage gates, readiness, the
portfolio's lifecycle gate, criteria verification, plan activities, dispositions, early life
support and the outcome report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.changes.choices import ChangeStatus
from accord.core.choices import Role
from accord.core.records import StaleVersion
from accord.improvement.models import Improvement
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.portfolio.services.catalogue import catalogue_item_activate, catalogue_item_create
from accord.portfolio.services.service import service_transition
from accord.transitions import services
from accord.transitions.choices import Stage, TransitionKind
from accord.transitions.models import (
    AcceptanceCriterion,
    DataDisposition,
    ServiceTransition,
    TransitionActivity,
)
from tests.base import FAST_HASHERS, events_since, last_event_id, nothing_changed
from tests.changes.factories import ChangeFactory
from tests.factories import (
    AgreementFactory,
    CatalogueItemFactory,
    ConfigurationItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    make_incident,
    provider,
)
from tests.transitions.factories import (
    ActivityFactory,
    CriterionFactory,
    DispositionFactory,
    TransitionFactory,
    ready_transition,
)


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def owner():
    return PersonFactory(organisation=provider(), roles=[Role.SERVICE_OWNER])


# --- Opening ---------------------------------------------------------------------------------


def test_owners_of_transitions_and_activities_are_the_providers_active_staff(owner):
    customer = PersonFactory(organisation=OrganisationFactory())
    gone = PersonFactory(organisation=provider(), is_active=False)
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    for stranger in (customer, gone):
        with nothing_changed(ServiceTransition), pytest.raises(ValidationError) as info:
            services.transition_create(
                actor=owner, service=service, kind="new", data={"title": "x", "owner": stranger}
            )
        assert "not an active member of the provider's staff" in str(info.value.message_dict)
    transition = TransitionFactory()
    with nothing_changed(ServiceTransition, transition), pytest.raises(ValidationError):
        services.transition_update(actor=owner, transition=transition, data={"owner": customer})
    with nothing_changed(TransitionActivity), pytest.raises(ValidationError) as info:
        services.activity_create(
            actor=owner, transition=transition, data={"title": "Train", "owner": customer}
        )
    assert "owner" in info.value.message_dict
    colleague = PersonFactory(organisation=provider())
    moved = services.transition_update(
        actor=owner, transition=transition, data={"owner": colleague}
    )
    assert moved.owner == colleague


def test_a_service_owner_opens_a_new_service_transition_in_design(owner):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    mark = last_event_id()
    transition = services.transition_create(
        actor=owner, service=service, kind="new", data={"title": "Launch the wiki"}
    )
    assert transition.reference.startswith("TRN-") and transition.stage == Stage.DESIGN
    assert transition.owner == owner and transition.organisation == service.owner.organisation
    [event] = events_since(mark)
    assert event.action == "create" and event.changes["kind"] == [None, "new"]


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("new", ServiceStatus.LIVE),
        ("transfer_in", ServiceStatus.RETIRED),
        ("change", ServiceStatus.PIPELINE),
        ("retirement", ServiceStatus.PIPELINE),
        ("transfer_out", ServiceStatus.RETIRED),
    ],
)
def test_the_kind_must_fit_the_service_status(kind, status, owner):
    service = ServiceFactory(status=status)
    with nothing_changed(ServiceTransition), pytest.raises(ValidationError) as info:
        services.transition_create(actor=owner, service=service, kind=kind, data={"title": "x"})
    assert "transition is for a" in info.value.message_dict["kind"][0]


def test_one_open_transition_per_service(owner):
    first = TransitionFactory(stage=Stage.BUILD)
    with nothing_changed(ServiceTransition), pytest.raises(ValidationError) as info:
        services.transition_create(
            actor=owner, service=first.service, kind="new", data={"title": "again"}
        )
    assert first.reference in info.value.message_dict["service"][0]


def test_links_must_belong_to_the_service(owner):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    stray_item = CatalogueItemFactory()
    stray_agreement = AgreementFactory(code="SLA-STRAY")
    with nothing_changed(ServiceTransition), pytest.raises(ValidationError) as info:
        services.transition_create(
            actor=owner,
            service=service,
            kind="new",
            data={
                "title": "x",
                "catalogue_items": [stray_item],
                "agreements": [stray_agreement],
                "dependencies": [service],
            },
        )
    errors = info.value.message_dict
    assert "another service" in errors["catalogue_items"][0]
    assert "SLA-STRAY does not cover" in errors["agreements"][0]
    assert "itself" in errors["dependencies"][0]


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER_MANAGER, Role.AUDITOR])
def test_only_portfolio_managers_work_on_transitions(role):
    person = PersonFactory(roles=[role])
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    with nothing_changed(ServiceTransition), pytest.raises(PermissionDenied):
        services.transition_create(actor=person, service=service, kind="new", data={"title": "x"})
    transition = TransitionFactory()
    with nothing_changed(ServiceTransition, transition), pytest.raises(PermissionDenied):
        services.transition_move(actor=person, transition=transition, to=Stage.BUILD)


# --- Stage gates -----------------------------------------------------------------------------


def test_leaving_design_needs_requirements_design_and_a_criterion(owner):
    transition = TransitionFactory(requirements="", design=" ")
    with nothing_changed(ServiceTransition, transition), pytest.raises(ValidationError) as info:
        services.transition_move(actor=owner, transition=transition, to=Stage.BUILD)
    message = info.value.message_dict["to"][0]
    assert "requirements are not written" in message and "design is not written" in message
    assert "no acceptance criterion" in message
    CriterionFactory(transition=transition)
    services.transition_update(
        actor=owner, transition=transition, data={"requirements": "R", "design": "D"}
    )
    moved = services.transition_move(actor=owner, transition=transition, to=Stage.BUILD)
    assert moved.stage == Stage.BUILD


def test_leaving_build_needs_every_activity_done(owner):
    transition = TransitionFactory(stage=Stage.BUILD)
    activity = ActivityFactory(transition=transition, title="Install servers")
    with pytest.raises(ValidationError) as info:
        services.transition_move(actor=owner, transition=transition, to=Stage.ACCEPTANCE)
    assert "plan activity not done: Install servers" in info.value.message_dict["to"][0]
    services.activity_done(actor=owner, activity=activity)
    moved = services.transition_move(actor=owner, transition=transition, to=Stage.ACCEPTANCE)
    assert moved.stage == Stage.ACCEPTANCE


def test_a_move_outside_the_table_names_the_allowed_ones(owner):
    transition = TransitionFactory()
    with pytest.raises(ValidationError) as info:
        services.transition_move(actor=owner, transition=transition, to=Stage.LIVE)
    assert "may move to: build, cancelled" in info.value.message_dict["to"][0]


def test_cancelling_needs_a_reason_and_is_final(owner):
    transition = TransitionFactory(stage=Stage.BUILD)
    with pytest.raises(ValidationError):
        services.transition_move(actor=owner, transition=transition, to=Stage.CANCELLED)
    cancelled = services.transition_move(
        actor=owner, transition=transition, to=Stage.CANCELLED, reason="Not funded"
    )
    assert cancelled.cancel_reason == "Not funded"
    with pytest.raises(ValidationError) as info:
        services.transition_move(actor=owner, transition=cancelled, to=Stage.DESIGN)
    assert "it is final" in info.value.message_dict["to"][0]


def test_a_stale_version_is_refused(owner):
    transition = TransitionFactory()
    with nothing_changed(ServiceTransition, transition), pytest.raises(StaleVersion):
        services.transition_update(
            actor=owner, transition=transition, data={"title": "New"}, version=9
        )


# --- Readiness and going live -----------------------------------------------------------------


def test_readiness_lists_everything_missing(owner):
    transition = TransitionFactory(stage=Stage.BUILD)
    CriterionFactory(transition=transition, number=1, description="Backups restore")
    draft = AgreementFactory(
        code="SLA-DRAFT", status=AgreementStatus.DRAFT, services=[transition.service]
    )
    item = CatalogueItemFactory(
        service=transition.service, name="Wiki space", is_active=False, fulfilment_team=None
    )
    change = _change(owner, ChangeStatus.SCHEDULED)
    transition.agreements.set([draft])
    transition.catalogue_items.set([item])
    transition.changes.set([change])
    missing = services.readiness(transition)
    assert missing == [
        "the transition is in build; it completes from acceptance",
        "acceptance criterion 1 is not verified (Backups restore)",
        f"{change.reference} is scheduled, not implemented",
        "SLA-DRAFT is draft, not approved",
        "catalogue item Wiki space has no fulfilment team",
        "no support team is named",
    ]


def test_a_ready_transition_takes_the_service_live_and_starts_early_life(owner):
    transition = ready_transition()
    assert services.readiness(transition) == []
    mark = last_event_id()
    moved = services.transition_move(actor=owner, transition=transition, to=Stage.LIVE)
    service = Service.objects.get(pk=transition.service_id)
    assert moved.stage == Stage.LIVE and moved.completed_at is not None
    assert service.status == ServiceStatus.LIVE and service.live_since == moved.completed_at
    kinds = [(e.object_type, e.action) for e in events_since(mark)]
    assert ("transitions.servicetransition", "transition") in kinds
    assert ("portfolio.service", "transition") in kinds


def test_going_live_publishes_the_catalogue_items_it_prepared(owner):
    transition = ready_transition()
    item = catalogue_item_create(
        actor=owner,
        service=transition.service,
        name="New wiki space",
        fulfilment_team=transition.support_team,
    )
    assert item.is_active is False  # prepared unpublished while the service is in the pipeline
    transition.catalogue_items.set([item])
    services.transition_move(actor=owner, transition=transition, to=Stage.LIVE)
    item.refresh_from_db()
    assert item.is_active is True


def test_a_pipeline_service_item_cannot_be_published_before_going_live(owner):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    item = CatalogueItemFactory(service=service, is_active=False)
    with pytest.raises(ValidationError) as info:
        catalogue_item_activate(actor=owner, item=item)
    assert "publishes them when it goes live" in info.value.message_dict["is_active"][0]


def test_the_portfolio_refuses_going_live_without_a_transition(owner):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    with nothing_changed(Service, service), pytest.raises(ValidationError) as info:
        service_transition(actor=owner, service=service, to_status="live")
    assert "only through a service transition" in info.value.message_dict["to"][0]


def test_the_portfolio_refuses_going_live_with_an_unverified_criterion(owner):
    transition = ready_transition()
    CriterionFactory(transition=transition, number=2, description="Help desk trained")
    with nothing_changed(Service, transition.service), pytest.raises(ValidationError) as info:
        service_transition(actor=owner, service=transition.service, to_status="live")
    message = info.value.message_dict["to"][0]
    assert f"{transition.reference} is not ready" in message
    assert "criterion 2 is not verified (Help desk trained)" in message
    assert ServiceTransition.objects.get(pk=transition.pk).stage == Stage.ACCEPTANCE


def test_the_system_door_is_gated_too():
    """The command line and jobs act as the system (no person): the gate still holds."""
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    TransitionFactory(service=service, stage=Stage.ACCEPTANCE)
    with nothing_changed(Service, service), pytest.raises(ValidationError):
        service_transition(actor=None, service=service, to_status="live")


def test_going_live_from_the_portfolio_completes_the_ready_transition(owner):
    transition = ready_transition()
    service_transition(actor=owner, service=transition.service, to_status="live")
    assert ServiceTransition.objects.get(pk=transition.pk).stage == Stage.LIVE


def test_a_change_transition_goes_live_without_moving_the_service(owner):
    transition = ready_transition(kind=TransitionKind.CHANGE)
    before = Service.objects.get(pk=transition.service_id).version
    moved = services.transition_move(actor=owner, transition=transition, to=Stage.LIVE)
    assert moved.stage == Stage.LIVE
    assert Service.objects.get(pk=transition.service_id).version == before


# --- Retirement ------------------------------------------------------------------------------


def test_retiring_a_live_service_needs_a_retirement_transition(owner):
    service = ServiceFactory(status=ServiceStatus.LIVE)
    with nothing_changed(Service, service), pytest.raises(ValidationError) as info:
        service_transition(actor=owner, service=service, to_status="retired")
    assert "can be retired only through a service transition" in info.value.message_dict["to"][0]


def test_retirement_with_active_agreements_or_open_dispositions_is_refused(owner):
    transition = ready_transition(kind=TransitionKind.RETIREMENT)
    listed = AgreementFactory(code="SLA-END", services=[transition.service])
    AgreementFactory(code="OLA-KEEP", kind=AgreementKind.OLA, services=[transition.service])
    transition.agreements.set([listed])
    DispositionFactory(transition=transition, item="Ticket history")
    missing = services.readiness(transition)
    assert "OLA-KEEP still covers" in missing[0] and "not listed on the transition" in missing[0]
    assert "SLA-END still covers" in missing[1] and "not listed" not in missing[1]
    assert missing[2] == "data disposition not done: Archive Ticket history"
    with nothing_changed(Service, transition.service), pytest.raises(ValidationError):
        services.transition_move(actor=owner, transition=transition, to=Stage.RETIRED)


def test_a_ready_retirement_retires_the_service(owner):
    transition = ready_transition(kind=TransitionKind.RETIREMENT)
    ended = AgreementFactory(status=AgreementStatus.TERMINATED, services=[transition.service])
    transition.agreements.set([ended])
    disposition = DispositionFactory(transition=transition)
    services.disposition_done(actor=owner, disposition=disposition, evidence="Archive ID 42")
    moved = services.transition_move(actor=owner, transition=transition, to=Stage.RETIRED)
    assert moved.stage == Stage.RETIRED
    assert Service.objects.get(pk=transition.service_id).status == ServiceStatus.RETIRED


def test_withdrawing_a_pipeline_service_cancels_its_transition(owner):
    transition = TransitionFactory(stage=Stage.BUILD)
    service_transition(actor=owner, service=transition.service, to_status="retired")
    transition.refresh_from_db()
    assert transition.stage == Stage.CANCELLED and "withdrawn" in transition.cancel_reason


def test_dispositions_belong_to_removals_and_transfers_name_the_recipient(owner):
    with pytest.raises(ValidationError):
        services.disposition_create(
            actor=owner, transition=TransitionFactory(), data={"item": "x", "action": "archive"}
        )
    retirement = TransitionFactory(kind=TransitionKind.TRANSFER_OUT)
    with pytest.raises(ValidationError) as info:
        services.disposition_create(
            actor=owner, transition=retirement, data={"item": "CMDB", "action": "transfer"}
        )
    assert "recipient" in info.value.message_dict


def test_a_disposition_names_only_a_component_of_the_service(owner):
    retirement = TransitionFactory(kind=TransitionKind.RETIREMENT)
    own = ConfigurationItemFactory(name="Ticket database")
    retirement.service.configuration_items.add(own)
    stranger = ConfigurationItemFactory(name="Payroll database")
    with nothing_changed(DataDisposition), pytest.raises(ValidationError) as info:
        services.disposition_create(
            actor=owner,
            transition=retirement,
            data={"item": "Payroll", "configuration_item": stranger, "action": "dispose"},
        )
    assert "Payroll database is not a configuration item of" in str(
        info.value.message_dict["configuration_item"]
    )
    made = services.disposition_create(
        actor=owner,
        transition=retirement,
        data={"item": "Tickets", "configuration_item": own, "action": "archive"},
    )
    assert made.configuration_item == own


# --- Criteria --------------------------------------------------------------------------------


def test_criteria_are_numbered_verified_with_evidence_and_withdrawn(owner):
    transition = TransitionFactory(stage=Stage.BUILD)
    first = services.criterion_create(
        actor=owner, transition=transition, description="A", verification="Test"
    )
    second = services.criterion_create(
        actor=owner, transition=transition, description="B", verification="Review"
    )
    assert (first.number, second.number) == (1, 2)
    with nothing_changed(AcceptanceCriterion, first), pytest.raises(ValidationError):
        services.criterion_verify(actor=owner, criterion=first, evidence="  ")
    verified = services.criterion_verify(actor=owner, criterion=first, evidence="Test run 7")
    assert verified.verified_by == owner and verified.evidence == "Test run 7"
    with pytest.raises(ValidationError):
        services.criterion_update(actor=owner, criterion=verified, data={"description": "A2"})
    with pytest.raises(ValidationError):
        services.criterion_delete(actor=owner, criterion=verified)
    withdrawn = services.criterion_unverify(actor=owner, criterion=verified)
    assert withdrawn.verified_at is None and withdrawn.evidence == ""


def test_criteria_are_not_verified_in_design(owner):
    criterion = CriterionFactory()
    with pytest.raises(ValidationError) as info:
        services.criterion_verify(actor=owner, criterion=criterion, evidence="x")
    assert "build or acceptance" in info.value.messages[0]


def test_criteria_of_a_live_transition_no_longer_change(owner):
    transition = ready_transition()
    services.transition_move(actor=owner, transition=transition, to=Stage.LIVE)
    criterion = transition.criteria.get()
    with pytest.raises(ValidationError):
        services.criterion_unverify(actor=owner, criterion=criterion)
    with pytest.raises(ValidationError):
        services.criterion_create(
            actor=owner, transition=transition, description="late", verification="x"
        )


# --- Early life support and the outcome ------------------------------------------------------


def test_early_life_counts_the_incidents_of_its_window(owner):
    transition = ready_transition()
    transition = services.transition_move(actor=owner, transition=transition, to=Stage.LIVE)
    start = transition.completed_at
    inside = make_incident(service=transition.service)
    late = make_incident(service=transition.service)
    before = make_incident(service=transition.service)
    other = make_incident()
    type(inside).objects.filter(pk=inside.pk).update(
        opened_at=start + dt.timedelta(days=3), priority="P2"
    )
    type(late).objects.filter(pk=late.pk).update(opened_at=start + dt.timedelta(days=31))
    type(before).objects.filter(pk=before.pk).update(opened_at=start - dt.timedelta(hours=1))
    type(other).objects.filter(pk=other.pk).update(opened_at=start + dt.timedelta(days=1))
    summary = services.early_life_summary(transition, timezone.now())
    assert summary["total"] == 1 and summary["P2"] == 1 and summary["running"] is True
    assert summary["ends"] == start + dt.timedelta(days=30)
    assert list(services.early_life_incidents(transition)) == [inside]


def test_closing_needs_the_outcome_report_and_the_end_of_early_life(owner):
    transition = ready_transition()
    transition = services.transition_move(actor=owner, transition=transition, to=Stage.LIVE)
    with pytest.raises(ValidationError) as info:
        services.transition_move(actor=owner, transition=transition, to=Stage.CLOSED)
    message = info.value.message_dict["to"][0]
    assert "what was achieved" in message and "early life support runs until" in message
    with pytest.raises(ValidationError):
        services.transition_update(actor=owner, transition=transition, data={"title": "late"})
    transition = services.transition_update(
        actor=owner,
        transition=transition,
        data={"outcome_achieved": "Live on time", "lessons_learned": "Train the desk earlier"},
    )
    later = transition.completed_at + dt.timedelta(days=30)
    closed = services.transition_move(
        actor=owner, transition=transition, to=Stage.CLOSED, raise_improvement=True, now=later
    )
    assert closed.stage == Stage.CLOSED and closed.closed_at == later
    improvement = Improvement.objects.get(pk=closed.improvement_id)
    assert improvement.source == "service_transition"
    assert improvement.source_reference == transition.reference
    assert improvement.description == "Train the desk earlier"


def _change(actor, status):
    return ChangeFactory(status=status)
