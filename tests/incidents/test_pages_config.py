"""Incident settings pages: the category list and forms, and the priority matrix, through the
generic page bases and the settings' own promises (retiring instead of deleting, names unique
ignoring case, stale saves, refused matrices changing nothing, links from the workspace)."""

from __future__ import annotations

import itertools

import pytest
from django.utils.html import escape

from accord.core.choices import Door, Role
from accord.incidents import services
from accord.incidents.models import Category, Incident, PriorityCell
from tests.base import (
    ALL_ROLES,
    CURRENT_VALUES_MARK,
    CUSTOMER_ROLE_SET,
    FORBIDDEN_TEXT,
    STALE_TEXT,
    FormPageTests,
    Invalid,
    ListPageTests,
    PageTests,
    assert_form_error,
    captured_queries,
    events_since,
    last_event_id,
    nothing_changed,
    object_type,
    outsider,
    person_for_role,
    roles_with,
)
from tests.factories import TeamFactory, make_incident, provider

pytestmark = pytest.mark.django_db

CONFIGURERS = roles_with("incidents.configure")
#: Everyone of the provider (and the auditor): they read the matrix, whoever may change it.
PROVIDER_STAFF = frozenset(ALL_ROLES) - CUSTOMER_ROLE_SET
LIST = "/incidents/categories/"
NEW = "/incidents/categories/new/"
MATRIX = "/incidents/priority-matrix/"

_names = itertools.count(1)


def category(**values) -> Category:
    """A category made through the service (as the command line would), with a unique name."""
    values.setdefault("name", f"Category {next(_names)}")
    return services.category_create(actor=None, **values)


def provider_team(**kwargs):
    return TeamFactory(organisation=provider(), **kwargs)


def edit_url(obj: Category) -> str:
    return f"/incidents/categories/{obj.pk}/edit/"


def category_data(obj: Category | None = None, **overrides) -> dict:
    """A complete, valid POST of the category form (editing ``obj``, or creating)."""
    if obj is None:
        data = {"name": "Access", "description": "Accounts and passwords", "is_active": "on"}
    else:
        data = {
            "name": f"{obj.name} renamed",
            "description": obj.description,
            "default_team": obj.default_team_id or "",
            "version": obj.version,
        }
        if obj.is_active:
            data["is_active"] = "on"
    return {**data, **overrides}


def admin(organisation):
    return person_for_role(Role.ADMINISTRATOR, organisation)


def stored_cells() -> dict[tuple[int, int], str]:
    return {(c.impact, c.urgency): c.priority for c in PriorityCell.objects.all()}


def matrix_data(matrix: dict[tuple[int, int], str]) -> dict[str, str]:
    return {f"cell_{i}_{u}": p for (i, u), p in matrix.items()}


# --- categories: the generic page bases ---------------------------------------------------------


class TestCategoryListPage(ListPageTests):
    page_roles = CONFIGURERS

    def url(self, obj):
        return LIST

    def make_object(self, organisation):
        team = provider_team(name="Identity <team>")
        obj = category(name="Access & identity", description="Accounts <and> passwords")
        obj = services.category_update(actor=None, category=obj, data={"default_team": team})
        make_incident(organisation=organisation, category=obj)
        return obj

    def make_rows(self, organisation, n):
        rows = []
        for _ in range(n):
            obj = category(default_team=provider_team(), description="Routed")
            make_incident(organisation=organisation, category=obj)
            rows.append(obj)
        return rows

    def shows(self, obj):
        return [obj.name, obj.description, obj.default_team.name, "Active", "New category"]


class TestCategoryEditPage(FormPageTests):
    model = Category
    page_roles = CONFIGURERS
    outsider_role = Role.ADMINISTRATOR
    invalid_form = [
        Invalid("name", {"name": " "}, "blank-name"),
        Invalid("name", {"name": "x" * 101}, "name-too-long"),
        Invalid("default_team", {"default_team": "999999"}, "unknown-team"),
        Invalid("version", {"version": "abc"}, "tampered"),
    ]

    def url(self, obj):
        return edit_url(obj)

    def make_object(self, organisation):
        return category(description="Laptops, printers", default_team=provider_team())

    def form_data(self, obj):
        return category_data(obj)

    def test_other_organisation_record_is_404(self, client, customer_org, other_customer_org):
        """Categories are the provider's, not an organisation's, so there is no other
        organisation's record to hide: a customer's person holding a configuring role is
        refused the page (403) and changes nothing."""
        obj = self.make_object(customer_org)
        client.force_login(outsider(self.outsider_role, other_customer_org))
        response = client.get(self.url(obj))
        assert response.status_code == 403
        assert FORBIDDEN_TEXT in response.content.decode()
        with nothing_changed(Category, obj):
            response = client.post(self.url(obj), self.form_data(obj))
        assert response.status_code == 403

    def test_unknown_category_is_404(self, client, customer_org):
        client.force_login(admin(customer_org))
        assert client.get("/incidents/categories/999999/edit/").status_code == 404


