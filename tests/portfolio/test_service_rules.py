"""The rules of services, through the service functions: lifecycle, owners, dependencies,
links, customers and scope."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.core.choices import Role
from accord.core.records import StaleVersion
from accord.portfolio.choices import SERVICE_TRANSITIONS, ServiceStatus
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import service_customers, services_visible_to
from accord.portfolio.services.service import (
    clean_links,
    service_create,
    service_transition,
    service_update,
)
from accord.transitions.choices import TransitionKind
from tests.base import FAST_HASHERS, events_since, last_event_id, nothing_changed
from tests.factories import (
    AgreementFactory,
    CatalogueItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    service_owner,
)
from tests.portfolio.test_service_support import covered_service
from tests.transitions.factories import ready_transition


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


# --- Lifecycle -----------------------------------------------------------------------------------

PAIRS = list(itertools.product(ServiceStatus.values, repeat=2))


@pytest.mark.parametrize(("start", "to"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_transitions_follow_the_table(start, to, admin_person):
    service = ServiceFactory(status=start)
    if to in SERVICE_TRANSITIONS[start]:
        if start == ServiceStatus.LIVE or to == ServiceStatus.LIVE:
            # Going live and leaving live pass through a ready service transition.
            kind = TransitionKind.NEW if to == ServiceStatus.LIVE else TransitionKind.RETIREMENT
            ready_transition(kind=kind, service=service)
        mark = last_event_id()
        moved = service_transition(actor=admin_person, service=service, to_status=to)
        assert moved.status == to and moved.version == service.version + 1
        assert (moved.live_since is not None) == (to == ServiceStatus.LIVE)
        assert (moved.retired_at is not None) == (to == ServiceStatus.RETIRED)
        [event] = [e for e in events_since(mark) if e.object_type == "portfolio.service"]
        assert (event.action, event.changes["status"]) == ("transition", [start, to])
    else:
        with nothing_changed(Service, service), pytest.raises(ValidationError) as info:
            service_transition(actor=admin_person, service=service, to_status=to)
        assert "cannot become" in info.value.message_dict["to"][0]


def test_the_table_allows_pipeline_live_retired():
    assert SERVICE_TRANSITIONS[ServiceStatus.PIPELINE] == {"live", "retired"}
    assert SERVICE_TRANSITIONS[ServiceStatus.LIVE] == {"retired"}
    assert SERVICE_TRANSITIONS[ServiceStatus.RETIRED] == set()


def test_going_live_then_retiring_keeps_live_since(admin_person):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    ready_transition(service=service)
    live = service_transition(actor=admin_person, service=service, to_status="live")
    live.agreements.update(status=AgreementStatus.TERMINATED)
    ready_transition(kind=TransitionKind.RETIREMENT, service=live)
    retired = service_transition(actor=admin_person, service=live, to_status="retired")
    assert retired.live_since == live.live_since
    assert retired.retired_at >= live.live_since


def test_transition_needs_portfolio_manage(customer_org):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    agent = PersonFactory(roles=[Role.AGENT])
    with nothing_changed(Service, service), pytest.raises(PermissionDenied):
        service_transition(actor=agent, service=service, to_status="live")


def test_transition_with_stale_version_is_refused(admin_person):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    with nothing_changed(Service, service), pytest.raises(StaleVersion):
        service_transition(
            actor=admin_person, service=service, to_status="live", expected_version=9
        )


@pytest.mark.parametrize("status", [AgreementStatus.ACTIVE])
def test_retiring_with_an_active_agreement_is_refused_naming_them(status, admin_person):
    service = ServiceFactory()
    first = AgreementFactory(status=status, services=[service], code="SLA-ONE")
    second = AgreementFactory(status=status, kind=AgreementKind.OLA, services=[service])
    with nothing_changed(Service, service), pytest.raises(ValidationError) as info:
        service_transition(actor=admin_person, service=service, to_status="retired")
    message = info.value.message_dict["to"][0]
    assert str(first) in message and str(second) in message


@pytest.mark.parametrize(
    "status", [AgreementStatus.DRAFT, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED]
)
def test_retiring_is_allowed_when_no_agreement_is_active(status, admin_person):
    service = ServiceFactory()
    AgreementFactory(status=status, services=[service])
    ready_transition(kind=TransitionKind.RETIREMENT, service=service)
    moved = service_transition(actor=admin_person, service=service, to_status="retired")
    assert moved.status == ServiceStatus.RETIRED


def test_update_cannot_change_the_status(admin_person):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    with nothing_changed(Service, service), pytest.raises(ValidationError) as info:
        service_update(actor=admin_person, service=service, data={"status": "live"})
    assert "transition" in info.value.message_dict["status"][0]


# --- Owner, team, links --------------------------------------------------------------------------


def test_create_audits_every_field(admin_person):
    owner, dep = service_owner(), ServiceFactory()
    mark = last_event_id()
    service = service_create(
        actor=admin_person, code="MAIL", name="Mail", owner=owner, depends_on=[dep]
    )
    [event] = events_since(mark)
    assert event.action == "create" and event.object_type == "portfolio.service"
    assert event.changes["owner"] == [None, owner.pk]
    assert event.changes["depends_on"] == [None, [dep.pk]]
    assert service.status == ServiceStatus.PIPELINE and service.version == 1


@pytest.mark.parametrize("case", ["no-role", "inactive", "other-role"])
def test_owner_must_be_an_active_service_owner(case, admin_person):
    if case == "no-role":
        owner = PersonFactory()
    elif case == "inactive":
        owner = PersonFactory(roles=[Role.SERVICE_OWNER], is_active=False)
    else:
        owner = PersonFactory(roles=[Role.SERVICE_LEVEL_MANAGER])
    with nothing_changed(Service), pytest.raises(ValidationError) as info:
        service_create(actor=admin_person, code="MAIL", name="Mail", owner=owner)
    assert f"'{owner.username}' is not a service owner" in info.value.message_dict["owner"][0]


def test_owning_team_must_be_the_providers(admin_person, customer_org):
    team = TeamFactory(organisation=customer_org, code="CUSTOPS")
    with nothing_changed(Service), pytest.raises(ValidationError) as info:
        service_create(
            actor=admin_person, code="MAIL", name="Mail", owner=service_owner(), owning_team=team
        )
    assert "CUSTOPS" in info.value.message_dict["owning_team"][0]


def test_create_needs_portfolio_manage():
    person = PersonFactory(roles=[Role.AUDITOR])
    with nothing_changed(Service), pytest.raises(PermissionDenied):
        service_create(actor=person, code="MAIL", name="Mail", owner=service_owner())


@pytest.mark.parametrize(
    ("links", "fragment"),
    [
        ("text", "Give a list"),
        ([{"label": "x"}], "exactly a 'label' and a 'url'"),
        ([{"label": "x", "url": "https://a.test", "extra": 1}], "exactly"),
        ([{"label": " ", "url": "https://a.test"}], "the label must be"),
        ([{"label": "x" * 101, "url": "https://a.test"}], "the label must be"),
        ([{"label": "x", "url": "javascript:alert(1)"}], "not an http"),
        ([{"label": "x", "url": 42}], "not an http"),
        ([{"label": "x", "url": "https://a.test"}] * 21, "At most 20"),
    ],
)
def test_bad_links_are_refused(links, fragment):
    with pytest.raises(ValidationError) as info:
        clean_links(links)
    assert fragment in info.value.message_dict["links"][0]


def test_good_links_are_kept_trimmed():
    assert clean_links([{"label": " Docs ", "url": "https://docs.example.test/a?b=1"}]) == [
        {"label": "Docs", "url": "https://docs.example.test/a?b=1"}
    ]
    assert clean_links(None) == []


# --- Dependencies --------------------------------------------------------------------------------


def test_self_dependency_is_refused(admin_person):
    service = ServiceFactory()
    with nothing_changed(Service, service), pytest.raises(ValidationError) as info:
        service_update(actor=admin_person, service=service, data={"depends_on": [service]})
    assert "itself" in info.value.message_dict["depends_on"][0]


def test_a_cycle_is_refused_naming_the_path(admin_person):
    a, b, c = (ServiceFactory(code=code) for code in ("APP", "DB", "STORE"))
    service_update(actor=admin_person, service=a, data={"depends_on": [b]})
    service_update(actor=admin_person, service=b, data={"depends_on": [c]})
    c.refresh_from_db()
    with nothing_changed(Service, c), pytest.raises(ValidationError) as info:
        service_update(actor=admin_person, service=c, data={"depends_on": [a]})
    assert info.value.message_dict["depends_on"][0] == (
        "This dependency would create a cycle: STORE → APP → DB → STORE."
    )
    assert list(c.depends_on.all()) == []


def test_a_diamond_is_not_a_cycle(admin_person):
    top, left, right, bottom = ServiceFactory.create_batch(4)
    left.depends_on.set([bottom])
    right.depends_on.set([bottom])
    updated = service_update(actor=admin_person, service=top, data={"depends_on": [left, right]})
    assert set(updated.depends_on.all()) == {left, right}


def test_a_stored_cycle_elsewhere_does_not_hang_the_check(admin_person):
    a, b, c = ServiceFactory.create_batch(3)
    a.depends_on.set([b])
    b.depends_on.set([a])  # raw data with a cycle, written around the services
    updated = service_update(actor=admin_person, service=c, data={"depends_on": [a]})
    assert list(updated.depends_on.all()) == [a]


def test_changing_dependencies_is_audited_with_ids(admin_person):
    service, first, second = ServiceFactory.create_batch(3)
    service.depends_on.set([first])
    mark = last_event_id()
    service_update(actor=admin_person, service=service, data={"depends_on": [first, second]})
    [event] = events_since(mark)
    assert event.changes == {"depends_on": [[first.pk], sorted([first.pk, second.pk])]}


def test_update_with_stale_version_is_refused(admin_person):
    service = ServiceFactory()
    with nothing_changed(Service, service), pytest.raises(StaleVersion):
        service_update(actor=admin_person, service=service, data={"name": "X"}, expected_version=3)


# --- Customers and scope -------------------------------------------------------------------------


def test_customers_come_from_non_draft_slas_only(customer_org):
    service = covered_service(customer_org)
    AgreementFactory(status=AgreementStatus.DRAFT, services=[service])
    AgreementFactory(kind=AgreementKind.UC, services=[service])
    terminated = AgreementFactory(status=AgreementStatus.TERMINATED, services=[service])
    assert list(service_customers(service)) == sorted(
        [customer_org, terminated.organisation], key=lambda o: (o.name, o.pk)
    )


def test_customers_seen_by_a_customer_are_themselves_only(customer_org, other_customer_org):
    service = covered_service(customer_org)
    AgreementFactory(organisation=other_customer_org, services=[service])
    viewer = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_MANAGER])
    assert list(service_customers(service, viewer=viewer)) == [customer_org]


def test_a_customer_sees_covered_or_offered_services_never_anothers(
    customer_org, other_customer_org
):
    viewer = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    covered = covered_service(customer_org)
    offered_to_all = ServiceFactory()
    CatalogueItemFactory(service=offered_to_all)
    offered_to_them = ServiceFactory()
    item = CatalogueItemFactory(service=offered_to_them, audience="chosen")
    item.organisations.set([other_customer_org])
    theirs = covered_service(other_customer_org)
    pipeline = covered_service(customer_org, status=ServiceStatus.PIPELINE)
    draft = ServiceFactory()
    AgreementFactory(organisation=customer_org, status=AgreementStatus.DRAFT, services=[draft])
    visible = set(services_visible_to(viewer))
    assert visible == {covered, offered_to_all}
    assert not visible & {offered_to_them, theirs, pipeline, draft}


def test_a_supplier_person_sees_no_service(customer_org):
    supplier = OrganisationFactory(kind="supplier")
    covered_service(customer_org)
    person = PersonFactory(organisation=supplier)
    assert list(services_visible_to(person)) == []
