"""Pages of the catalogue: browsing by customers, the item page with its live request form,
and the managers' create, edit, retire and activate pages."""

from __future__ import annotations

import json

import pytest
from django.utils.html import escape

from accord.core.choices import Door, OrganisationKind, Role
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import CatalogueItem
from tests.base import (
    ALL_ROLES,
    FAST_HASHERS,
    STALE_TEXT,
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    RecordPageTests,
    assert_constant_queries,
    assert_form_error,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    provider,
)
from tests.portfolio.test_catalogue_services import SAMPLE_FORM, offered_item

CATALOGUE_MANAGERS = roles_with("catalogue.manage")


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


# --- Browsing -------------------------------------------------------------------------------------


class TestCatalogueListPage(ListPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return "/catalogue/"

    def make_object(self, organisation):
        return offered_item(organisation)

    def make_rows(self, organisation, n):
        rows = [offered_item(organisation) for _ in range(n)]
        for row in rows:
            row.organisations.add(OrganisationFactory())
        return rows

    def shows(self, obj):
        return [obj.name, obj.service.name, "16h"]


def test_customer_list_queries_do_not_grow_with_rows(client, customer_org):
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))

    def call():
        assert client.get("/catalogue/").status_code == 200

    assert_constant_queries(call, lambda n: [offered_item(customer_org) for _ in range(n)])


def test_customer_browses_only_their_catalogue_grouped_by_service(
    client, customer_org, other_customer_org
):
    mail = ServiceFactory(name="E-mail")
    work = ServiceFactory(name="Workplace")
    mailbox = offered_item(service=mail, name="Shared mailbox")
    laptop = offered_item(customer_org, service=work, name="Laptop")
    phone = offered_item(customer_org, service=work, name="Phone")
    secret = offered_item(other_customer_org, service=work, name="Their special")
    retired = offered_item(service=mail, name="Fax", is_active=False)
    pipeline = offered_item(service=ServiceFactory(status=ServiceStatus.PIPELINE), name="Soon")
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    response = client.get("/catalogue/")
    content = response.content.decode()
    for shown in (mailbox, laptop, phone):
        assert shown.name in content
    for hidden in (secret, retired, pipeline):
        assert hidden.name not in content
    # Grouped: one section per service, in name order, with its items under it.
    assert content.count('data-testid="catalogue-service"') == 2
    content = content[content.index('data-testid="catalogue-service"') :]  # past the filters
    assert content.index("E-mail") < content.index("Shared mailbox") < content.index("Workplace")
    assert content.index("Workplace") < content.index("Laptop")
    # Customers get the search box and the service filter, not the managers' filters.
    assert set(response.context["filter"].form.fields) == {"q", "service"}
    assert "New catalogue item" not in content


def test_search_box_finds_by_name_description_and_service(client, customer_org):
    offered_item(name="Laptop", description="Standard image")
    offered_item(name="Mailbox", description="Shared with the team")
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    content = client.get("/catalogue/", {"q": "shared"}).content.decode()
    assert "Mailbox" in content and "Laptop" not in content
    content = client.get("/catalogue/", {"q": "nothing like it"}).content.decode()
    assert "No catalogue items match." in content


def test_suppliers_see_an_empty_catalogue(client):
    offered_item(name="Laptop")
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER)
    client.force_login(PersonFactory(organisation=supplier))
    response = client.get("/catalogue/")
    assert response.status_code == 200
    assert "Laptop" not in response.content.decode()


def test_managers_see_every_item_with_audience_and_more_filters(client, customer_org):
    item = offered_item(customer_org, is_active=False)
    client.force_login(person_for_role(Role.SERVICE_LEVEL_MANAGER, customer_org))
    response = client.get("/catalogue/")
    content = response.content.decode()
    assert item.name in content and customer_org.name in content and "retired" in content
    assert "New catalogue item" in content
    assert {"audience", "is_active", "approval_required"} <= set(
        response.context["filter"].form.fields
    )


# --- The item page ------------------------------------------------------------------------------


