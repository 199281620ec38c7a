"""Catalogue services and scoping: the rules of an item, its audience, and who sees it.

``offered_item`` and ``SAMPLE_FORM`` are shared with the API, page and admin tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.records import StaleVersion
from accord.portfolio.choices import Audience, ServiceStatus
from accord.portfolio.models import CatalogueItem
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.portfolio.services import catalogue as services
from tests.base import (
    FAST_HASHERS,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
)
from tests.factories import (
    CatalogueItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    provider,
)

SAMPLE_FORM = [
    {"name": "cost_centre", "label": "Cost centre", "type": "text", "required": True,
     "max_length": 20},
    {"name": "model", "label": "Model", "type": "choice", "choices": ["13 inch", "15 inch"],
     "required": True},
    {"name": "quantity", "label": "How many", "type": "number", "min": 1, "max": 10},
    {"name": "needed_by", "label": "Needed by", "type": "date", "help": "A working day"},
    {"name": "extras", "label": "Extras", "type": "multichoice", "choices": ["Dock", "Bag"]},
    {"name": "notify", "label": "Also notify", "type": "email"},
]  # fmt: skip


def offered_item(organisation=None, **overrides):
    """A rich catalogue item of a live service: offered to ``organisation`` by name (to all
    customers without one), fulfilled by a provider team, approved by the customer manager."""
    fields = {
        "service": ServiceFactory(),
        "description": "A laptop with the standard image.",
        "audience": Audience.CHOSEN if organisation is not None else Audience.ALL,
        "form_schema": SAMPLE_FORM,
        "fulfilment_team": TeamFactory(organisation=provider()),
        "approval_required": True,
        "approver_role": Role.CUSTOMER_MANAGER,
        "target_fulfilment": dt.timedelta(hours=16),
    }
    fields.update(overrides)
    item = CatalogueItemFactory(**fields)
    if organisation is not None and item.audience == Audience.CHOSEN:
        item.organisations.set([organisation])
    return item


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def manager(provider_org):
    return PersonFactory(organisation=provider_org, roles=[Role.SERVICE_OWNER])


def _create(manager, **overrides):
    kwargs = {
        "actor": manager,
        "service": ServiceFactory(),
        "name": "New laptop",
        "form_schema": SAMPLE_FORM,
        "fulfilment_team": TeamFactory(organisation=provider()),
    }
    kwargs.update(overrides)
    return services.catalogue_item_create(**kwargs)


def _errors(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --- Publishing and its rules ---------------------------------------------------------------


def test_create_writes_the_item_and_one_audit_event(manager, customer_org):
    mark = last_event_id()
    item = _create(
        manager,
        audience=Audience.CHOSEN,
        organisations=[customer_org],
        approval_required=True,
        approver_role=Role.CUSTOMER_MANAGER,
        target_fulfilment=dt.timedelta(hours=8),
    )
    assert item.version == 1
    assert list(item.organisations.all()) == [customer_org]
    [event] = events_since(mark)
    assert (event.action, event.object_type, event.actor_id) == (
        AuditAction.CREATE,
        "portfolio.catalogueitem",
        manager.pk,
    )
    assert event.changes["organisations"] == [None, [customer_org.pk]]
    assert event.changes["approver_role"] == [None, "customer_manager"]


def test_an_item_never_belongs_to_a_retired_service(manager):
    service = ServiceFactory(status=ServiceStatus.RETIRED)
    with nothing_changed(CatalogueItem):
        errors = _errors(lambda: _create(manager, service=service))
    assert errors["service"] == [
        "Catalogue items belong to a live service (or one in the pipeline, prepared "
        f"unpublished); {service} is retired."
    ]


def test_an_item_of_a_pipeline_service_is_prepared_unpublished(manager):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    item = _create(manager, service=service)
    assert item.is_active is False
    with nothing_changed(CatalogueItem, item):
        errors = _errors(lambda: services.catalogue_item_activate(actor=manager, item=item))
    assert "publishes them when it goes live" in errors["is_active"][0]


def test_chosen_audience_needs_customer_organisations(manager, customer_org):
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER, name="Parts Inc")
    with nothing_changed(CatalogueItem):
        errors = _errors(lambda: _create(manager, audience=Audience.CHOSEN))
        assert errors == {
            "organisations": ["Choose at least one customer organisation for this item."]
        }
        errors = _errors(
            lambda: _create(
                manager, audience=Audience.CHOSEN, organisations=[customer_org, supplier]
            )
        )
        assert errors == {
            "organisations": ["Only customer organisations can be chosen, not: Parts Inc."]
        }
        errors = _errors(
            lambda: _create(manager, audience=Audience.CHOSEN, organisations=[provider()])
        )
        assert "Only customer organisations" in errors["organisations"][0]
        errors = _errors(lambda: _create(manager, organisations=[customer_org]))
        assert "names no organisations" in errors["organisations"][0]


def test_approver_role_only_and_always_with_approval(manager):
    with nothing_changed(CatalogueItem):
        assert _errors(lambda: _create(manager, approval_required=True)) == {
            "approver_role": ["Choose the role that approves requests for this item."]
        }
        assert _errors(lambda: _create(manager, approval_required=True, approver_role="pope")) == {
            "approver_role": ["'pope' is not a role of Accord."]
        }
        errors = _errors(lambda: _create(manager, approval_required=True, approver_role="auditor"))
        assert "changes nothing" in errors["approver_role"][0]
        assert _errors(lambda: _create(manager, approver_role=Role.SERVICE_OWNER)) == {
            "approver_role": ["Name an approving role only when approval is needed."]
        }


def test_fulfilment_team_is_an_active_provider_team(manager, customer_org):
    customer_team = TeamFactory(organisation=customer_org, name="Their desk")
    idle = TeamFactory(organisation=provider(), name="Idle", is_active=False)
    with nothing_changed(CatalogueItem):
        assert _errors(lambda: _create(manager, fulfilment_team=customer_team)) == {
            "fulfilment_team": ["Their desk is not a team of the service provider."]
        }
        assert _errors(lambda: _create(manager, fulfilment_team=idle)) == {
            "fulfilment_team": ["Idle is inactive."]
        }


@pytest.mark.parametrize(
    "target", [dt.timedelta(0), dt.timedelta(hours=-1), dt.timedelta(days=400)]
)
def test_target_fulfilment_is_positive_and_bounded(manager, target):
    with nothing_changed(CatalogueItem):
        errors = _errors(lambda: _create(manager, target_fulfilment=target))
    assert list(errors) == ["target_fulfilment"]


def test_form_definition_is_validated(manager):
    bad = [{"name": "a", "label": "A", "type": "text"}, {"name": "a", "label": "B", "type": "x"}]
    with nothing_changed(CatalogueItem):
        errors = _errors(lambda: _create(manager, form_schema=bad))
    assert errors == {
        "form_schema": [
            "Field 2 (\"a\"): the name 'a' is already used by field 1.",
            "Field 2 (\"a\"): the type 'x' is unknown (one of: text, textarea, number, date, "
            "boolean, choice, multichoice, email).",
        ]
    }


def test_every_broken_rule_is_reported_at_once(manager):
    errors = _errors(
        lambda: _create(
            manager,
            service=ServiceFactory(status=ServiceStatus.RETIRED),
            audience=Audience.CHOSEN,
            approval_required=True,
            form_schema="no",
        )
    )
    assert set(errors) == {"service", "organisations", "approver_role", "form_schema"}


def test_the_name_is_unique_within_a_service(manager):
    item = offered_item()
    with nothing_changed(CatalogueItem):
        errors = _errors(lambda: _create(manager, service=item.service, name=item.name))
    assert errors == {"name": [f"{item.service} already offers an item named '{item.name}'."]}
    # Another service may use the same name.
    assert _create(manager, name=item.name).pk


@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.CUSTOMER_MANAGER])
def test_people_without_catalogue_manage_cannot_publish(role, customer_org):
    person = person_for_role(role, customer_org)
    with nothing_changed(CatalogueItem), pytest.raises(PermissionDenied):
        _create(person)


def test_a_manager_role_held_outside_the_provider_does_not_manage(customer_org):
    stray = PersonFactory(organisation=customer_org, roles=[Role.ADMINISTRATOR])
    with nothing_changed(CatalogueItem), pytest.raises(PermissionDenied):
        _create(stray)


# --- Changing, retiring, activating ---------------------------------------------------------


def test_update_follows_audience_and_approval(manager, customer_org):
    item = offered_item(customer_org)
    mark = last_event_id()
    item = services.catalogue_item_update(
        actor=manager,
        item=item,
        data={"audience": Audience.ALL, "approval_required": False},
        expected_version=1,
    )
    assert (item.version, item.approver_role) == (2, "")
    assert list(item.organisations.all()) == []
    [event] = events_since(mark)
    assert event.changes == {
        "audience": ["chosen", "all"],
        "approval_required": [True, False],
        "approver_role": ["customer_manager", ""],
        "organisations": [[customer_org.pk], []],
    }


def test_update_refuses_a_contradiction_it_is_given(manager, customer_org):
    item = offered_item(customer_org)
    with nothing_changed(CatalogueItem, item):
        errors = _errors(
            lambda: services.catalogue_item_update(
                actor=manager,
                item=item,
                data={"approval_required": False, "approver_role": Role.AGENT},
            )
        )
    assert list(errors) == ["approver_role"]


def test_update_with_a_stale_version_is_refused(manager, customer_org):
    item = offered_item(customer_org)
    with nothing_changed(CatalogueItem, item), pytest.raises(StaleVersion):
        services.catalogue_item_update(
            actor=manager, item=item, data={"name": "Other"}, expected_version=7
        )


def test_update_refuses_unknown_fields(manager):
    item = offered_item()
    assert _errors(
        lambda: services.catalogue_item_update(actor=manager, item=item, data={"version": 9})
    ) == {"version": ["This field cannot be changed."]}


def test_moving_to_a_service_that_is_not_live_is_refused(manager):
    item = offered_item()
    pipeline = ServiceFactory(status=ServiceStatus.PIPELINE)
    errors = _errors(
        lambda: services.catalogue_item_update(actor=manager, item=item, data={"service": pipeline})
    )
    assert list(errors) == ["is_active"]  # an offered item cannot sit unpublished elsewhere


def test_an_item_of_a_retired_service_can_still_be_edited_and_retired(manager):
    item = offered_item()
    type(item.service).objects.filter(pk=item.service_id).update(status=ServiceStatus.RETIRED)
    item = CatalogueItem.objects.get(pk=item.pk)
    item = services.catalogue_item_update(actor=manager, item=item, data={"description": "Old"})
    assert item.version == 2
    item = services.catalogue_item_retire(actor=manager, item=item)
    assert not item.is_active
    # … but not offered again while its service is not live.
    item = CatalogueItem.objects.get(pk=item.pk)
    with nothing_changed(CatalogueItem, item):
        errors = _errors(lambda: services.catalogue_item_activate(actor=manager, item=item))
    assert "live service" in errors["is_active"][0]


def test_retire_and_activate_are_transitions(manager):
    item = offered_item()
    mark = last_event_id()
    item = services.catalogue_item_retire(actor=manager, item=item, expected_version=1)
    item = services.catalogue_item_activate(actor=manager, item=item, expected_version=2)
    assert (item.is_active, item.version) == (True, 3)
    assert [(e.action, e.changes) for e in events_since(mark)] == [
        (AuditAction.TRANSITION, {"is_active": [True, False]}),
        (AuditAction.TRANSITION, {"is_active": [False, True]}),
    ]


def test_retire_needs_catalogue_manage(customer_org):
    item = offered_item()
    with nothing_changed(CatalogueItem, item), pytest.raises(PermissionDenied):
        services.catalogue_item_retire(actor=person_for_role(Role.AGENT, customer_org), item=item)


# --- Who sees what ------------------------------------------------------------------------------


def _visible(person):
    return set(catalogue_items_visible_to(person).values_list("pk", flat=True))


def test_audience_all_customers_versus_chosen_organisations(customer_org, other_customer_org):
    for_all = offered_item()
    for_a = offered_item(customer_org)
    for_b = offered_item(other_customer_org)
    for_both = offered_item(customer_org)
    for_both.organisations.add(other_customer_org)
    a = person_for_role(Role.CUSTOMER_USER, customer_org)
    b = person_for_role(Role.CUSTOMER_USER, other_customer_org)
    assert _visible(a) == {for_all.pk, for_a.pk, for_both.pk}
    assert _visible(b) == {for_all.pk, for_b.pk, for_both.pk}
    # No item appears twice, however many organisations it is offered to.
    assert catalogue_items_visible_to(a).count() == 3


def test_suppliers_see_nothing(customer_org):
    offered_item()
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER)
    person = PersonFactory(organisation=supplier)
    assert _visible(person) == set()


def test_customers_do_not_see_inactive_items_or_items_of_services_not_live(customer_org):
    shown = offered_item()
    retired_item = offered_item(is_active=False)
    pipeline = offered_item(service=ServiceFactory(status=ServiceStatus.PIPELINE))
    retired_service = offered_item(service=ServiceFactory(status=ServiceStatus.RETIRED))
    customer = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    assert _visible(customer) == {shown.pk}
    staff = person_for_role(Role.AGENT, customer_org)
    assert _visible(staff) >= {shown.pk, retired_item.pk, pipeline.pk, retired_service.pk}


def test_auditors_see_every_item_and_anonymous_nothing(customer_org):
    from django.contrib.auth.models import AnonymousUser

    item = offered_item(other_customer_org := OrganisationFactory())
    assert other_customer_org.kind == OrganisationKind.CUSTOMER
    assert item.pk in _visible(person_for_role(Role.AUDITOR, customer_org))
    assert _visible(AnonymousUser()) == set()
    assert _visible(PersonFactory(organisation=customer_org, is_active=False)) == set()