class TestCategoryCreatePage(PageTests):
    """Creating leads back to the list (categories have no page of their own), so the create
    base's redirect check does not apply; the same promises are tested here."""

    page_roles = CONFIGURERS
    invalid_form = [
        Invalid("name", {"name": ""}),
        Invalid("default_team", {"default_team": "nope"}, "bad-team"),
    ]

    def url(self, obj):
        return NEW

    def shows(self, obj):
        return ["New category", "Default team", "Active"]

    def test_anonymous_post_is_redirected_and_changes_nothing(self, client):
        with nothing_changed(Category):
            response = client.post(NEW, category_data())
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")

    def test_post_by_role(self, role, client, customer_org):
        person = person_for_role(role, customer_org)
        client.force_login(person)
        if role not in CONFIGURERS:
            with nothing_changed(Category):
                response = client.post(NEW, category_data())
            assert response.status_code == 403
            return
        mark = last_event_id()
        response = client.post(NEW, category_data())
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == LIST
        created = Category.objects.get(name="Access")
        assert (created.description, created.is_active) == ("Accounts and passwords", True)
        events = [e for e in events_since(mark) if e.object_type == object_type(Category)]
        assert [(e.action, e.door, e.actor_id, e.object_id) for e in events] == [
            ("create", Door.UI, person.pk, str(created.pk))
        ]

    def test_invalid_post_shows_errors_and_changes_nothing(
        self, invalid_form, client, customer_org
    ):
        client.force_login(admin(customer_org))
        with nothing_changed(Category):
            response = client.post(NEW, {**category_data(), **invalid_form.data})
        assert_form_error(response, invalid_form.field)


# --- categories: round trip, names, teams, stale saves ------------------------------------------


def test_create_edit_retire_round_trip_with_audit_events(client, customer_org):
    person = admin(customer_org)
    client.force_login(person)
    team = provider_team(name="Identity desk")
    mark = last_event_id()

    response = client.post(NEW, category_data(default_team=team.pk), follow=True)
    assert response.status_code == 200
    assert "Category Access saved." in response.content.decode()
    access = Category.objects.get(name="Access")
    assert access.default_team == team

    response = client.post(
        edit_url(access),
        category_data(access, name="Access", description="Accounts, passwords, MFA"),
        follow=True,
    )
    assert "Category Access saved." in response.content.decode()
    access.refresh_from_db()
    assert (access.description, access.version) == ("Accounts, passwords, MFA", 2)

    # An incident already filed under the category keeps it after it is retired.
    incident = make_incident(organisation=customer_org, category=access)
    retire = category_data(access, name="Access")
    del retire["is_active"]
    response = client.post(edit_url(access), retire, follow=True)
    content = response.content.decode()
    assert "it is retired and no longer offered" in content
    assert "Retired" in content
    access.refresh_from_db()
    assert (access.is_active, access.version) == (False, 3)
    assert Incident.objects.get(pk=incident.pk).category_id == access.pk

    events = [e for e in events_since(mark) if e.object_type == object_type(Category)]
    assert [(e.action, e.door, e.actor_id) for e in events] == [
        ("create", Door.UI, person.pk),
        ("update", Door.UI, person.pk),
        ("update", Door.UI, person.pk),
    ]
    assert events[1].changes == {
        "description": ["Accounts and passwords", "Accounts, passwords, MFA"]
    }
    assert events[2].changes == {"is_active": [True, False]}

    # Retired: no longer offered on the new incident form, still listed with its incident.
    client.force_login(person_for_role(Role.INCIDENT_MANAGER, customer_org))
    form = client.get("/incidents/new/").context["form"]
    assert access not in form.fields["category"].queryset
    row = next(c for c in client.get(LIST).context["page"] if c.pk == access.pk)
    assert (row.is_active, row.incident_count) == (False, 1)


@pytest.mark.parametrize("taken", ["Network", "network", " NETWORK "])
def test_duplicate_name_is_refused_on_create(taken, client, customer_org):
    category(name="Network")
    client.force_login(admin(customer_org))
    with nothing_changed(Category):
        response = client.post(NEW, category_data(name=taken))
    assert_form_error(response, "name")
    assert "already exists" in response.content.decode()


