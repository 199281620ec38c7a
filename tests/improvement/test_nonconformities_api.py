"""The nonconformity API: who reads, records and drives nonconformities (the auditor reads and
changes nothing, customers find nothing), the moves and the effectiveness check through the
API, corrective actions, If-Match, bad input and the list's filters and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.core.choices import Role
from accord.governance.choices import FindingKind
from accord.improvement.models import CorrectiveAction, Nonconformity
from accord.improvement.services import nonconformities as services
from tests.base import (
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    nothing_changed,
    result_ids,
    roles_with,
)
from tests.factories import ServiceFactory, person_with_role
from tests.improvement.nonconformity_factories import clause, make_finding, staff

pytestmark = pytest.mark.django_db

URL = "/api/v1/nonconformities/"
READERS = roles_with("improvement.view")
RAISERS = roles_with("improvement.raise")
MANAGERS = roles_with("improvement.manage")


def today() -> dt.date:
    return timezone.localdate()


def due(days: int = 14) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


def detail(obj) -> str:
    return f"{URL}{obj.pk}/"


def make_nc(owner=None, **data) -> Nonconformity:
    """A nonconformity recorded now through the service by its owner."""
    owner = owner or staff()
    payload = {
        "title": "Changes without approval",
        "description": "Two changes went live without a recorded approval.",
        **data,
    }
    return services.nonconformity_create(actor=owner, data=payload)


def with_action(owner=None, **data) -> Nonconformity:
    nc = make_nc(owner, **data)
    services.corrective_action_add(
        actor=nc.owner, nonconformity=nc, title="Approval step", owner=nc.owner, due_on=due(7)
    )
    return Nonconformity.objects.get(pk=nc.pk)


def awaiting_check(owner=None) -> Nonconformity:
    """Verifying, its check due today (so it may be made now)."""
    nc = with_action(owner)
    services.nonconformity_start(actor=nc.owner, nonconformity=nc, cause_analysis="No step")
    action = nc.actions.get()
    services.corrective_action_complete(actor=nc.owner, action=action, done_notes="Step added")
    Nonconformity.objects.filter(pk=nc.pk).update(effectiveness_due_on=today())
    return Nonconformity.objects.get(pk=nc.pk)


def test_the_role_map():
    assert Role.AUDITOR in READERS and Role.AUDITOR not in RAISERS | MANAGERS
    assert {Role.SMS_OWNER, Role.TOP_MANAGEMENT} == MANAGERS
    assert not (READERS & CUSTOMER_ROLE_SET)


class NonconformityEndpoint:
    url = URL
    model = Nonconformity
    readers = READERS
    query_count_role = Role.AUDITOR

    def make_object(self, organisation):
        return make_nc(service=ServiceFactory(), clause="8.5.1")

    def make_rows(self, organisation, n):
        rows = []
        for index in range(n):
            owner = staff(Role.CHANGE_MANAGER)
            nc = with_action(
                owner,
                title=f"Nonconformity {index}",
                service=ServiceFactory(),
                clause="8.5.1",
                severity="major",
                source="complaint",
                source_reference=f"CMP-{index:06d}",
            )
            CorrectiveAction.objects.create(
                nonconformity=nc, title="Late", owner=owner, due_on=today() - dt.timedelta(days=2)
            )
            finding = make_finding(FindingKind.MINOR, clause=clause("8.6.1"))
            services.nonconformity_from_finding(actor=owner, finding=finding)
            rows.append(nc)
        return rows


class TestNonconformityReadAndCreate(NonconformityEndpoint, APIReadTests, APICreateTests):
    writers = RAISERS
    invalid_create = [
        Invalid("title", {"title": ""}, "empty title"),
        Invalid("description", {"description": ""}, "empty description"),
        Invalid("source", {"source": "rumour"}, "unknown source"),
        Invalid("severity", {"severity": "fatal"}, "unknown severity"),
        Invalid("clause", {"clause": "99.9"}, "unknown clause"),
        Invalid("service", {"service": 987654321}, "unknown service"),
        Invalid("owner", {"owner": 987654321}, "unknown owner"),
    ]

    def create_payload(self, organisation):
        return {
            "title": "Tickets closed without agreement",
            "description": "Three incidents were closed without the caller's agreement.",
            "source": "complaint",
            "source_reference": "CMP-000012",
            "clause": "8.6.1",
            "service": ServiceFactory().pk,
            "severity": "minor",
            "correction": "Reopened the three incidents.",
        }


class TestNonconformityUpdateByManagers(NonconformityEndpoint, APIUpdateTests):
    """Anyone's nonconformity is driven by the improvement managers; other raisers drive only
    their own (see below)."""

    writers = MANAGERS
    invalid_update = [
        Invalid("title", {"title": ""}, "empty title"),
        Invalid("clause", {"clause": "99.9"}, "unknown clause"),
        Invalid(
            "effectiveness_due_on", {"effectiveness_due_on": "2000-01-01"}, "check in the past"
        ),
        Invalid("effectiveness_due_on", {"effectiveness_due_on": "soon"}, "not a date"),
    ]

    def update_payload(self, obj):
        return {"title": "Changes went live unapproved", "correction": "Rolled back"}


# --- what the record says -----------------------------------------------------------------------


def test_create_answers_the_full_record():
    person = staff(Role.AGENT)
    response = api_client_for(person).post(
        URL, {"title": "No approval", "description": "Seen on CHG-000101"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("NC-")
    assert (body["status"], body["source"], body["severity"]) == ("open", "other", "minor")
    assert body["owner"] == person.pk and body["raised_by"] == person.pk
    assert body["actions"] == [] and body["recurrences"] == []
    assert (body["recurring"], body["overdue_actions"]) == (False, 0)
    assert response["ETag"] == '"1"'


def test_list_filters():
    owner = staff()
    service = ServiceFactory()
    major = make_nc(owner, severity="major", clause="8.5.1", service=service)
    late = with_action(owner, clause="8.6.1")
    CorrectiveAction.objects.create(
        nonconformity=late, title="Late", owner=owner, due_on=today() - dt.timedelta(days=1)
    )
    plain = make_nc(owner, source="incident")
    client = api_client_for(person_with_role(Role.AUDITOR))
    assert result_ids(client.get(URL)) == [plain.pk, late.pk, major.pk]
    assert result_ids(client.get(URL, {"severity": "major"})) == [major.pk]
    assert result_ids(client.get(URL, {"clause": "8.6.1"})) == [late.pk]
    assert result_ids(client.get(URL, {"service": service.pk})) == [major.pk]
    assert result_ids(client.get(URL, {"source": "incident"})) == [plain.pk]
    assert result_ids(client.get(URL, {"overdue": "true"})) == [late.pk]
    assert result_ids(client.get(URL, {"recurring": "true"})) == []
    assert result_ids(client.get(URL, {"status": "open"})) == [plain.pk, late.pk, major.pk]
    assert result_ids(client.get(URL, {"q": plain.reference})) == [plain.pk]
    rows = {row["id"]: row for row in client.get(URL).json()["results"]}
    assert rows[late.pk]["overdue_actions"] == 1
    assert_error_body(client.get(URL, {"status": "someday"}), 400, "invalid", ["status"])


def test_recurring_filter_and_flag():
    sms = staff(Role.SMS_OWNER)
    first = awaiting_check()
    services.nonconformity_verify(actor=sms, nonconformity=first, effective=True, notes="Held")
    again = make_nc(clause=None)
    assert again.recurrence_of is None
    first.refresh_from_db()
    # Both on the same clause: record the recurrence.
    Nonconformity.objects.filter(pk=first.pk).update(clause=clause("8.5.1"))
    recurred = make_nc(clause="8.5.1")
    assert recurred.recurrence_of_id == first.pk
    client = api_client_for(sms)
    assert result_ids(client.get(URL, {"recurring": "true"})) == [recurred.pk, first.pk]
    body = client.get(detail(first)).json()
    assert body["recurring"] is True
    assert [r["reference"] for r in body["recurrences"]] == [recurred.reference]


def test_reading_costs_the_same_whatever_its_actions():
    owner = staff()
    nc = make_nc(owner)
    client = api_client_for(person_with_role(Role.AUDITOR))

    def call():
        assert client.get(detail(nc)).status_code == 200
        assert client.get(f"{detail(nc)}actions/").status_code == 200

    def grow(n):
        for _ in range(n):
            services.corrective_action_add(
                actor=owner, nonconformity=nc, title="Step", owner=staff(), due_on=due()
            )

    assert_constant_queries(call, grow)


# --- who may ------------------------------------------------------------------------------------


def test_customers_find_nothing(customer_org):
    nc = awaiting_check()
    [action] = nc.actions.all()
    for role in CUSTOMER_ROLE_SET:
        client = api_client_for(person_with_role(role, organisation=customer_org))
        assert result_ids(client.get(URL)) == []
        with nothing_changed(Nonconformity, nc), nothing_changed(CorrectiveAction, action):
            assert_error_body(client.get(detail(nc)), 404, "not_found")
            assert_error_body(client.get(f"{detail(nc)}actions/"), 404, "not_found")
            for path, payload in (
                ("start/", {}),
                ("ready/", {}),
                ("verify/", {"effective": True, "notes": "x"}),
                ("actions/", {"title": "x", "owner": nc.owner_id, "due_on": due()}),
                (f"actions/{action.pk}/complete/", {"done_notes": "x"}),
            ):
                response = client.post(f"{detail(nc)}{path}", payload, format="json")
                assert_error_body(response, 404, "not_found")


def test_the_auditor_reads_everything_and_changes_nothing():
    nc = with_action()
    [action] = nc.actions.all()
    auditor = api_client_for(person_with_role(Role.AUDITOR))
    body = auditor.get(detail(nc)).json()
    assert [a["title"] for a in body["actions"]] == ["Approval step"]
    with nothing_changed(Nonconformity, nc), nothing_changed(CorrectiveAction, action):
        assert_error_body(
            auditor.post(URL, {"title": "x", "description": "y"}, format="json"),
            403,
            "permission_denied",
        )
        for path, payload in (
            ("start/", {"cause_analysis": "x"}),
            ("ready/", {}),
            ("verify/", {"effective": True, "notes": "x"}),
            ("actions/", {"title": "x", "owner": nc.owner_id, "due_on": due()}),
            (f"actions/{action.pk}/complete/", {"done_notes": "x"}),
        ):
            response = auditor.post(f"{detail(nc)}{path}", payload, format="json")
            assert_error_body(response, 403, "permission_denied")


def test_the_owner_drives_their_own_and_other_raisers_may_not():
    owner = staff(Role.AGENT)
    nc = make_nc(owner)
    response = api_client_for(owner).patch(
        detail(nc), {"cause_analysis": "No step in the form"}, format="json"
    )
    assert response.status_code == 200, response.json()
    nc.refresh_from_db()
    colleague = api_client_for(staff(Role.AGENT))
    with nothing_changed(Nonconformity, nc), nothing_changed(CorrectiveAction):
        assert_error_body(
            colleague.patch(detail(nc), {"title": "Mine"}, format="json"), 403, "permission_denied"
        )
        assert_error_body(colleague.post(f"{detail(nc)}start/"), 403, "permission_denied")
        response = colleague.post(
            f"{detail(nc)}actions/",
            {"title": "Sneak", "owner": owner.pk, "due_on": due()},
            format="json",
        )
        assert_error_body(response, 403, "permission_denied")


def test_an_action_owner_completes_their_action_only():
    nc = make_nc()
    doer = staff(Role.CHANGE_MANAGER)
    mine = services.corrective_action_add(
        actor=nc.owner, nonconformity=nc, title="Mine", owner=doer, due_on=due()
    )
    theirs = services.corrective_action_add(
        actor=nc.owner, nonconformity=nc, title="Theirs", owner=nc.owner, due_on=due()
    )
    client = api_client_for(doer)
    with nothing_changed(CorrectiveAction, theirs):
        response = client.post(
            f"{detail(nc)}actions/{theirs.pk}/complete/", {"done_notes": "x"}, format="json"
        )
    assert_error_body(response, 403, "permission_denied")
    response = client.post(
        f"{detail(nc)}actions/{mine.pk}/complete/", {"done_notes": "Done"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["done_notes"] == "Done"
    other = make_nc()
    response = client.post(
        f"{detail(other)}actions/{mine.pk}/complete/", {"done_notes": "x"}, format="json"
    )
    assert response.status_code in (403, 404)


# --- the walk through the API -------------------------------------------------------------------


def test_from_record_to_closed():
    owner = staff(Role.PROBLEM_MANAGER)
    client = api_client_for(owner)
    response = client.post(
        URL,
        {"title": "No approval", "description": "CHG-000101 live unapproved", "clause": "8.5.1"},
        format="json",
    )
    nc = Nonconformity.objects.get(pk=response.json()["id"])

    with nothing_changed(Nonconformity, nc):
        response = client.post(f"{detail(nc)}start/", {}, format="json")
    assert_error_body(response, 400, "invalid", ["cause_analysis", "actions"])

    response = client.post(
        f"{detail(nc)}actions/",
        {"title": "Approval step", "owner": owner.pk, "due_on": due(3)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    action_id = response.json()["id"]
    assert client.get(f"{detail(nc)}actions/").json()[0]["id"] == action_id

    response = client.post(
        f"{detail(nc)}start/", {"cause_analysis": "The form has no step"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "in_progress"

    response = client.post(
        f"{detail(nc)}actions/{action_id}/complete/", {"done_notes": "Added"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = client.get(detail(nc)).json()
    check_day = today() + dt.timedelta(days=30)
    assert (body["status"], body["effectiveness_due_on"]) == ("verifying", check_day.isoformat())

    manager = api_client_for(staff(Role.SMS_OWNER))
    nc.refresh_from_db()
    with nothing_changed(Nonconformity, nc):
        response = manager.post(
            f"{detail(nc)}verify/", {"effective": True, "notes": "Held"}, format="json"
        )
    body = assert_error_body(response, 400, "invalid", ["effectiveness_due_on"])
    assert f"The effectiveness check is due on {check_day:%Y-%m-%d}" in str(body["errors"])

    Nonconformity.objects.filter(pk=nc.pk).update(effectiveness_due_on=today())
    response = manager.post(
        f"{detail(nc)}verify/", {"effective": False, "notes": "It happened again"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["checks_failed"], body["effectiveness_due_on"]) == (
        "in_progress",
        1,
        None,
    )
    response = client.post(f"{detail(nc)}ready/", {}, format="json")
    assert_error_body(response, 400, "invalid", ["actions"])


def test_effective_check_closes_and_nothing_changes_after():
    owner = staff()
    nc = awaiting_check(owner)
    manager = staff(Role.TOP_MANAGEMENT)
    response = api_client_for(manager).post(
        f"{detail(nc)}verify/",
        {"effective": True, "notes": "No unapproved change since"},
        format="json",
        HTTP_IF_MATCH=f'"{nc.version}"',
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["verified_by"]) == ("closed", manager.pk)
    assert body["closed_at"] is not None
    nc.refresh_from_db()
    with nothing_changed(Nonconformity, nc):
        response = api_client_for(owner).patch(detail(nc), {"title": "Again"}, format="json")
    assert_error_body(response, 400, "invalid")


def test_the_owner_may_not_check_even_as_manager():
    owner = staff(Role.SMS_OWNER)
    nc = awaiting_check(owner)
    with nothing_changed(Nonconformity, nc):
        response = api_client_for(owner).post(
            f"{detail(nc)}verify/", {"effective": True, "notes": "Mine"}, format="json"
        )
    assert_error_body(response, 403, "permission_denied")


def test_bad_input_on_the_actions_changes_nothing():
    nc = awaiting_check()
    manager = api_client_for(staff(Role.SMS_OWNER))
    with nothing_changed(Nonconformity, nc):
        assert_error_body(
            manager.post(f"{detail(nc)}verify/", {"notes": "x"}, format="json"),
            400,
            "invalid",
            ["effective"],
        )
        assert_error_body(
            manager.post(f"{detail(nc)}verify/", {"effective": True, "notes": ""}, format="json"),
            400,
            "invalid",
            ["notes"],
        )
    fresh = make_nc()
    client = api_client_for(fresh.owner)
    with nothing_changed(CorrectiveAction):
        response = client.post(
            f"{detail(fresh)}actions/",
            {"title": "", "owner": 987654321, "due_on": "2000-01-01"},
            format="json",
        )
        assert_error_body(response, 400, "invalid", ["title", "owner"])
        response = client.post(
            f"{detail(fresh)}actions/",
            {"title": "Late", "owner": fresh.owner_id, "due_on": "2000-01-01"},
            format="json",
        )
        assert_error_body(response, 400, "invalid", ["due_on"])
    action = services.corrective_action_add(
        actor=fresh.owner, nonconformity=fresh, title="x", owner=fresh.owner, due_on=due()
    )
    with nothing_changed(CorrectiveAction, action):
        response = client.post(
            f"{detail(fresh)}actions/{action.pk}/complete/", {"done_notes": ""}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["done_notes"])
    assert_error_body(
        client.post(f"{detail(fresh)}actions/987654/complete/", {}, format="json"),
        404,
        "not_found",
    )


def test_if_match_on_the_moves():
    nc = with_action()
    client = api_client_for(nc.owner)
    with nothing_changed(Nonconformity, nc):
        response = client.post(
            f"{detail(nc)}start/",
            {"cause_analysis": "x"},
            format="json",
            HTTP_IF_MATCH=f'"{nc.version + 5}"',
        )
    assert_error_body(response, 412, "stale_version")
    action = nc.actions.get()
    with nothing_changed(CorrectiveAction, action):
        response = client.post(
            f"{detail(nc)}actions/{action.pk}/complete/",
            {"done_notes": "x"},
            format="json",
            HTTP_IF_MATCH='"99"',
        )
    assert_error_body(response, 412, "stale_version")
