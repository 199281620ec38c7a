"""Rules of the configuration item services: permission, validation, audit, relationships."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import AuditAction, Role
from accord.core.models import AuditEvent
from accord.core.records import StaleVersion
from accord.portfolio.choices import CIRelationKind, CIStatus
from accord.portfolio.models import CIRelationship, CIType, ConfigurationItem
from accord.portfolio.services.ci import (
    ci_create,
    ci_delete,
    ci_relate,
    ci_type_create,
    ci_type_update,
    ci_unrelate,
    ci_update,
    validate_attributes,
)
from tests.base import ALL_ROLES, events_since, last_event_id, nothing_changed, person_for_role
from tests.factories import (
    CITypeFactory,
    ConfigurationItemFactory,
    OrganisationFactory,
    PersonFactory,
    provider,
)
from tests.portfolio.test_ci_helpers import CMDB_WRITERS, cmdb_manager, relate

# --- Attributes: pure validation, no database -----------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [{}, None, {"cpu": 4, "os": "Linux", "ha": True, "load": 0.25, "big": 2**62}],
)
def test_valid_attributes(value):
    assert validate_attributes(value) == (value or {})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2], "JSON object"),
        ("cpu=4", "JSON object"),
        ({"disk": {"size": 1}}, "not a list, an object or null"),
        ({"ips": ["10.0.0.1"]}, "not a list, an object or null"),
        ({"rack": None}, "not a list, an object or null"),
        ({"load": float("nan")}, "finite"),
        ({"load": float("inf")}, "finite"),
        ({"": 1}, "non-empty"),
        ({"  ": 1}, "non-empty"),
        ({"k" * 101: 1}, "longer than"),
        ({"note": "x" * 1001}, "longer than"),
        ({"n": 2**63}, "too large"),
        ({f"a{i}": i for i in range(101)}, "At most"),
    ],
)
def test_invalid_attributes(value, message):
    with pytest.raises(ValidationError) as caught:
        validate_attributes(value)
    assert message in " ".join(caught.value.message_dict["attributes"])


# --- Creating and changing CIs ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_cmdb_managers_create(role, customer_org):
    person = person_for_role(role, customer_org)
    create = lambda: ci_create(  # noqa: E731
        actor=person, name="web-01", ci_type=CITypeFactory(), organisation=customer_org
    )
    if role in CMDB_WRITERS:
        assert create().organisation == customer_org
    else:
        with nothing_changed(ConfigurationItem), pytest.raises(PermissionDenied):
            create()


@pytest.mark.django_db
def test_create_is_audited_with_every_field(customer_org):
    actor = cmdb_manager()
    mark = last_event_id()
    ci = ci_create(
        actor=actor,
        name="web-01",
        ci_type=CITypeFactory(),
        organisation=customer_org,
        attributes={"cpu": 2},
    )
    (event,) = events_since(mark)
    assert (event.action, event.actor_id, event.organisation_id) == (
        AuditAction.CREATE,
        actor.pk,
        customer_org.pk,
    )
    assert event.changes["name"] == [None, "web-01"]
    assert event.changes["attributes"] == [None, {"cpu": 2}]
    assert ci.version == 1


@pytest.mark.django_db
def test_names_are_unique_within_an_organisation(customer_org):
    ConfigurationItemFactory(organisation=customer_org, name="db")
    with nothing_changed(ConfigurationItem), pytest.raises(ValidationError) as caught:
        ci_create(actor=None, name="db", ci_type=CITypeFactory(), organisation=customer_org)
    assert "name" in caught.value.message_dict
    other = ConfigurationItemFactory(organisation=customer_org, name="db2")
    with nothing_changed(ConfigurationItem, other), pytest.raises(ValidationError):
        ci_update(actor=None, ci=other, data={"name": "db"})


@pytest.mark.django_db
def test_owner_must_be_active_and_of_the_organisation_or_the_provider(
    customer_org, other_customer_org
):
    ci_type = CITypeFactory()
    ok_local = PersonFactory(organisation=customer_org)
    ok_provider = PersonFactory(organisation=provider())
    for owner in (ok_local, ok_provider):
        ci_create(
            actor=None,
            name=f"ci-{owner.pk}",
            ci_type=ci_type,
            organisation=customer_org,
            owner=owner,
        )
    for owner in (
        PersonFactory(organisation=other_customer_org),
        PersonFactory(organisation=customer_org, is_active=False),
    ):
        with pytest.raises(ValidationError) as caught:
            ci_create(actor=None, name="x", ci_type=ci_type, organisation=customer_org, owner=owner)
        assert "owner" in caught.value.message_dict


@pytest.mark.django_db
def test_update_bumps_version_audits_the_change_and_refuses_stale(customer_org):
    ci = ConfigurationItemFactory(organisation=customer_org, status=CIStatus.IN_USE)
    actor = cmdb_manager()
    mark = last_event_id()
    updated = ci_update(
        actor=actor, ci=ci, data={"status": CIStatus.MAINTENANCE}, expected_version=1
    )
    assert updated.version == 2
    (event,) = events_since(mark)
    assert event.changes == {"status": ["in_use", "maintenance"]}
    with nothing_changed(ConfigurationItem, updated), pytest.raises(StaleVersion):
        ci_update(actor=actor, ci=updated, data={"status": CIStatus.RETIRED}, expected_version=1)


@pytest.mark.django_db
def test_update_without_change_writes_nothing(customer_org):
    ci = ConfigurationItemFactory(organisation=customer_org, name="same")
    with nothing_changed(ConfigurationItem, ci):
        assert ci_update(actor=None, ci=ci, data={"name": "same"}).version == 1


@pytest.mark.django_db
def test_update_refuses_unknown_fields_and_bad_attributes(customer_org):
    ci = ConfigurationItemFactory(organisation=customer_org)
    with nothing_changed(ConfigurationItem, ci):
        with pytest.raises(ValidationError) as caught:
            ci_update(actor=None, ci=ci, data={"version": 9})
        assert "version" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            ci_update(actor=None, ci=ci, data={"attributes": {"a": [1]}})
        assert "attributes" in caught.value.message_dict


@pytest.mark.django_db
def test_role_held_for_one_organisation_manages_only_its_cis(customer_org, other_customer_org):
    person = PersonFactory(organisation=provider())
    person.role_assignments.create(role=Role.CHANGE_MANAGER, organisation=customer_org)
    ci_type = CITypeFactory()
    ci_create(actor=person, name="mine", ci_type=ci_type, organisation=customer_org)
    with pytest.raises(PermissionDenied):
        ci_create(actor=person, name="theirs", ci_type=ci_type, organisation=other_customer_org)
    theirs = ConfigurationItemFactory(organisation=other_customer_org)
    with nothing_changed(ConfigurationItem, theirs), pytest.raises(PermissionDenied):
        ci_update(actor=person, ci=theirs, data={"name": "taken"})


@pytest.mark.django_db
def test_delete_removes_relationships_with_their_own_audit_events(customer_org):
    a, b, c = ConfigurationItemFactory.create_batch(3, organisation=customer_org)
    relate(a, CIRelationKind.RUNS_ON, b)
    relate(c, CIRelationKind.DEPENDS_ON, a)
    mark = last_event_id()
    ci_delete(actor=cmdb_manager(), ci=a)
    assert not ConfigurationItem.objects.filter(pk=a.pk).exists()
    assert CIRelationship.objects.count() == 0
    events = events_since(mark)
    assert [(e.action, e.object_type) for e in events] == [
        ("delete", "portfolio.cirelationship"),
        ("delete", "portfolio.cirelationship"),
        ("delete", "portfolio.configurationitem"),
    ]


# --- Relationships ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_relate_records_and_audits_with_the_source_organisation(customer_org):
    app = ConfigurationItemFactory(organisation=customer_org)
    server = ConfigurationItemFactory()
    mark = last_event_id()
    rel = ci_relate(actor=cmdb_manager(), source=app, kind=CIRelationKind.RUNS_ON, target=server)
    assert rel.organisation_id == customer_org.pk
    (event,) = events_since(mark)
    assert event.object_type == "portfolio.cirelationship"
    assert event.organisation_id == customer_org.pk
    assert event.changes["kind"] == [None, "runs_on"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "field"),
    [("self", "target"), ("duplicate", "target"), ("kind", "kind")],
)
def test_relate_refusals(case, field, customer_org):
    a, b = ConfigurationItemFactory.create_batch(2, organisation=customer_org)
    relate(a, CIRelationKind.RUNS_ON, b)
    kwargs = {"source": a, "kind": CIRelationKind.RUNS_ON, "target": b}
    if case == "self":
        kwargs["target"] = a
    elif case == "kind":
        kwargs["kind"] = "loves"
    with nothing_changed(CIRelationship), pytest.raises(ValidationError) as caught:
        ci_relate(actor=cmdb_manager(), **kwargs)
    assert field in caught.value.message_dict


@pytest.mark.django_db
def test_relate_needs_both_ends_visible(customer_org, other_customer_org):
    person = PersonFactory(organisation=customer_org, roles=[Role.ADMINISTRATOR])
    mine = ConfigurationItemFactory(organisation=customer_org)
    theirs = ConfigurationItemFactory(organisation=other_customer_org)
    with nothing_changed(CIRelationship), pytest.raises(ValidationError) as caught:
        ci_relate(actor=person, source=mine, kind=CIRelationKind.RUNS_ON, target=theirs)
    assert "target" in caught.value.message_dict
    with pytest.raises((ValidationError, PermissionDenied)):
        ci_relate(actor=person, source=theirs, kind=CIRelationKind.RUNS_ON, target=mine)
    assert CIRelationship.objects.count() == 0


@pytest.mark.django_db
def test_relate_and_unrelate_need_cmdb_manage(customer_org):
    a, b = ConfigurationItemFactory.create_batch(2, organisation=customer_org)
    reader = person_for_role(Role.AGENT, customer_org)
    with pytest.raises(PermissionDenied):
        ci_relate(actor=reader, source=a, kind=CIRelationKind.RUNS_ON, target=b)
    rel = relate(a, CIRelationKind.RUNS_ON, b)
    with nothing_changed(CIRelationship, rel), pytest.raises(PermissionDenied):
        ci_unrelate(actor=reader, relationship=rel)
    mark = last_event_id()
    ci_unrelate(actor=cmdb_manager(), relationship=rel)
    assert not CIRelationship.objects.filter(pk=rel.pk).exists()
    assert [e.action for e in events_since(mark)] == ["delete"]


# --- Types --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_types_are_data_created_and_renamed_through_services():
    actor = cmdb_manager()
    ci_type = ci_type_create(actor=actor, code="LB", name="Load balancer")
    with pytest.raises(ValidationError):
        ci_type_create(actor=actor, code="LB", name="Again")
    with pytest.raises(ValidationError):
        ci_type_create(actor=actor, code="lower case", name="Bad")
    mark = last_event_id()
    ci_type_update(actor=actor, ci_type=ci_type, data={"name": "Load balancer (L7)"})
    assert CIType.objects.get(pk=ci_type.pk).name == "Load balancer (L7)"
    (event,) = events_since(mark)
    assert event.changes == {"name": ["Load balancer", "Load balancer (L7)"]}
    CITypeFactory(code="FW")
    with pytest.raises(ValidationError):
        ci_type_update(actor=actor, ci_type=ci_type, data={"code": "FW"})
    with pytest.raises(PermissionDenied):
        ci_type_create(
            actor=PersonFactory(organisation=OrganisationFactory(), roles=[Role.CUSTOMER_USER]),
            code="X",
            name="X",
        )
    assert AuditEvent.objects.filter(object_type="portfolio.citype").count() == 2