def test_duplicate_name_is_refused_on_edit(client, customer_org):
    category(name="Network")
    other = category(name="Telephony")
    client.force_login(admin(customer_org))
    with nothing_changed(Category, other):
        response = client.post(edit_url(other), category_data(other, name="NETWORK"))
    assert_form_error(response, "name")


def test_only_active_provider_teams_are_offered(client, customer_org):
    active = provider_team(name="Desk")
    retired = provider_team(name="Old desk", is_active=False)
    theirs = TeamFactory(organisation=customer_org, name="Customer IT")
    client.force_login(admin(customer_org))
    offered = list(client.get(NEW).context["form"].fields["default_team"].queryset)
    assert active in offered
    assert retired not in offered and theirs not in offered
    for team in (retired, theirs):
        with nothing_changed(Category):
            response = client.post(NEW, category_data(default_team=team.pk))
        assert_form_error(response, "default_team")


def test_a_category_keeps_a_team_retired_since(client, customer_org):
    """Editing another field does not fail on a default team that was retired meanwhile."""
    team = provider_team(name="Old desk")
    obj = category(name="Printing", default_team=team)
    team.is_active = False
    team.save(update_fields=["is_active"])
    client.force_login(admin(customer_org))
    response = client.post(edit_url(obj), category_data(obj, name="Printing", description="Ink"))
    assert response.status_code == 302
    obj.refresh_from_db()
    assert (obj.description, obj.default_team_id) == ("Ink", team.pk)


def test_stale_save_shows_the_stored_values(client, customer_org):
    obj = category(name="Hardware", description="Laptops")
    seen = category_data(obj, name="Hardware", description="Laptops and docks")
    team = provider_team(name="Field service")
    services.category_update(
        actor=None,
        category=obj,
        data={"description": "Everything with a plug", "default_team": team},
    )
    client.force_login(admin(customer_org))
    obj.refresh_from_db()
    with nothing_changed(Category, obj):
        response = client.post(edit_url(obj), seen)
    assert response.status_code == 400
    content = response.content.decode()
    assert STALE_TEXT in content
    assert CURRENT_VALUES_MARK in content
    assert "Everything with a plug" in content and "Field service" in content
    # The form keeps what the editor typed, so they can apply it again.
    assert "Laptops and docks" in content


def test_category_list_counts_incidents_in_one_query(client, customer_org):
    busy = category(name="Busy")
    idle = category(name="Idle")
    for _ in range(3):
        make_incident(organisation=customer_org, category=busy)
    client.force_login(admin(customer_org))
    client.get(LIST)  # warm caches (session, content types)
    queries = captured_queries(lambda: client.get(LIST))
    counts = {c.pk: c.incident_count for c in client.get(LIST).context["page"]}
    assert (counts[busy.pk], counts[idle.pk]) == (3, 0)
    # One statement reads the rows and their counts; the pager's count is a plain one.
    touching = [q for q in queries if "incidents_incident" in q]
    assert len(touching) == 1, touching
    assert touching[0].lstrip().startswith('SELECT "incidents_category"."id"'), touching


# --- the priority matrix ------------------------------------------------------------------------


class TestPriorityMatrixPage(PageTests):
    page_roles = PROVIDER_STAFF

    def url(self, obj):
        return MATRIX

    def shows(self, obj):
        return ["Priority matrix", "1 High", "2 Medium", "3 Low", "P1 Critical", "P4 Low"]


@pytest.mark.parametrize("role", sorted(PROVIDER_STAFF))
def test_matrix_is_a_form_only_for_configurers(role, client, customer_org):
    client.force_login(person_for_role(role, customer_org))
    response = client.get(MATRIX)
    content = response.content.decode()
    if role in CONFIGURERS:
        assert response.context["form"] is not None
        assert 'name="cell_1_1"' in content and 'data-testid="read-only"' not in content
    else:
        assert response.context["form"] is None
        assert "<select" not in content and 'data-testid="read-only"' in content


@pytest.mark.parametrize("role", ALL_ROLES)
def test_matrix_post_by_role(role, client, customer_org):
    changed = {**stored_cells(), (1, 3): "P2"}
    person = person_for_role(role, customer_org)
    client.force_login(person)
    cells = list(PriorityCell.objects.all())
    if role not in CONFIGURERS:
        with nothing_changed(PriorityCell, *cells):
            response = client.post(MATRIX, matrix_data(changed))
        assert response.status_code == 403
        return
    mark = last_event_id()
    response = client.post(MATRIX, matrix_data(changed))
    assert response.status_code == 302
    assert response["Location"] == MATRIX
    assert stored_cells() == changed
    events = events_since(mark)
    cell = PriorityCell.objects.get(impact=1, urgency=3)
    assert [(e.action, e.door, e.actor_id, e.object_type, e.object_id) for e in events] == [
        ("update", Door.UI, person.pk, object_type(PriorityCell), str(cell.pk))
    ]
    assert events[0].changes == {"priority": ["P3", "P2"]}
    page = client.get(MATRIX).content.decode()
    assert "Priority matrix saved (1 cell changed)." in page


