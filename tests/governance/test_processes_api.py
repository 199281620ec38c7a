"""The process register API for every role: list, read with activities and RACI, create,
PATCH with If-Match, and the RACI matrix endpoint (GET, PUT, PATCH)."""

from __future__ import annotations

import itertools

import pytest

from accord.core.choices import Door, Role
from accord.governance.models import Process, RaciAssignment
from tests.base import (
    ALL_ROLES,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.governance.processes_factories import (
    add_activity,
    make_process,
    make_rich_process,
    staff,
)

pytestmark = pytest.mark.django_db
READERS = roles_with("governance.view")
MANAGERS = roles_with("governance.manage")
_codes = itertools.count(1)


class TestProcessAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = "/api/v1/processes/"
    model = Process
    readers = READERS
    writers = MANAGERS
    invalid_create = [
        Invalid("code", {"code": ""}, "empty code"),
        Invalid("code", {"code": "not a slug"}, "bad code"),
        Invalid("owner_role", {"owner_role": "wizard"}),
        Invalid("interfaces", {"interfaces": [987654321]}),
        Invalid("kpis", {"kpis": "x" * 300}),
        Invalid("definition", {"definition": 987654321}),
    ]
    invalid_update = [
        Invalid("name", {"name": ""}),
        Invalid("kpis", {"kpis": "x" * 300}),
        Invalid("position", {"position": -1}),
    ]

    def make_object(self, organisation):
        return make_process()

    def make_rows(self, organisation, n):
        return [make_rich_process() for _ in range(n)]

    def create_payload(self, organisation):
        return {
            "code": f"api-{next(_codes)}",
            "name": "Capacity",
            "clause": "8.4.3",
            "owner_role": Role.CAPACITY_MANAGER,
            "kpis": "Thresholds breached",
        }

    def update_payload(self, obj):
        return {"purpose": "A new purpose.", "kpis": "One\nTwo"}


def test_detail_carries_activities_with_their_raci(customer_org):
    process = make_rich_process(roles=2, activities=2)
    add_activity(process, "Draft", agent="R")
    body = api_client_for(staff(Role.AUDITOR)).get(f"/api/v1/processes/{process.pk}/").json()
    assert [a["name"] for a in body["activities"]] == ["Activity 1", "Activity 2", "Draft"]
    assert body["activities"][0]["raci"] == {Role.TOP_MANAGEMENT: "A", Role.SMS_OWNER: "R"}
    assert [a["has_accountable"] for a in body["activities"]] == [True, True, False]
    assert body["without_accountable"] == 1 and body["activity_count"] == 3
    assert len(body["interfaces"]) == 1


def test_filters(customer_org):
    owner = staff(Role.CHANGE_MANAGER)
    change = make_process(name="Change management", clause="8.5.1", owner=owner)
    make_process(name="Old", clause="8.5.1", is_active=False)
    client = api_client_for(staff(Role.AGENT))

    def names(query):
        return [r["name"] for r in client.get(f"/api/v1/processes/?{query}").json()["results"]]

    assert names(f"owner={owner.pk}") == [change.name]
    assert sorted(names("clause=8.5.1")) == ["Change management", "Old"]
    assert names("clause=8.5.1&is_active=false") == ["Old"]
    assert names("q=change") == [change.name]
    assert_error_body(client.get("/api/v1/processes/?owner=abc"), 400, "invalid", ["owner"])


def test_owner_may_patch_purpose_but_not_the_owner():
    owner = staff(Role.INCIDENT_MANAGER)
    process = make_process(owner=owner)
    client = api_client_for(owner)
    url = f"/api/v1/processes/{process.pk}/"
    response = client.patch(url, {"purpose": "Ours."}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response.json()["purpose"] == "Ours."
    other = staff(Role.INCIDENT_MANAGER)
    with nothing_changed(Process, process):
        response = client.patch(url, {"owner": other.pk}, format="json")
    assert_error_body(response, 403, "permission_denied")


# --- /processes/{id}/raci/ ----------------------------------------------------------------------


def raci_url(process):
    return f"/api/v1/processes/{process.pk}/raci/"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_raci_read_and_write_by_role(role, customer_org):
    process = make_process()
    activity = add_activity(process, "Record", agent="R")
    client = api_client_for(person_for_role(role, customer_org))
    response = client.get(raci_url(process))
    if role not in READERS:
        assert_error_body(response, 404, "not_found")
    else:
        assert response.status_code == 200 and response["ETag"] == '"1"'
        assert response.json()["activities"][0]["raci"] == {Role.AGENT: "R"}
    payload = {
        "cells": [{"activity": activity.pk, "role": Role.INCIDENT_MANAGER, "responsibility": "A"}]
    }
    if role not in MANAGERS:
        with nothing_changed(Process, process), nothing_changed(RaciAssignment):
            response = client.patch(raci_url(process), payload, format="json")
        assert_error_body(response, 403 if role in READERS else 404)
        return
    mark = last_event_id()
    response = client.patch(raci_url(process), payload, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert response.json()["activities"][0]["raci"] == {Role.AGENT: "R", Role.INCIDENT_MANAGER: "A"}
    [event] = events_since(mark)
    assert (event.door, event.object_type, event.action) == (
        Door.API,
        "governance.process",
        "update",
    )


def test_raci_holders_put_stale_and_bad_input():
    manager = staff(Role.SMS_OWNER)
    holder = staff(Role.INCIDENT_MANAGER, first_name="Ines", last_name="Holder")
    staff(Role.INCIDENT_MANAGER, is_active=False)
    process = make_process()
    record = add_activity(process, "Record", incident_manager="A", agent="R")
    other = add_activity(make_process(), "Elsewhere")
    client = api_client_for(manager)
    body = client.get(raci_url(process)).json()
    column = next(c for c in body["roles"] if c["role"] == Role.INCIDENT_MANAGER)
    assert column["holders"] == [{"id": holder.pk, "name": str(holder)}]
    bad = [
        ({"cells": [{"activity": record.pk, "role": "wizard", "responsibility": "R"}]}, "cells"),
        ({"cells": [{"activity": record.pk, "role": "agent", "responsibility": "Z"}]}, "cells"),
        ({"cells": [{"activity": other.pk, "role": "agent", "responsibility": "R"}]}, "activity"),
        (
            {"cells": [{"activity": record.pk, "role": "agent", "responsibility": "A"}]},
            "responsibility",
        ),
        ({"cells": "nope"}, "cells"),
    ]
    for payload, field in bad:
        with nothing_changed(Process, process), nothing_changed(RaciAssignment):
            response = client.patch(raci_url(process), payload, format="json")
        body = assert_error_body(response, 400, "invalid", [field])
        if field == "responsibility":
            assert "Incident manager" in body["errors"][field][0]
    with nothing_changed(Process, process):
        response = client.put(raci_url(process), {"cells": []}, format="json", HTTP_IF_MATCH='"0"')
    assert_error_body(response, 412, "stale_version")
    # PUT replaces the matrix: the cells not listed are cleared.
    response = client.put(
        raci_url(process),
        {"cells": [{"activity": record.pk, "role": "agent", "responsibility": "a"}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert response.json()["activities"][0]["raci"] == {Role.AGENT: "A"}


def test_raci_matrix_queries_do_not_grow_with_activities_and_roles():
    process = make_process()
    client = api_client_for(staff(Role.AUDITOR))
    roles = list(Role.values)

    def grow(n):
        for _ in range(n):
            i = process.activities.count()
            add_activity(process, f"Step {i}", **{roles[i % len(roles)]: "A"})
            staff(roles[i % 11])

    def call():
        assert client.get(raci_url(process)).status_code == 200
        assert client.get(f"/api/v1/processes/{process.pk}/").status_code == 200

    assert_constant_queries(call, grow)


def test_activities_through_the_api():
    owner = staff(Role.INCIDENT_MANAGER)
    process = make_process(owner=owner)
    client = api_client_for(owner)
    url = f"/api/v1/processes/{process.pk}/activities/"
    response = client.post(url, {"name": "Triage"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"2"'
    [activity] = response.json()["activities"]
    assert (activity["name"], activity["position"]) == ("Triage", 10)
    with nothing_changed(Process, process):
        response = client.post(url, {"name": "triage"}, format="json")
    assert_error_body(response, 400, "invalid", ["name"])
    with nothing_changed(Process, process):
        response = client.patch(
            f"{url}{activity['id']}/", {"name": "Sort"}, format="json", HTTP_IF_MATCH='"1"'
        )
    assert_error_body(response, 412, "stale_version")
    response = client.patch(f"{url}{activity['id']}/", {"position": 3}, format="json")
    assert response.json()["activities"][0]["position"] == 3
    other = add_activity(make_process(), "Foreign")
    assert_error_body(client.delete(f"{url}{other.pk}/"), 404, "not_found")
    reader = api_client_for(staff(Role.AGENT))
    with nothing_changed(Process, process):
        assert_error_body(reader.delete(f"{url}{activity['id']}/"), 403, "permission_denied")
    response = client.delete(f"{url}{activity['id']}/", HTTP_IF_MATCH='"3"')
    assert response.status_code == 200 and response.json()["activities"] == []
    manager = api_client_for(staff(Role.SMS_OWNER))
    with nothing_changed(Process, process):
        response = manager.delete(f"/api/v1/processes/{process.pk}/")
    assert_error_body(response, 405, "method_not_allowed")
