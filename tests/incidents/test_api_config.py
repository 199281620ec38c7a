"""Incident configuration through the API: categories and the priority matrix."""

from __future__ import annotations

import pytest

from accord.core.choices import Door
from accord.incidents import services
from accord.incidents.models import Category, PriorityCell
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    outsider,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.factories import TeamFactory, make_incident, provider

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/incident-categories/"
MATRIX = "/api/v1/priority-matrix/"
CONFIGURERS = roles_with("incidents.configure")
DEFAULT = {
    (1, 1): "P1",
    (1, 2): "P2",
    (1, 3): "P3",
    (2, 1): "P2",
    (2, 2): "P3",
    (2, 3): "P4",
    (3, 1): "P3",
    (3, 2): "P4",
    (3, 3): "P4",
}


def cells(matrix):
    return [{"impact": i, "urgency": u, "priority": p} for (i, u), p in sorted(matrix.items())]


class TestCategoryAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = CATEGORIES
    model = Category
    readers = ALL_ROLES
    writers = CONFIGURERS
    outsider_roles = CUSTOMER_ROLE_SET
    invalid_create = [
        Invalid("name", {"name": ""}),
        Invalid("name", {"name": "x" * 101}, "name-too-long"),
        Invalid("default_team", {"default_team": 987654321}, "unknown-team"),
        Invalid("is_active", {"is_active": "perhaps"}),
    ]
    invalid_update = [
        Invalid("name", {"name": ""}),
        Invalid("default_team", {"default_team": "desk"}),
    ]

    def make_object(self, organisation):
        count = Category.objects.count()
        return services.category_create(actor=None, name=f"Category {count}")

    def make_rows(self, organisation, n):
        team = TeamFactory(organisation=provider())
        start = Category.objects.count()
        return [
            services.category_create(actor=None, name=f"Routed {start + i}", default_team=team)
            for i in range(n)
        ]

    def create_payload(self, organisation):
        return {"name": "Hardware", "description": "Broken devices", "is_active": True}

    def update_payload(self, obj):
        return {"description": "Laptops, printers, phones", "is_active": False}

    # Categories are shared configuration, not records of an organisation: people of another
    # customer read them like everyone else, and may not change them.
    def test_other_organisation_gets_404_and_empty_list(
        self, outsider_role, customer_org, other_customer_org
    ):
        obj = self.make_object(customer_org)
        client = api_client_for(outsider(outsider_role, other_customer_org))
        assert client.get(self.detail_url(obj)).status_code == 200
        assert obj.pk in result_ids(client.get(self.url))

    def test_other_organisation_patch_is_404_and_changes_nothing(
        self, outsider_role, customer_org, other_customer_org
    ):
        obj = self.make_object(customer_org)
        client = api_client_for(outsider(outsider_role, other_customer_org))
        with nothing_changed(Category, obj):
            response = client.patch(self.detail_url(obj), self.update_payload(obj), format="json")
        assert_error_body(response, 403, "permission_denied")


def test_category_names_are_unique_ignoring_case(admin_person):
    services.category_create(actor=None, name="Network")
    with nothing_changed(Category):
        response = api_client_for(admin_person).post(CATEGORIES, {"name": "network"}, format="json")
    body = assert_error_body(response, 400, "invalid", ["name"])
    assert "already exists" in body["errors"]["name"][0]


def test_a_category_routes_to_a_provider_team_only(admin_person, customer_org):
    theirs = TeamFactory(organisation=customer_org)
    with nothing_changed(Category):
        response = api_client_for(admin_person).post(
            CATEGORIES, {"name": "Access", "default_team": theirs.pk}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["default_team"])


def test_category_filters(admin_person):
    active = services.category_create(actor=None, name="Software", description="Apps")
    retired = services.category_create(actor=None, name="Fax", is_active=False)
    client = api_client_for(admin_person)
    assert result_ids(client.get(CATEGORIES, {"is_active": "false"})) == [retired.pk]
    assert result_ids(client.get(CATEGORIES, {"q": "apps"})) == [active.pk]


