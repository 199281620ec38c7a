"""Pages of configuration items: list, detail, forms, relationships, impact, import / export,
and the admin site, through the generic page bases plus their own rules."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from accord.core.choices import Door, Role
from accord.portfolio.choices import CIRelationKind
from accord.portfolio.models import CIRelationship, CIType, ConfigurationItem
from tests.base import (
    ALL_ROLES,
    FAST_HASHERS,
    FORBIDDEN_TEXT,
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    PageTests,
    RecordPageTests,
    assert_form_error,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
)
from tests.factories import (
    AgreementFactory,
    CITypeFactory,
    ConfigurationItemFactory,
    PersonFactory,
    ServiceFactory,
    provider,
)
from tests.portfolio.test_ci_helpers import CMDB_WRITERS, cmdb_manager, relate, rich_ci


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


class TestCIListPage(ListPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return "/configuration-items/"

    def make_object(self, organisation):
        return rich_ci(organisation, name="mail-gateway")

    def make_rows(self, organisation, n):
        return [rich_ci(organisation) for _ in range(n)]

    def shows(self, obj):
        return [obj.name, obj.ci_type.name, obj.organisation.name, "In use"]


def test_list_is_scoped_and_filtered(client, customer_org, other_customer_org):
    ConfigurationItemFactory(organisation=customer_org, name="mine-db", status="retired")
    ConfigurationItemFactory(organisation=customer_org, name="mine-web")
    ConfigurationItemFactory(organisation=other_customer_org, name="their-db")
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    content = client.get("/configuration-items/").content.decode()
    assert "mine-db" in content and "mine-web" in content
    assert "their-db" not in content
    # The organisation filter offers only organisations the person may see.
    assert "Customer B" not in content
    content = client.get("/configuration-items/", {"status": "retired"}).content.decode()
    assert "mine-db" in content and "mine-web" not in content
    # Customers do not get the import and create buttons.
    assert "Import CSV" not in content and "New CI" not in content


class TestCIDetailPage(RecordPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return f"/configuration-items/{obj.pk}/"

    def make_object(self, organisation):
        ci = ConfigurationItemFactory(
            organisation=organisation, name="erp-app", attributes={"vendor": "Odoo", "cpu": 4}
        )
        relate(
            ci,
            CIRelationKind.RUNS_ON,
            ConfigurationItemFactory(organisation=organisation, name="erp-vm"),
        )
        relate(
            ConfigurationItemFactory(organisation=organisation, name="erp-portal"),
            CIRelationKind.DEPENDS_ON,
            ci,
        )
        return ci

    def shows(self, obj):
        return [obj.name, "Odoo", "vendor", "erp-vm", "erp-portal", "runs on", "depends on"]


def test_detail_shows_services_impact_and_history(client, customer_org):
    ci = ConfigurationItemFactory(organisation=customer_org, name="db-01")
    app = ConfigurationItemFactory(organisation=customer_org, name="erp-app")
    relate(app, CIRelationKind.DEPENDS_ON, ci)
    service = ServiceFactory(code="ERP", name="ERP")
    service.configuration_items.add(app)
    AgreementFactory(organisation=customer_org, services=[service])
    manager = cmdb_manager()
    from accord.portfolio.services.ci import ci_update

    ci_update(actor=manager, ci=ci, data={"description": "Primary database"})
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    response = client.get(f"/configuration-items/{ci.pk}/")
    content = response.content.decode()
    summary = content[content.index('data-testid="ci-impact-summary"') :]
    assert "ERP" in summary and "Customer A" in summary
    assert "Primary database" in content
    impact = response.context["impact"]
    assert [row["ci"].pk for row in impact.cis] == [app.pk]
    # History: the update event (visible to the customer manager for their organisation).
    assert "description" in content[content.index("<h2>History</h2>") :]


def test_detail_relationship_forms_only_for_managers(client, customer_org):
    ci = ConfigurationItemFactory(organisation=customer_org)
    client.force_login(person_for_role(Role.AGENT, customer_org))
    assert "Add relationship" not in client.get(f"/configuration-items/{ci.pk}/").content.decode()
    client.force_login(cmdb_manager())
    assert "Add relationship" in client.get(f"/configuration-items/{ci.pk}/").content.decode()


# --- Forms --------------------------------------------------------------------------------------

CI_INVALID = [
    Invalid("name", {"name": ""}),
    Invalid("ci_type", {"ci_type": "987654321"}, "unknown-type"),
    Invalid("status", {"status": "exploded"}),
    Invalid("organisation", {"organisation": "987654321"}, "unknown-organisation"),
    Invalid("owner", {"owner": "987654321"}, "unknown-owner"),
    Invalid("attributes", {"attributes": "{not json"}, "bad-json"),
    Invalid("attributes", {"attributes": '{"disk": {"size": 1}}'}, "nested-attributes"),
    Invalid("attributes", {"attributes": "[1, 2]"}, "list-attributes"),
    Invalid("last_verified", {"last_verified": "someday"}),
]


class TestCIEditPage(FormPageTests):
    model = ConfigurationItem
    page_roles = CMDB_WRITERS
    outsider_role = Role.ADMINISTRATOR
    invalid_form = [
        *CI_INVALID,
        Invalid("name", {"name": "taken"}, "duplicate-name"),
        Invalid("version", {"version": "abc"}, "tampered-version"),
    ]

    def url(self, obj):
        return f"/configuration-items/{obj.pk}/edit/"

    def make_object(self, organisation):
        ConfigurationItemFactory(organisation=organisation, name="taken")
        return ConfigurationItemFactory(organisation=organisation, attributes={"cpu": 2})

    def shows(self, obj):
        return [obj.name, "cpu"]

    def form_data(self, obj):
        return {
            "name": "renamed",
            "ci_type": obj.ci_type_id,
            "status": "maintenance",
            "organisation": obj.organisation_id,
            "owner": "",
            "description": "Now in rack 4",
            "attributes": '{"cpu": 4, "rack": "R4"}',
            "last_verified": "2026-02-01",
            "version": obj.version,
        }


class TestCICreatePage(CreatePageTests):
    model = ConfigurationItem
    page_roles = CMDB_WRITERS
    create_url = "/configuration-items/new/"
    invalid_form = CI_INVALID

    def form_data(self, organisation):
        return {
            "name": "new-ci",
            "ci_type": CITypeFactory().pk,
            "status": "planned",
            "organisation": organisation.pk,
            "owner": PersonFactory(organisation=organisation).pk,
            "attributes": "",
        }


def test_create_form_saves_attributes(client, customer_org):
    client.force_login(cmdb_manager())
    data = TestCICreatePage().form_data(customer_org)
    data["attributes"] = '{"cpu": 4, "ha": true, "os": "Linux"}'
    response = client.post("/configuration-items/new/", data)
    assert response.status_code == 302
    ci = ConfigurationItem.objects.get(name="new-ci")
    assert ci.attributes == {"cpu": 4, "ha": True, "os": "Linux"}


# --- Relationships from the CI page -------------------------------------------------------------


def relate_url(ci):
    return f"/configuration-items/{ci.pk}/relationships/"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_relate_on_the_page_by_role(role, client, customer_org):
    ci, other = ConfigurationItemFactory.create_batch(2, organisation=customer_org)
    person = person_for_role(role, customer_org)
    client.force_login(person)
    data = {"direction": "in", "kind": "runs_on", "other": other.pk}
    if role not in CMDB_WRITERS:
        with nothing_changed(CIRelationship):
            response = client.post(relate_url(ci), data)
        assert response.status_code == 403
        assert FORBIDDEN_TEXT in response.content.decode()
        return
    mark = last_event_id()
    response = client.post(relate_url(ci), data)
    assert response.status_code == 302
    rel = CIRelationship.objects.get()
    assert (rel.source, rel.kind, rel.target) == (other, "runs_on", ci)
    assert [(e.action, e.door, e.actor_id) for e in events_since(mark)] == [
        ("create", Door.UI, person.pk)
    ]


def test_relate_on_the_page_refusals_show_on_the_form(client, customer_org):
    ci, other = ConfigurationItemFactory.create_batch(2, organisation=customer_org)
    relate(ci, CIRelationKind.RUNS_ON, other)
    client.force_login(cmdb_manager())
    with nothing_changed(CIRelationship):
        response = client.post(
            relate_url(ci), {"direction": "out", "kind": "runs_on", "other": other.pk}
        )
    assert_form_error(response, "other", form_name="relate_form")
    with nothing_changed(CIRelationship):
        response = client.post(relate_url(ci), {"direction": "out", "kind": "x", "other": ""})
    assert_form_error(response, "kind", form_name="relate_form")


def test_relate_with_an_unseen_ci_is_refused(client, customer_org, other_customer_org):
    person = PersonFactory(organisation=customer_org, roles=[Role.ADMINISTRATOR])
    mine = ConfigurationItemFactory(organisation=customer_org)
    theirs = ConfigurationItemFactory(organisation=other_customer_org)
    client.force_login(person)
    with nothing_changed(CIRelationship):
        response = client.post(
            relate_url(mine), {"direction": "out", "kind": "runs_on", "other": theirs.pk}
        )
    assert_form_error(response, "other", form_name="relate_form")
    with nothing_changed(CIRelationship):
        response = client.post(
            relate_url(theirs), {"direction": "out", "kind": "runs_on", "other": mine.pk}
        )
    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.CHANGE_MANAGER, Role.AGENT, Role.CUSTOMER_USER])
def test_unrelate_on_the_page(role, client, customer_org):
    ci, other = ConfigurationItemFactory.create_batch(2, organisation=customer_org)
    rel = relate(ci, CIRelationKind.CONNECTS_TO, other)
    client.force_login(person_for_role(role, customer_org))
    url = f"/configuration-items/{other.pk}/relationships/{rel.pk}/delete/"
    if role in CMDB_WRITERS:
        assert client.post(url).status_code == 302
        assert not CIRelationship.objects.filter(pk=rel.pk).exists()
    else:
        with nothing_changed(CIRelationship, rel):
            assert client.post(url).status_code == 403


def test_unrelate_of_another_organisations_relationship_is_404(
    client, customer_org, other_customer_org
):
    a, b = ConfigurationItemFactory.create_batch(2, organisation=customer_org)
    rel = relate(a, CIRelationKind.RUNS_ON, b)
    client.force_login(PersonFactory(organisation=other_customer_org, roles=[Role.ADMINISTRATOR]))
    with nothing_changed(CIRelationship, rel):
        response = client.post(
            f"/configuration-items/{rel.source_id}/relationships/{rel.pk}/delete/"
        )
    assert response.status_code == 404


# --- Impact page --------------------------------------------------------------------------------


class TestCIImpactPage(RecordPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return f"/configuration-items/{obj.pk}/impact/"

    def make_object(self, organisation):
        ci = ConfigurationItemFactory(organisation=organisation, name="core-db")
        app = ConfigurationItemFactory(organisation=organisation, name="billing-app")
        relate(app, CIRelationKind.DEPENDS_ON, ci)
        part = ConfigurationItemFactory(organisation=organisation, name="db-cluster")
        relate(ci, CIRelationKind.PART_OF, part)
        return ci

    def shows(self, obj):
        return ["If core-db fails", "billing-app", "db-cluster", "depends on", "has as part"]


def test_impact_page_queries_do_not_grow_with_the_graph(client, customer_org):
    from tests.base import assert_constant_queries

    origin = ConfigurationItemFactory(organisation=customer_org)
    client.force_login(person_for_role(Role.ADMINISTRATOR, customer_org))
    tip = [origin]

    def grow(n):
        for _ in range(n):
            ci = rich_ci(customer_org)
            relate(ci, CIRelationKind.RUNS_ON, tip[0])
            tip[0] = ci
            AgreementFactory(services=[ci.services.get()])

    def call():
        assert client.get(f"/configuration-items/{origin.pk}/impact/").status_code == 200

    assert_constant_queries(call, grow)


def test_detail_page_queries_do_not_grow_with_relationships(client, customer_org):
    from tests.base import assert_constant_queries

    origin = ConfigurationItemFactory(organisation=customer_org)
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))

    def grow(n):
        for _ in range(n):
            relate(rich_ci(customer_org), CIRelationKind.DEPENDS_ON, origin)
            relate(origin, CIRelationKind.CONNECTS_TO, rich_ci(customer_org))

    def call():
        assert client.get(f"/configuration-items/{origin.pk}/").status_code == 200

    assert_constant_queries(call, grow)


# --- Import and export pages --------------------------------------------------------------------


class TestCIImportPage(PageTests):
    page_roles = CMDB_WRITERS

    def url(self, obj):
        return "/configuration-items/import/"

    def shows(self, obj):
        return ["Import configuration items", "row 1 is the header"]


def _upload(text):
    return SimpleUploadedFile("cis.csv", text.encode(), content_type="text/csv")


def test_import_page_creates_and_redirects(client, customer_org):
    CITypeFactory(code="SERVER")
    person = cmdb_manager()
    client.force_login(person)
    mark = last_event_id()
    response = client.post(
        "/configuration-items/import/",
        {"file": _upload("name,type,organisation\nweb-01,SERVER,CUST-A\n")},
    )
    assert response.status_code == 302
    assert ConfigurationItem.objects.filter(name="web-01", organisation=customer_org).exists()
    assert [(e.door, e.actor_id) for e in events_since(mark)] == [(Door.UI, person.pk)]
    assert "Imported: 1 created" in client.get(response["Location"]).content.decode()


def test_import_page_lists_bad_rows_and_imports_nothing(client, customer_org):
    CITypeFactory(code="SERVER")
    client.force_login(cmdb_manager())
    text = "name,type,organisation\nok,SERVER,CUST-A\nbad,SRV,CUST-A\nworse,SERVER,NOPE\n"
    with nothing_changed(ConfigurationItem):
        response = client.post("/configuration-items/import/", {"file": _upload(text)})
    assert_form_error(response, "file")
    content = response.content.decode()
    assert escape("row 3: unknown type 'SRV'") in content
    assert escape("row 4: unknown organisation 'NOPE'") in content


def test_import_page_dry_run(client, customer_org):
    CITypeFactory(code="SERVER")
    client.force_login(cmdb_manager())
    with nothing_changed(ConfigurationItem):
        response = client.post(
            "/configuration-items/import/",
            {"file": _upload("name,type,organisation\nok,SERVER,CUST-A\n"), "dry_run": "on"},
        )
    assert response.status_code == 200
    assert "Checked, nothing saved: 1 created" in response.content.decode()


def test_import_page_post_by_a_non_manager_is_403(client, customer_org):
    CITypeFactory(code="SERVER")
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    with nothing_changed(ConfigurationItem):
        response = client.post(
            "/configuration-items/import/",
            {"file": _upload("name,type,organisation\nok,SERVER,CUST-A\n")},
        )
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.CUSTOMER_USER, Role.AGENT, Role.ADMINISTRATOR])
def test_export_page_is_scoped_and_filtered(role, client, customer_org, other_customer_org):
    ConfigurationItemFactory(organisation=customer_org, name="mine", status="retired")
    ConfigurationItemFactory(organisation=customer_org, name="mine-2")
    ConfigurationItemFactory(organisation=other_customer_org, name="theirs")
    client.force_login(person_for_role(role, customer_org))
    response = client.get("/configuration-items/export/", {"organisation": customer_org.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["name"] for r in rows] == ["mine", "mine-2"]
    response = client.get("/configuration-items/export/")
    text = b"".join(response.streaming_content).decode()
    names = [r["name"] for r in csv.DictReader(io.StringIO(text))]
    assert ("theirs" in names) is (role != Role.CUSTOMER_USER)


def test_export_page_anonymous_is_redirected(client):
    response = client.get("/configuration-items/export/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- Admin --------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, customer_org):
    person = PersonFactory(
        organisation=provider(), is_staff=True, is_superuser=True, roles=[Role.ADMINISTRATOR]
    )
    client.force_login(person)
    client.person = person
    return client


def test_admin_saves_cis_through_the_services(admin_client, customer_org):
    ci_type = CITypeFactory()
    mark = last_event_id()
    response = admin_client.post(
        "/admin/portfolio/configurationitem/add/",
        {
            "name": "admin-ci",
            "ci_type": ci_type.pk,
            "status": "in_use",
            "organisation": customer_org.pk,
            "owner": "",
            "description": "",
            "attributes": '{"cpu": 2}',
            "last_verified": "",
            "outgoing-TOTAL_FORMS": "0",
            "outgoing-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    ci = ConfigurationItem.objects.get(name="admin-ci")
    assert [(e.action, e.door, e.actor_id) for e in events_since(mark)] == [
        ("create", Door.ADMIN, admin_client.person.pk)
    ]
    mark = last_event_id()
    response = admin_client.post(
        f"/admin/portfolio/configurationitem/{ci.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not ConfigurationItem.objects.filter(pk=ci.pk).exists()
    assert [(e.action, e.door) for e in events_since(mark)] == [("delete", Door.ADMIN)]


def test_admin_refuses_bad_attributes_with_a_message(admin_client, customer_org):
    ci_type = CITypeFactory()
    with nothing_changed(ConfigurationItem):
        response = admin_client.post(
            "/admin/portfolio/configurationitem/add/",
            {
                "name": "admin-ci",
                "ci_type": ci_type.pk,
                "status": "in_use",
                "organisation": customer_org.pk,
                "attributes": '{"a": [1]}',
                "outgoing-TOTAL_FORMS": "0",
                "outgoing-INITIAL_FORMS": "0",
            },
            follow=True,
        )
    assert "not a list, an object or null" in response.content.decode()


def test_admin_types_and_relationships_go_through_the_services(admin_client, customer_org):
    mark = last_event_id()
    response = admin_client.post("/admin/portfolio/citype/add/", {"code": "NAS", "name": "NAS"})
    assert response.status_code == 302
    assert CIType.objects.filter(code="NAS").exists()
    a, b = ConfigurationItemFactory.create_batch(2, organisation=customer_org)
    response = admin_client.post(
        "/admin/portfolio/cirelationship/add/",
        {"source": a.pk, "kind": "runs_on", "target": b.pk},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rel = CIRelationship.objects.get()
    assert rel.organisation_id == customer_org.pk
    assert [(e.object_type, e.door) for e in events_since(mark)] == [
        ("portfolio.citype", Door.ADMIN),
        ("portfolio.cirelationship", Door.ADMIN),
    ]