def test_matrix_anonymous_post_is_redirected(client):
    cells = list(PriorityCell.objects.all())
    with nothing_changed(PriorityCell, *cells):
        response = client.post(MATRIX, matrix_data(stored_cells()))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_matrix_customer_with_a_configuring_role_is_refused(client, customer_org):
    client.force_login(outsider(Role.ADMINISTRATOR, customer_org))
    assert client.get(MATRIX).status_code == 403
    cells = list(PriorityCell.objects.all())
    with nothing_changed(PriorityCell, *cells):
        response = client.post(MATRIX, matrix_data({**stored_cells(), (1, 3): "P2"}))
    assert response.status_code == 403


def test_saving_an_unchanged_matrix_writes_nothing(client, customer_org):
    client.force_login(admin(customer_org))
    cells = list(PriorityCell.objects.all())
    with nothing_changed(PriorityCell, *cells):
        response = client.post(MATRIX, matrix_data(stored_cells()), follow=True)
    assert "Priority matrix saved (nothing changed)." in response.content.decode()


def _without(matrix, key):
    return {k: v for k, v in matrix.items() if k != key}


REFUSALS = {
    "missing-cell": (
        lambda m: {**matrix_data(_without(m, (2, 2))), "cell_2_2": ""},
        "missing impact 2 x urgency 2",
    ),
    "cell-left-out": (
        lambda m: matrix_data(_without(m, (3, 1))),
        "missing impact 3 x urgency 1",
    ),
    "unknown-priority": (
        lambda m: matrix_data({**m, (1, 1): "P9"}),
        "'P9' is not one of P1, P2, P3, P4",
    ),
    "lower-urgency-higher-priority": (
        lambda m: matrix_data({**m, (1, 3): "P1"}),
        "cannot give a higher priority",
    ),
    "lower-impact-higher-priority": (
        lambda m: matrix_data({**m, (2, 1): "P1", (1, 1): "P2"}),
        "cannot give a higher priority",
    ),
}


@pytest.mark.parametrize("kind", REFUSALS)
def test_refused_matrix_shows_the_service_message_and_changes_nothing(kind, client, customer_org):
    build, message = REFUSALS[kind]
    stored = stored_cells()
    data = build(stored)
    client.force_login(person_for_role(Role.INCIDENT_MANAGER, customer_org))
    cells = list(PriorityCell.objects.all())
    with nothing_changed(PriorityCell, *cells):
        response = client.post(MATRIX, data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    content = response.content.decode()
    assert escape(message) in content
    # The matrix as sent is shown again, for the editor to correct.
    kept = next(k for k in ("cell_1_2", "cell_2_3") if data.get(k))
    assert response.context["form"][kept].value() == data[kept]


def test_matrix_page_shows_the_matrix_in_force(client, customer_org):
    services.priority_matrix_update(actor=None, matrix={**stored_cells(), (1, 3): "P2"})
    client.force_login(person_for_role(Role.AGENT, customer_org))
    rows = client.get(MATRIX).context["rows"]
    assert [[c["priority"] for c in row["cells"]] for row in rows] == [
        ["P1", "P2", "P2"],
        ["P2", "P3", "P4"],
        ["P3", "P4", "P4"],
    ]
    assert [row["label"] for row in rows] == ["1 High", "2 Medium", "3 Low"]


# --- links from the workspace -------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_workspace_links_to_the_settings_for_configurers(role, client, customer_org):
    client.force_login(person_for_role(role, customer_org))
    response = client.get("/incidents/")
    if response.status_code != 200:
        return  # people who do not see incidents get no workspace at all
    content = response.content.decode()
    shown = f'href="{LIST}"' in content and f'href="{MATRIX}"' in content
    assert shown == (role in CONFIGURERS), role


def test_category_pages_refuse_customers(client, customer_org):
    obj = category()
    for role in sorted(CUSTOMER_ROLE_SET):
        client.force_login(person_for_role(role, customer_org))
        for url in (LIST, NEW, edit_url(obj), MATRIX):
            response = client.get(url)
            assert response.status_code == 403, (role, url)
            assert FORBIDDEN_TEXT in response.content.decode()