def test_a_retired_category_cannot_be_chosen_for_a_new_incident(desk):
    retired = services.category_create(actor=None, name="Fax", is_active=False)
    response = api_client_for(desk.agent).post(
        "/api/v1/incidents/",
        {"title": "Fax", "caller": desk.caller.pk, "category": retired.pk},
        format="json",
    )
    assert_error_body(response, 400, "invalid", ["category"])


# --- The priority matrix ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_everyone_signed_in_reads_the_matrix(role, customer_org):
    response = api_client_for(person_for_role(role, customer_org)).get(MATRIX)
    assert response.status_code == 200
    assert response.json() == {"cells": cells(DEFAULT)}


def test_anonymous_is_401():
    assert_error_body(api_client_for(None).get(MATRIX), 401, "not_authenticated")
    with nothing_changed(PriorityCell):
        response = api_client_for(None).put(MATRIX, {"cells": cells(DEFAULT)}, format="json")
    assert_error_body(response, 401, "not_authenticated")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_replace_the_matrix(role, customer_org):
    person = person_for_role(role, customer_org)
    changed = {**DEFAULT, (2, 2): "P2"}
    client = api_client_for(person)
    if role not in CONFIGURERS:
        with nothing_changed(PriorityCell, *PriorityCell.objects.all()):
            response = client.put(MATRIX, {"cells": cells(changed)}, format="json")
        assert_error_body(response, 403, "permission_denied")
        return
    mark = last_event_id()
    response = client.put(MATRIX, {"cells": cells(changed)}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"cells": cells(changed)}
    assert client.get(MATRIX).json() == {"cells": cells(changed)}
    events = events_since(mark)
    assert [(e.object_type, e.action, e.door, e.changes) for e in events] == [
        ("incidents.prioritycell", "update", Door.API, {"priority": ["P3", "P2"]})
    ]


def test_new_priorities_follow_the_new_matrix(desk):
    api_client_for(desk.manager).put(
        MATRIX, {"cells": cells({**DEFAULT, (2, 2): "P2"})}, format="json"
    )
    response = api_client_for(desk.agent).post(
        "/api/v1/incidents/", {"title": "x", "caller": desk.caller.pk}, format="json"
    )
    assert response.json()["priority"] == "P2"
    assert make_incident(actor=None, caller=desk.caller, impact=2, urgency=2).priority == "P2"


@pytest.mark.parametrize(
    "payload, says",
    [
        ({"cells": cells({k: v for k, v in DEFAULT.items() if k != (3, 3)})}, "missing"),
        ({"cells": [*cells(DEFAULT), {"impact": 1, "urgency": 1, "priority": "P1"}]}, "more than"),
        ({"cells": cells({**DEFAULT, (3, 3): "P1"})}, "cannot give a higher priority"),
        ({"cells": cells({**DEFAULT, (1, 1): "P5"})}, "not a valid choice"),
        ({"cells": [{"impact": 4, "urgency": 1, "priority": "P1"}]}, "not a valid choice"),
        ({"cells": [{"impact": 1, "urgency": 1}]}, "required"),
        ({"cells": "P1 everywhere"}, "list"),
        ({}, "required"),
    ],
)
def test_bad_matrices_are_refused_and_change_nothing(admin_person, payload, says):
    with nothing_changed(PriorityCell, *PriorityCell.objects.all()):
        response = api_client_for(admin_person).put(MATRIX, payload, format="json")
    body = assert_error_body(response, 400, "invalid", ["cells"])
    assert says in str(body["errors"]["cells"])


def test_the_matrix_is_not_created_or_deleted(admin_person):
    client = api_client_for(admin_person)
    with nothing_changed(PriorityCell):
        for method in ("post", "patch", "delete"):
            response = getattr(client, method)(MATRIX, {"cells": []}, format="json")
            assert_error_body(response, 405, "method_not_allowed")
