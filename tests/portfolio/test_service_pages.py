"""Pages of services: the portfolio list, the service page, forms and lifecycle buttons."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from accord.agreements.choices import AgreementStatus
from accord.core.choices import Door, Role
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.transitions.choices import TransitionKind
from tests.base import (
    ALL_ROLES,
    FAST_HASHERS,
    FORBIDDEN_TEXT,
    STALE_TEXT,
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    RecordPageTests,
    assert_form_error,
    events_since,
    last_event_id,
    nothing_changed,
    outsider,
    person_for_role,
    roles_with,
)
from tests.factories import (
    AgreementFactory,
    CatalogueItemFactory,
    ConfigurationItemFactory,
    ServiceFactory,
    service_owner,
)
from tests.portfolio.test_service_support import covered_service, rich_service
from tests.transitions.factories import ready_transition

WRITERS = roles_with("portfolio.manage")


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


class TestServiceListPage(ListPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return "/services/"

    def make_object(self, organisation):
        return covered_service(organisation, name="Mail & <Calendar>")

    def make_rows(self, organisation, n):
        return [rich_service(organisation) for _ in range(n)]

    def shows(self, obj):
        return [obj.code, obj.name, "Live"]


def test_list_page_queries_for_a_customer_do_not_grow(client, customer_org):
    from tests.base import assert_constant_queries

    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))

    def call():
        assert client.get("/services/").status_code == 200

    assert_constant_queries(call, lambda n: [rich_service(customer_org) for _ in range(n)])


def test_list_page_filters_and_badge_colours(client, admin_person):
    live = ServiceFactory(status=ServiceStatus.LIVE, criticality="critical", name="Payroll")
    pipeline = ServiceFactory(status=ServiceStatus.PIPELINE, name="Planned thing")
    client.force_login(admin_person)
    content = client.get("/services/", {"status": "live"}).content.decode()
    assert live.name in content and pipeline.name not in content
    assert 'class="badge badge-green" data-status="live"' in content
    assert 'class="badge badge-red" data-criticality="critical"' in content
    content = client.get("/services/", {"owner": pipeline.owner_id}).content.decode()
    assert pipeline.name in content and live.name not in content
    content = client.get("/services/", {"criticality": "critical"}).content.decode()
    assert live.name in content and pipeline.name not in content


def test_customer_list_shows_only_their_services(client, customer_org, other_customer_org):
    mine = covered_service(customer_org, name="Mine service")
    theirs = covered_service(other_customer_org, name="Theirs service")
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    content = client.get("/services/").content.decode()
    assert mine.name in content
    assert theirs.name not in content


class TestServiceDetailPage(RecordPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return f"/services/{obj.pk}/"

    def make_object(self, organisation):
        service = covered_service(organisation, name="Mail <b>")
        upstream = covered_service(organisation, name="Network core")
        downstream = covered_service(organisation, name="Workplace")
        service.depends_on.set([upstream])
        downstream.depends_on.set([service])
        offering = CatalogueItemFactory(service=service, name="New mailbox", audience="chosen")
        offering.organisations.set([organisation])
        return service

    def shows(self, obj):
        agreement = obj.agreements.get()
        return [
            obj.code,
            obj.name,
            "Network core",
            "Workplace",
            agreement.code,
            agreement.organisation.name,
            "New mailbox",
        ]


def test_service_page_draws_dependencies_as_svg(client, admin_person):
    service = ServiceFactory(name="Mail")
    upstream = ServiceFactory(name="DNS <core>")
    service.depends_on.set([upstream])
    client.force_login(admin_person)
    content = client.get(f"/services/{service.pk}/").content.decode()
    svg = re.search(r"<svg.*?</svg>", content, re.S).group(0)
    assert "DNS &lt;core&gt;" in svg
    assert "<core>" not in svg
    assert f"/services/{upstream.pk}/" in svg


def test_service_page_hides_what_a_customer_may_not_see(client, customer_org, other_customer_org):
    service = covered_service(customer_org)
    hidden = ServiceFactory(status=ServiceStatus.PIPELINE, name="Secret project")
    service.depends_on.set([hidden])
    other_sla = AgreementFactory(organisation=other_customer_org, services=[service])
    mine_ci = ConfigurationItemFactory(organisation=customer_org, name="our-printer")
    their_ci = ConfigurationItemFactory(organisation=other_customer_org, name="their-server")
    service.configuration_items.set([mine_ci, their_ci])
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    content = client.get(f"/services/{service.pk}/").content.decode()
    assert customer_org.name in content
    for secret in ("Secret project", other_sla.code, other_customer_org.name, "their-server"):
        assert secret not in content
    assert "our-printer" in content
    assert 'data-testid="transitions"' not in content


SERVICE_INVALID = [
    Invalid("code", {"code": "two words"}),
    Invalid("name", {"name": ""}),
    Invalid("owner", {"owner": "987654321"}, "unknown-owner"),
    Invalid("criticality", {"criticality": "extreme"}),
    Invalid("links", {"links": "no separator here"}, "links-without-separator"),
    Invalid("links", {"links": "Docs | javascript:alert(1)"}, "script-link"),
    Invalid("next_review", {"next_review": "soon"}),
    Invalid("depends_on", {"depends_on": ["987654321"]}, "unknown-dependency"),
    Invalid("version", {"version": "abc"}, "tampered-version"),
]


def _form_data(service=None, **overrides):
    data = {
        "code": service.code if service else "NEWSVC",
        "name": "Renamed service" if service else "New service",
        "summary": "Sends and receives mail",
        "description": "",
        "owner": service.owner_id if service else service_owner().pk,
        "criticality": "high",
        "links": "Runbook | https://wiki.example.test/mail",
        "next_review": "2027-06-30",
    }
    if service is not None:
        data["version"] = service.version
    return {**data, **overrides}


class TestServiceEditPage(FormPageTests):
    model = Service
    page_roles = WRITERS
    invalid_form = SERVICE_INVALID

    def url(self, obj):
        return f"/services/{obj.pk}/edit/"

    def make_object(self, organisation):
        return covered_service(organisation)

    def shows(self, obj):
        return [obj.code, obj.name]

    def form_data(self, obj):
        return _form_data(obj)


class TestServiceCreatePage(CreatePageTests):
    model = Service
    page_roles = WRITERS
    create_url = "/services/new/"
    invalid_form = SERVICE_INVALID[:-1]

    def form_data(self, organisation):
        return _form_data()


def test_edit_form_refuses_a_cycle_with_the_path(client, admin_person):
    a, b = ServiceFactory(code="NET"), ServiceFactory(code="DNS")
    b.depends_on.set([a])
    client.force_login(admin_person)
    data = _form_data(a, depends_on=[str(b.pk)])
    with nothing_changed(Service, a):
        response = client.post(f"/services/{a.pk}/edit/", data)
    assert_form_error(response, "depends_on")
    assert escape("NET → DNS → NET") in response.content.decode()


def test_edit_form_saves_links_dependencies_and_cis(client, admin_person):
    service, other = ServiceFactory(), ServiceFactory()
    ci = ConfigurationItemFactory()
    client.force_login(admin_person)
    data = _form_data(service, depends_on=[str(other.pk)], configuration_items=[str(ci.pk)])
    response = client.post(f"/services/{service.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    service.refresh_from_db()
    assert service.links == [{"label": "Runbook", "url": "https://wiki.example.test/mail"}]
    assert list(service.depends_on.all()) == [other]
    assert list(service.configuration_items.all()) == [ci]
    page = client.get(f"/services/{service.pk}/edit/").content.decode()
    assert "Runbook | https://wiki.example.test/mail" in page


# --- Lifecycle buttons ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_transition_button_by_role(role, client, customer_org):
    service = covered_service(customer_org, status=ServiceStatus.LIVE)
    service.agreements.update(status=AgreementStatus.EXPIRED)
    ready_transition(kind=TransitionKind.RETIREMENT, service=service)
    person = person_for_role(role, customer_org)
    client.force_login(person)
    page = client.get(f"/services/{service.pk}/").content.decode()
    data = {"to": "retired", "version": service.version}
    if role not in WRITERS:
        assert "Retire</button>" not in page
        with nothing_changed(Service, service):
            response = client.post(f"/services/{service.pk}/transition/", data)
        assert response.status_code == 403
        assert FORBIDDEN_TEXT in response.content.decode()
        return
    assert "Retire</button>" in page
    mark = last_event_id()
    response = client.post(f"/services/{service.pk}/transition/", data)
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.status == ServiceStatus.RETIRED and service.retired_at is not None
    events = [e for e in events_since(mark) if e.object_type == "portfolio.service"]
    assert [(e.action, e.door, e.actor_id) for e in events] == [("transition", Door.UI, person.pk)]
    assert "now Retired" in client.get(response["Location"]).content.decode()


def test_transition_button_refused_under_active_agreement(client, admin_person, customer_org):
    service = covered_service(customer_org)
    agreement = service.agreements.get()
    client.force_login(admin_person)
    with nothing_changed(Service, service):
        response = client.post(
            f"/services/{service.pk}/transition/", {"to": "retired", "version": service.version}
        )
    assert response.status_code == 400
    content = response.content.decode()
    assert "cannot be retired" in content and agreement.code in content


def test_transition_button_with_stale_version(client, admin_person):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    Service.objects.filter(pk=service.pk).update(version=5)
    client.force_login(admin_person)
    with nothing_changed(Service, service):
        response = client.post(f"/services/{service.pk}/transition/", {"to": "live", "version": 1})
    assert response.status_code == 400
    assert STALE_TEXT in response.content.decode()


def test_transition_by_other_organisation_is_404(client, customer_org, other_customer_org):
    service = covered_service(customer_org)
    client.force_login(outsider(Role.ADMINISTRATOR, other_customer_org))
    with nothing_changed(Service, service):
        response = client.post(
            f"/services/{service.pk}/transition/", {"to": "retired", "version": 1}
        )
    assert response.status_code == 404


def test_pipeline_service_offers_go_live_and_retire(client, admin_person):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    client.force_login(admin_person)
    page = client.get(f"/services/{service.pk}/").content.decode()
    assert "Go live</button>" in page and "Retire</button>" in page
    retired = ServiceFactory(status=ServiceStatus.RETIRED)
    page = client.get(f"/services/{retired.pk}/").content.decode()
    assert "Go live</button>" not in page and "Retire</button>" not in page