class TestCatalogueDetailPage(RecordPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return f"/catalogue/{obj.pk}/"

    def make_object(self, organisation):
        return offered_item(organisation)

    def shows(self, obj):
        return [
            obj.name,
            obj.description,
            "16h of business time",
            "Needed, by the customer manager",
            "Cost centre",
            "A working day",
        ]


@pytest.mark.parametrize("role", [Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER])
def test_customer_of_b_gets_404_for_an_item_offered_only_to_a(
    role, client, customer_org, other_customer_org
):
    item = offered_item(customer_org)
    client.force_login(person_for_role(role, other_customer_org))
    assert client.get(f"/catalogue/{item.pk}/").status_code == 404
    assert client.post(f"/catalogue/{item.pk}/", {}).status_code == 404


def test_retired_item_is_404_for_customers(client, customer_org):
    item = offered_item(customer_org, is_active=False)
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert client.get(f"/catalogue/{item.pk}/").status_code == 404


def test_request_form_checks_answers_and_creates_nothing(client, customer_org):
    item = offered_item(customer_org)
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    mark = last_event_id()
    response = client.post(
        f"/catalogue/{item.pk}/",
        {
            "answer-cost_centre": "CC-7",
            "answer-model": "13 inch",
            "answer-quantity": "3",
            "answer-extras": ["Dock", "Bag"],
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="answers-valid"' in content
    assert "Dock, Bag" in content and "CC-7" in content
    assert events_since(mark) == []


def test_request_form_shows_field_errors(client, customer_org):
    item = offered_item(customer_org)
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    response = client.post(
        f"/catalogue/{item.pk}/", {"answer-quantity": "99", "answer-model": "17 inch"}
    )
    assert_form_error(response, "cost_centre", form_name="request_form")
    assert_form_error(response, "quantity", form_name="request_form")
    assert_form_error(response, "model", form_name="request_form")
    assert 'data-testid="answers-valid"' not in response.content.decode()


def test_item_without_questions_says_so(client, customer_org):
    item = offered_item(customer_org, form_schema=[])
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert "This item asks no questions." in client.get(f"/catalogue/{item.pk}/").content.decode()


def test_broken_stored_form_is_explained_not_a_500(client, customer_org):
    item = offered_item(customer_org, form_schema=[{"name": "a"}])
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    response = client.get(f"/catalogue/{item.pk}/")
    assert response.status_code == 200
    assert "The request form of this item is not valid" in response.content.decode()
    assert client.post(f"/catalogue/{item.pk}/", {}).status_code == 400


def test_history_is_shown_to_staff_only(client, customer_org):
    item = offered_item(customer_org)
    manager = person_for_role(Role.SERVICE_OWNER, customer_org)
    client.force_login(manager)
    client.post(f"/catalogue/{item.pk}/retire/", {"version": item.version})
    content = client.get(f"/catalogue/{item.pk}/").content.decode()
    assert "History" in content and "State changed" in content
    item.refresh_from_db()
    client.post(f"/catalogue/{item.pk}/activate/", {"version": item.version})
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert "History" not in client.get(f"/catalogue/{item.pk}/").content.decode()


# --- Managing ---------------------------------------------------------------------------------

CATALOGUE_INVALID = [
    Invalid("name", {"name": ""}),
    Invalid("form_schema", {"form_schema": "[{"}, "not-json"),
    Invalid("form_schema", {"form_schema": '[{"name": "a", "label": "A", "type": "blob"}]'}),
    Invalid("form_schema", {"form_schema": '{"name": "a"}'}, "not-a-list"),
    Invalid("organisations", {"audience": "chosen", "organisations": []}, "chosen-without-orgs"),
    Invalid("approver_role", {"approver_role": ""}, "approval-without-role"),
    Invalid("approver_role", {"approver_role": "pope"}, "unknown-role"),
    Invalid("target_fulfilment", {"target_fulfilment": "soon"}),
    Invalid("target_fulfilment", {"target_fulfilment": "0h"}, "zero-target"),
    Invalid("service", {"service": "987654321"}, "unknown-service"),
    Invalid("version", {"version": "abc"}, "tampered-version"),
]


def _form_data(item_or_org, service=None):
    """A complete POST of the catalogue item form."""
    if isinstance(item_or_org, CatalogueItem):
        item = item_or_org
        return {
            "service": item.service_id,
            "name": "Renamed laptop",
            "description": item.description,
            "audience": "chosen",
            "organisations": [o.pk for o in item.organisations.all()],
            "fulfilment_team": item.fulfilment_team_id,
            "approval_required": "on",
            "approver_role": item.approver_role,
            "target_fulfilment": "1h 30m",
            "form_schema": json.dumps(item.form_schema),
            "is_active": "on",
            "version": item.version,
        }
    return {
        "service": (service or ServiceFactory()).pk,
        "name": "New laptop",
        "description": "The standard laptop.",
        "audience": "chosen",
        "organisations": [item_or_org.pk],
        "fulfilment_team": TeamFactory(organisation=provider()).pk,
        "approval_required": "on",
        "approver_role": "customer_manager",
        "target_fulfilment": "8h",
        "form_schema": json.dumps(SAMPLE_FORM),
        "is_active": "on",
    }


class TestCatalogueEditPage(FormPageTests):
    model = CatalogueItem
    page_roles = CATALOGUE_MANAGERS
    outsider_role = Role.SERVICE_OWNER
    invalid_form = CATALOGUE_INVALID

    def url(self, obj):
        return f"/catalogue/{obj.pk}/edit/"

    def make_object(self, organisation):
        return offered_item(organisation)

    def shows(self, obj):
        return [obj.name, "cost_centre", "16h"]

    def form_data(self, obj):
        return _form_data(obj)


class TestCatalogueCreatePage(CreatePageTests):
    model = CatalogueItem
    page_roles = CATALOGUE_MANAGERS
    create_url = "/catalogue/new/"
    invalid_form = CATALOGUE_INVALID[:-1]

    def form_data(self, organisation):
        return _form_data(organisation)


def test_edit_saves_duration_and_definition(client, customer_org):
    item = offered_item(customer_org)
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))
    data = _form_data(item)
    data["form_schema"] = json.dumps([{"name": "why", "label": "Why", "type": "textarea"}])
    response = client.post(f"/catalogue/{item.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.target_fulfilment.total_seconds() == 90 * 60
    assert item.form_schema == [{"name": "why", "label": "Why", "type": "textarea"}]


def test_definition_errors_are_shown_on_the_field(client, customer_org):
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))
    data = _form_data(customer_org)
    data["form_schema"] = json.dumps(
        [{"name": "a", "label": "A", "type": "text"}, {"name": "a", "label": "B", "type": "choice"}]
    )
    with nothing_changed(CatalogueItem):
        response = client.post("/catalogue/new/", data)
    assert_form_error(response, "form_schema")
    content = response.content.decode()
    assert escape("Field 2 (\"a\"): the name 'a' is already used by field 1.") in content
    assert escape("Field 2 (\"a\"): a one of a list field needs 'choices'") in content
    # The definition typed is kept in the textarea, to be corrected.
    assert escape('"label": "B"') in content


