"""Pages of the process register for every role: list (with the standard set button), a
process with its matrix, create and edit forms, the matrix editor and activities, and the
responsibilities of a person."""

from __future__ import annotations

import itertools

import pytest
from django.utils.html import escape

from accord.core.choices import Role
from accord.governance.models import Document, Objective, Process, RaciAssignment
from tests.base import (
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    PageTests,
    RecordPageTests,
    assert_constant_queries,
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


class TestProcessList(ListPageTests):
    page_roles = READERS

    def url(self, obj):
        return "/governance/processes/"

    def make_object(self, organisation):
        return make_process(name="Incident management")

    def make_rows(self, organisation, n):
        return [make_rich_process() for _ in range(n)]

    def shows(self, obj):
        return ["Processes", "Incident management"]


class TestProcessDetail(RecordPageTests):
    page_roles = READERS

    def url(self, obj):
        return f"/governance/processes/{obj.pk}/"

    def make_object(self, organisation):
        definition = Document.objects.create(
            reference="DOC-1",
            title="Incident process definition",
            kind="process_definition",
            owner=staff(Role.SMS_OWNER),
            approver_role=Role.SMS_OWNER,
        )
        process = make_rich_process(roles=2, activities=1, definition=definition)
        add_activity(process, "Draft step", agent="R")
        return process

    def shows(self, obj):
        return [
            obj.name,
            "Activity 1",
            "Top management",
            "Without an Accountable role",
            "Draft step",
            "Incident process definition",
        ]


class TestProcessCreatePage(CreatePageTests):
    page_roles = MANAGERS
    model = Process
    create_url = "/governance/processes/new/"
    invalid_form = [
        Invalid("code", {"code": "not a slug"}),
        Invalid("kpis", {"kpis": "x" * 300}),
        Invalid("owner_role", {"owner_role": "wizard"}),
    ]

    def form_data(self, organisation):
        return {"code": f"page-{next(_codes)}", "name": "Demand", "position": 5, "is_active": "on"}


class TestProcessEditPage(FormPageTests):
    page_roles = MANAGERS
    outsider_role = Role.TOP_MANAGEMENT
    model = Process
    invalid_form = [Invalid("name", {"name": ""}), Invalid("code", {"code": "a b"})]

    def url(self, obj):
        return f"/governance/processes/{obj.pk}/edit/"

    def make_object(self, organisation):
        return make_process()

    def form_data(self, obj):
        return {
            "version": obj.version,
            "code": obj.code,
            "name": "Renamed",
            "clause": obj.clause,
            "purpose": obj.purpose,
            "owner_role": obj.owner_role,
            "kpis": obj.kpis,
            "position": obj.position,
            "is_active": "on",
        }


class TestRaciEditPage(PageTests):
    page_roles = MANAGERS

    def url(self, obj):
        return f"/governance/processes/{obj.pk}/raci/"

    def make_object(self, organisation):
        process = make_process()
        add_activity(process, "Record", agent="R")
        return process

    def shows(self, obj):
        return ["RACI of", "Record", "Save matrix", "Add activity"]


def cell(activity, role):
    return f"cell_{activity.pk}__{role}"


def test_owner_edits_purpose_and_matrix_but_not_the_owner(client):
    owner = staff(Role.INCIDENT_MANAGER)
    process = make_process(owner=owner)
    activity = add_activity(process, "Record", agent="R")
    client.force_login(owner)
    page = client.get(f"/governance/processes/{process.pk}/edit/")
    assert page.status_code == 200 and "owner" not in page.context["form"].fields
    response = client.post(
        f"/governance/processes/{process.pk}/edit/",
        {"version": 1, "purpose": "Ours.", "kpis": "K1", "owner": staff(Role.AGENT).pk},
    )
    assert response.status_code == 302
    process.refresh_from_db()
    assert (process.purpose, process.owner) == ("Ours.", owner)
    response = client.post(
        f"/governance/processes/{process.pk}/raci/",
        {"version": process.version, cell(activity, Role.AGENT): "A"},
    )
    assert response.status_code == 302
    assert RaciAssignment.objects.get(activity=activity).responsibility == "A"
    client.force_login(staff(Role.INCIDENT_MANAGER))
    assert client.get(f"/governance/processes/{process.pk}/raci/").status_code == 403


def test_matrix_form_stale_second_a_new_role_and_activities(client):
    process = make_process()
    record = add_activity(process, "Record", incident_manager="A", agent="R")
    client.force_login(staff(Role.SMS_OWNER))
    url = f"/governance/processes/{process.pk}/raci/"
    page = client.get(url)
    assert f'name="{cell(record, Role.AGENT)}"' in page.content.decode()
    # A second A is refused with the name of the role accountable now.
    with nothing_changed(Process, process), nothing_changed(RaciAssignment):
        response = client.post(
            url,
            {"version": 1, cell(record, Role.INCIDENT_MANAGER): "A", cell(record, Role.AGENT): "A"},
        )
    assert response.status_code == 400
    assert "already has an Accountable role: Incident manager" in response.content.decode()
    # A stale save is refused, and the page shows the matrix as stored now.
    process.version = 5
    Process.objects.filter(pk=process.pk).update(version=5)
    RaciAssignment.objects.filter(activity=record, role=Role.AGENT).update(responsibility="C")
    with nothing_changed(Process, process), nothing_changed(RaciAssignment):
        response = client.post(url, {"version": 1, cell(record, Role.AGENT): "I"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "changed by someone else" in content
    assert '<option value="C" selected>' in content and 'value="5"' in content
    # Adding a role column saves and shows the new column.
    response = client.post(
        url, {"version": 5, cell(record, Role.AGENT): "R", "add_role": "auditor"}
    )
    assert response.status_code == 200
    assert f'name="{cell(record, Role.AUDITOR)}"' in response.content.decode()
    # Activities: add, rename, remove (each with the process's version).
    version = Process.objects.get(pk=process.pk).version
    response = client.post(
        f"/governance/processes/{process.pk}/activities/", {"version": version, "name": "Close"}
    )
    assert response.status_code == 302
    close = process.activities.get(name="Close")
    response = client.post(
        f"/governance/processes/{process.pk}/activities/{close.pk}/",
        {"version": version, "name": "Close it"},
    )
    assert response.status_code == 400 and "changed by someone else" in response.content.decode()
    response = client.post(
        f"/governance/processes/{process.pk}/activities/{close.pk}/remove/",
        {"version": version + 1},
    )
    assert response.status_code == 302 and not process.activities.filter(pk=close.pk).exists()
    other = add_activity(make_process(), "Foreign")
    response = client.post(
        f"/governance/processes/{process.pk}/activities/{other.pk}/remove/", {"version": 1}
    )
    assert response.status_code == 404


def test_matrix_page_queries_do_not_grow_with_activities_and_roles(client):
    process = make_process()
    client.force_login(staff(Role.SMS_OWNER))
    roles = list(Role.values)

    def grow(n):
        for _ in range(n):
            i = process.activities.count()
            add_activity(process, f"Step {i}", **{roles[i % len(roles)]: "A"})
            staff(roles[i % 11])

    def call():
        assert client.get(f"/governance/processes/{process.pk}/").status_code == 200
        assert client.get(f"/governance/processes/{process.pk}/raci/").status_code == 200

    assert_constant_queries(call, grow)


def test_standard_processes_button(client):
    client.force_login(staff(Role.TOP_MANAGEMENT))
    assert "Load the standard processes" in client.get("/governance/processes/").content.decode()
    response = client.post("/governance/processes/standard/", follow=True)
    assert "Standard processes loaded" in response.content.decode()
    assert Process.objects.filter(code="incident").exists()
    assert "Load the standard processes" not in response.content.decode()
    client.force_login(staff(Role.AUDITOR))
    with nothing_changed(Process):
        assert client.post("/governance/processes/standard/").status_code == 403


# --- responsibilities -------------------------------------------------------------------------


def responsible_person():
    person = staff(Role.INCIDENT_MANAGER, first_name="Ria", last_name="Owner")
    owned = make_process(name="Incident management", owner=person)
    add_activity(owned, "Resolve and close", incident_manager="A", agent="R")
    Document.objects.create(
        reference="DOC-9",
        title="Major incident procedure",
        kind="procedure",
        owner=person,
        approver_role=Role.SMS_OWNER,
    )
    Objective.objects.create(
        reference="OBJ-9",
        title="Restore faster",
        owner=person,
        target=4,
        period_start="2026-01-01",
        period_end="2026-12-31",
    )
    return person


class TestResponsibilitiesPage(PageTests):
    page_roles = READERS

    def url(self, obj):
        return f"/governance/people/{obj.pk}/responsibilities/"

    def make_object(self, organisation):
        return responsible_person()

    def shows(self, obj):
        return [
            "Responsibilities of Ria Owner",
            "Incident manager",
            "Runs incident management, major incidents and escalation.",
            "Incident management",
            "Resolve and close",
            "Major incident procedure",
            "Restore faster",
        ]


@pytest.mark.parametrize("role", [Role.CUSTOMER_USER, Role.AGENT])
def test_a_person_sees_their_own_responsibilities(role, client, customer_org):
    person = person_for_role(role, customer_org)
    client.force_login(person)
    response = client.get(f"/governance/people/{person.pk}/responsibilities/")
    assert response.status_code == 200
    assert escape("Customer user" if role == Role.CUSTOMER_USER else "Service desk agent") in (
        response.content.decode()
    )
    assert client.get("/governance/people/987654/responsibilities/").status_code in (403, 404)


def test_unknown_person_is_404_for_staff(client):
    client.force_login(staff(Role.AUDITOR))
    assert client.get("/governance/people/987654/responsibilities/").status_code == 404


def test_list_flags_activities_without_an_accountable_and_filters(client):
    process = make_rich_process(roles=2, activities=2)
    add_activity(process, "Draft step", agent="R")
    make_process(name="Retired one", is_active=False)
    client.force_login(staff(Role.AGENT))
    content = client.get("/governance/processes/").content.decode()
    assert "1 without A" in content
    content = client.get("/governance/processes/?is_active=false").content.decode()
    assert "Retired one" in content and process.name not in content
    assert client.get("/governance/processes/?owner=abc").status_code == 400
