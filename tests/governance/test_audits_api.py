"""The internal audit API for every role: audits and programmes (list, read, create, PATCH
with If-Match), start/report/cancel with If-Match, the checklist and its answers, findings and
what they open, the permission matrix of conducting, bad input, immutability after the report,
filters and query counts."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.core.choices import Role
from accord.governance.choices import AuditStatus, ChecklistResult, FindingKind
from accord.governance.models import Audit, AuditProgramme, ChecklistItem, Finding
from accord.improvement.models import Nonconformity
from tests.base import (
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIDeleteTests,
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
from tests.factories import person_with_role
from tests.governance.audits_factories import (
    NOW,
    answer_all,
    item_of,
    make_programme,
    manager,
    plan_audit,
    raise_finding,
    reported_audit,
    rich_audit,
    staff,
    started_audit,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/audits/"
PROGRAMMES = "/api/v1/audit-programmes/"
READERS = roles_with("governance.view")
MANAGERS = roles_with("audits.manage")


def detail(audit: Audit) -> str:
    return f"{URL}{audit.pk}/"


class TestAuditAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Audit
    readers = READERS
    writers = MANAGERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.TOP_MANAGEMENT, Role.SMS_OWNER}
    query_count_role = Role.AUDITOR
    invalid_create = [
        Invalid("planned_end", {"planned_end": "2026-03-01"}, "period reversed"),
        Invalid("lead_auditor", {"lead_auditor": 987654}, "unknown lead"),
        Invalid("clauses", {"clauses": ["99.1"]}, "unknown clause"),
        Invalid("title", {"title": " "}),
        Invalid("planned_start", {"planned_start": "someday"}),
        Invalid("auditors", {"auditors": [2**70]}, "id out of range"),
    ]
    invalid_update = [
        Invalid("planned_end", {"planned_end": "2020-01-01"}, "period reversed"),
        Invalid("clauses", {"clauses": ["4.9"]}),
        Invalid("programme", {"programme": 987654}),
    ]

    def make_object(self, organisation):
        return plan_audit()

    def make_rows(self, organisation, n):
        return [rich_audit() for _ in range(n)]

    def create_payload(self, organisation):
        return {
            "title": "Incident management 2026",
            "planned_start": "2026-03-09",
            "planned_end": "2026-03-13",
            "lead_auditor": staff().pk,
            "auditors": [staff().pk],
            "clauses": ["8.6"],
        }

    def update_payload(self, obj):
        return {"title": "Incident and request management"}


class TestProgrammeAPI(APIReadTests, APICreateTests, APIUpdateTests, APIDeleteTests):
    url = PROGRAMMES
    model = AuditProgramme
    readers = READERS
    writers = MANAGERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.SMS_OWNER}
    query_count_role = Role.AUDITOR
    invalid_create = [
        Invalid("ends_on", {"ends_on": "2025-01-01"}, "period reversed"),
        Invalid("owner", {"owner": 987654}),
        Invalid("title", {"title": ""}),
    ]
    invalid_update = [Invalid("ends_on", {"ends_on": "2025-01-01"})]

    def make_object(self, organisation):
        return make_programme()

    def create_payload(self, organisation):
        return {
            "title": "Audits 2027",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "owner": manager().pk,
        }

    def update_payload(self, obj):
        return {"title": "Audits of the year"}


# --- moves with If-Match ------------------------------------------------------------------------


def test_start_draws_the_checklist_and_honours_if_match():
    audit = plan_audit(clauses=["8.6"])
    client = api_client_for(manager())
    with nothing_changed(Audit, audit):
        stale = client.post(f"{detail(audit)}start/", HTTP_IF_MATCH='"7"')
    assert_error_body(stale, 412, "stale_version")
    response = client.post(f"{detail(audit)}start/", HTTP_IF_MATCH=f'"{audit.version}"')
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "in_progress"
    assert response["ETag"] == f'"{audit.version + 1}"'
    items = client.get(f"{detail(audit)}checklist/").json()
    assert [i["clause"] for i in items] == ["8.6", "8.6.1", "8.6.2", "8.6.3"]
    assert all(i["result"] == "open" and i["question"].endswith("?") for i in items)


def test_start_refused_for_conflicted_team_says_why():
    lead = staff(Role.SERVICE_OWNER, first_name="Sam", last_name="Owner")
    from tests.factories import ServiceFactory

    mail = ServiceFactory(name="Email", owner=lead)
    audit = plan_audit(lead_auditor=lead)
    Audit.services.through.objects.create(audit=audit, service=mail)  # scope grew meanwhile
    response = api_client_for(manager()).post(f"{detail(audit)}start/")
    body = assert_error_body(response, 400, "invalid", ["lead_auditor"])
    assert body["errors"]["lead_auditor"] == ["Sam Owner owns the service Email (in scope)."]


def test_create_refuses_a_team_member_who_audits_their_own_work():
    from tests.factories import ServiceFactory

    owner = staff(Role.SERVICE_OWNER, first_name="Sam", last_name="Owner")
    mail = ServiceFactory(name="Email", owner=owner)
    payload = {
        "title": "Email",
        "planned_start": "2026-03-09",
        "planned_end": "2026-03-13",
        "lead_auditor": staff().pk,
        "auditors": [owner.pk],
        "services": [mail.pk],
    }
    with nothing_changed(Audit):
        response = api_client_for(manager()).post(URL, payload, format="json")
    body = assert_error_body(response, 400, "invalid", ["auditors"])
    assert body["errors"]["auditors"] == ["Sam Owner owns the service Email (in scope)."]


def test_cancel_and_report_honour_if_match():
    audit = started_audit()
    client = api_client_for(manager())
    with nothing_changed(Audit, audit):
        response = client.post(f"{detail(audit)}cancel/", {"reason": "x"}, HTTP_IF_MATCH='"1"')
    assert_error_body(response, 412, "stale_version")
    lead = api_client_for(audit.lead_auditor)
    answer_all(audit)
    with nothing_changed(Audit, audit):
        response = lead.post(
            f"{detail(audit)}report/", {"summary": "S", "conclusion": "C"}, HTTP_IF_MATCH='"1"'
        )
    assert_error_body(response, 412, "stale_version")


def test_report_refused_with_open_questions_then_issued_and_frozen():
    audit = started_audit(clauses=["8.6.1", "8.6.2"])
    lead = api_client_for(audit.lead_auditor)
    item = item_of(audit, "8.6.1")
    lead.post(f"{detail(audit)}checklist/{item.pk}/answer/", {"result": "not_applicable"})
    payload = {"summary": "Sampled.", "conclusion": "Conforming."}
    with nothing_changed(Audit, audit):
        response = lead.post(f"{detail(audit)}report/", payload, format="json")
    body = assert_error_body(response, 400, "invalid", ["checklist"])
    assert "still open for 8.6.2" in body["errors"]["checklist"][0]
    answer_all(audit)
    response = lead.post(f"{detail(audit)}report/", payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "reported"
    assert "## Checklist" in response.json()["report"]


def test_nothing_changes_through_the_api_after_the_report():
    audit = reported_audit()
    lead = api_client_for(audit.lead_auditor)
    item = audit.checklist.first()
    with nothing_changed(Audit, audit), nothing_changed(Finding):
        patch = api_client_for(manager()).patch(detail(audit), {"title": "x"}, format="json")
        answer = lead.post(f"{detail(audit)}checklist/{item.pk}/answer/", {"result": "conforming"})
        finding = lead.post(
            f"{detail(audit)}findings/",
            {"kind": "observation", "title": "x", "statement": "y"},
            format="json",
        )
    for response in (patch, answer, finding):
        body = assert_error_body(response, 400, "invalid")
        assert "no longer change" in str(body["errors"])


# --- conducting: who may ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("lead", 200),
        ("auditor_on_team", 200),
        ("staff_not_on_team", 403),
        (Role.SMS_OWNER, 403),
        (Role.AUDITOR, 403),
        (Role.CUSTOMER_USER, 404),
        (Role.CUSTOMER_MANAGER, 404),
    ],
)
def test_answer_permission_matrix(who, expected):
    member = staff()
    audit = started_audit(auditors=[member])
    person = {
        "lead": audit.lead_auditor,
        "auditor_on_team": member,
        "staff_not_on_team": staff(),
    }.get(who) or person_with_role(who)
    item = item_of(audit, "8.6")
    response = api_client_for(person).post(
        f"{detail(audit)}checklist/{item.pk}/answer/",
        {"result": "conforming", "notes": "Seen."},
        format="json",
    )
    if expected == 200:
        assert response.status_code == 200, response.json()
        assert response.json()["result"] == "conforming"
        assert response.json()["checked_by"] == person.pk
    else:
        assert_error_body(response, expected)
        assert ChecklistItem.objects.get(pk=item.pk).result == ChecklistResult.OPEN


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("lead", 201),
        ("staff_not_on_team", 403),
        (Role.TOP_MANAGEMENT, 403),
        (Role.AUDITOR, 403),
        (Role.CUSTOMER_MANAGER, 404),
    ],
)
def test_finding_permission_matrix(who, expected):
    audit = started_audit()
    person = {"lead": audit.lead_auditor, "staff_not_on_team": staff()}.get(
        who
    ) or person_with_role(who)
    payload = {"kind": "observation", "title": "Notes thin", "statement": "Few notes."}
    response = api_client_for(person).post(f"{detail(audit)}findings/", payload, format="json")
    if expected == 201:
        assert response.status_code == 201, response.json()
        assert response.json()["reference"].startswith("FND-")
    else:
        assert_error_body(response, expected)
        assert not Finding.objects.filter(audit=audit).exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.AGENT, Role.SERVICE_OWNER])
def test_readers_who_do_not_manage_cannot_start_or_cancel(role):
    audit = plan_audit()
    client = api_client_for(staff(role))
    with nothing_changed(Audit, audit):
        assert_error_body(client.post(f"{detail(audit)}start/"), 403, "permission_denied")
        response = client.post(f"{detail(audit)}cancel/", {"reason": "x"}, format="json")
        assert_error_body(response, 403, "permission_denied")


def test_customers_find_nothing():
    audit = started_audit()
    programme = make_programme()
    client = api_client_for(person_with_role(Role.CUSTOMER_MANAGER))
    assert result_ids(client.get(URL)) == []
    assert result_ids(client.get(PROGRAMMES)) == []
    for url in (
        detail(audit),
        f"{detail(audit)}checklist/",
        f"{detail(audit)}findings/",
        f"{PROGRAMMES}{programme.pk}/",
    ):
        assert_error_body(client.get(url), 404, "not_found")
    with nothing_changed(Audit, audit):
        assert_error_body(client.post(f"{detail(audit)}cancel/", {"reason": "x"}), 404)


# --- answers and findings -------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [{"result": "open"}, {"result": "great"}, {}])
def test_bad_answer_is_400_and_changes_nothing(payload):
    audit = started_audit()
    item = item_of(audit, "8.6")
    with nothing_changed(Finding):
        response = api_client_for(audit.lead_auditor).post(
            f"{detail(audit)}checklist/{item.pk}/answer/", payload, format="json"
        )
    assert_error_body(response, 400, "invalid", ["result"])
    assert ChecklistItem.objects.get(pk=item.pk).result == ChecklistResult.OPEN


def test_answer_of_a_question_of_another_audit_is_404():
    audit, other = started_audit(), started_audit()
    response = api_client_for(audit.lead_auditor).post(
        f"{detail(audit)}checklist/{other.checklist.first().pk}/answer/", {"result": "conforming"}
    )
    assert_error_body(response, 404, "not_found")


def test_answer_stores_the_evidence_seen():
    audit = started_audit(clauses=["4.3"])
    item = item_of(audit, "4.3")
    response = api_client_for(audit.lead_auditor).post(
        f"{detail(audit)}checklist/{item.pk}/answer/", {"result": "conforming"}, format="json"
    )
    seen = response.json()["evidence_seen"]
    assert seen[0]["label"] == "Summary"
    assert any(row["label"] == "Live services in the portfolio" for row in seen)


def test_minor_finding_opens_a_nonconformity_and_lists_it():
    audit = started_audit()
    client = api_client_for(audit.lead_auditor)
    payload = {
        "kind": FindingKind.MINOR,
        "title": "Incidents closed without notes",
        "statement": "Two of five incidents sampled had no resolution notes.",
        "checklist_item": item_of(audit, "8.6.1").pk,
    }
    response = client.post(f"{detail(audit)}findings/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    nonconformity = Nonconformity.objects.get(finding_id=body["id"])
    assert body["clause"] == "8.6.1"
    assert body["nonconformity"] == {"id": nonconformity.pk, "reference": nonconformity.reference}
    listed = client.get(f"{detail(audit)}findings/").json()
    assert listed[0]["nonconformity"]["reference"] == nonconformity.reference


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "severe"}, "kind"),
        ({"statement": ""}, "statement"),
        ({"checklist_item": 987654}, "checklist_item"),
        ({"clause": "3.1"}, "clause"),
        ({"process": 2**70}, "process"),
    ],
)
def test_bad_finding_is_400_and_changes_nothing(payload, field):
    audit = started_audit()
    data = {"kind": "observation", "title": "T", "statement": "S", **payload}
    with nothing_changed(Finding):
        response = api_client_for(audit.lead_auditor).post(
            f"{detail(audit)}findings/", data, format="json"
        )
    assert_error_body(response, 400, "invalid", [field])


def test_findings_list_queries_do_not_grow():
    audit = started_audit()
    reader = staff(Role.AUDITOR)

    def call():
        assert api_client_for(reader).get(f"{detail(audit)}findings/").status_code == 200

    def grow(n):
        for i in range(n):
            kind = (FindingKind.MINOR, FindingKind.OPPORTUNITY, FindingKind.OBSERVATION)[i % 3]
            raise_finding(audit, kind=kind)

    assert_constant_queries(call, grow)


# --- filters and coverage -----------------------------------------------------------------------


def test_filters():
    programme = make_programme()
    planned = plan_audit(programme=programme)
    running = started_audit()
    later = plan_audit(planned_start=dt.date(2027, 2, 1), planned_end=dt.date(2027, 2, 3))
    client = api_client_for(staff(Role.AUDITOR))
    assert result_ids(client.get(URL, {"status": "in_progress"})) == [running.pk]
    assert result_ids(client.get(URL, {"programme": programme.pk})) == [planned.pk]
    assert result_ids(client.get(URL, {"year": 2027})) == [later.pk]
    for bad in ({"status": "dormant"}, {"year": "soon"}, {"programme": 2**70}):
        assert_error_body(client.get(URL, bad), 400, "invalid")


def test_programme_carries_its_coverage():
    programme = make_programme()
    plan_audit(programme=programme, clauses=["8.6"])
    body = api_client_for(staff(Role.AUDITOR)).get(f"{PROGRAMMES}{programme.pk}/").json()
    states = {row["key"]: row["state"] for row in body["coverage"]["clauses"]}
    assert states["8.6.1"] == "covered" and states["8"] == "partial" and states["9"] == "gap"


def test_programme_with_audits_is_not_deleted():
    programme = make_programme()
    plan_audit(programme=programme)
    with nothing_changed(AuditProgramme, programme):
        response = api_client_for(manager()).delete(f"{PROGRAMMES}{programme.pk}/")
    assert_error_body(response, 400, "invalid")


def test_schema_documents_the_audit_endpoints(admin_person):
    response = api_client_for(admin_person).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    for path in (
        "/api/v1/audits/",
        "/api/v1/audits/{id}/start/",
        "/api/v1/audits/{id}/report/",
        "/api/v1/audits/{id}/cancel/",
        "/api/v1/audits/{id}/checklist/",
        "/api/v1/audits/{id}/checklist/{item_id}/answer/",
        "/api/v1/audits/{id}/findings/",
        "/api/v1/audit-programmes/{id}/",
    ):
        assert path in paths, path
    assert AuditStatus.REPORTED and NOW