def test_json_syntax_errors_say_where(client, customer_org):
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))
    data = _form_data(customer_org)
    data["form_schema"] = '[\n  {"name": "a",}\n]'
    response = client.post("/catalogue/new/", data)
    assert_form_error(response, "form_schema")
    assert "at line 2, column 16" in response.content.decode()


def test_create_refuses_a_service_that_is_not_live(client, customer_org):
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))
    data = _form_data(customer_org, service=ServiceFactory(status=ServiceStatus.RETIRED))
    with nothing_changed(CatalogueItem):
        response = client.post("/catalogue/new/", data)
    assert_form_error(response, "service")  # not among the choices


def test_all_customers_forgets_organisations_left_selected(client, customer_org):
    item = offered_item(customer_org)
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))
    response = client.post(f"/catalogue/{item.pk}/edit/", {**_form_data(item), "audience": "all"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.audience, list(item.organisations.all())) == ("all", [])


def test_create_form_prefills_the_service(client, customer_org):
    service = ServiceFactory()
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))
    response = client.get("/catalogue/new/", {"service": service.pk})
    assert response.context["form"]["service"].value() == str(service.pk)


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER_MANAGER, Role.AUDITOR])
def test_retire_needs_catalogue_manage(role, client, customer_org):
    item = offered_item(customer_org)
    client.force_login(person_for_role(role, customer_org))
    with nothing_changed(CatalogueItem, item):
        response = client.post(f"/catalogue/{item.pk}/retire/", {"version": item.version})
    assert response.status_code == 403


def test_retire_and_activate_from_the_page(client, customer_org):
    item = offered_item(customer_org)
    manager = person_for_role(Role.SERVICE_LEVEL_MANAGER, customer_org)
    client.force_login(manager)
    mark = last_event_id()
    response = client.post(f"/catalogue/{item.pk}/retire/", {"version": item.version}, follow=True)
    assert "was retired" in response.content.decode()
    response = client.post(f"/catalogue/{item.pk}/activate/", {"version": 2}, follow=True)
    assert "is offered again" in response.content.decode()
    assert [(e.action, e.door, e.actor_id) for e in events_since(mark)] == [
        ("transition", Door.UI, manager.pk),
        ("transition", Door.UI, manager.pk),
    ]


def test_stale_retire_is_refused_with_a_message(client, customer_org):
    item = offered_item(customer_org)
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))
    with nothing_changed(CatalogueItem, item):
        response = client.post(f"/catalogue/{item.pk}/retire/", {"version": 5}, follow=True)
    assert STALE_TEXT in response.content.decode()


def test_activate_of_an_item_of_a_retired_service_is_refused(client, customer_org):
    item = offered_item(customer_org, is_active=False)
    type(item.service).objects.filter(pk=item.service_id).update(status=ServiceStatus.RETIRED)
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))
    with nothing_changed(CatalogueItem, item):
        response = client.post(f"/catalogue/{item.pk}/activate/", {}, follow=True)
    assert "live service&#x27;s items are published" in response.content.decode()


def test_catalogue_is_in_the_navigation(client, customer_org):
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert 'href="/catalogue/"' in client.get("/").content.decode()
