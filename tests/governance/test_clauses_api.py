"""The clause register API: read by governance.view, assessed by clauses.assess only."""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from accord.governance.choices import DocumentKind
from accord.governance.models import Clause
from tests.base import (
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_error_body,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import ServiceFactory
from tests.governance.clauses_factories import ClauseFactory, approved_document

URL = "/api/v1/clauses/"


class TestClauseAPI(APIReadTests, APIUpdateTests):
    url = URL
    model = Clause
    readers = roles_with("governance.view")
    writers = roles_with("clauses.assess")
    invalid_update = [
        Invalid("status", {"status": "perfect"}, "bad status"),
        Invalid("documents", {"documents": [987654]}, "unknown document"),
        Invalid("assessed_on", {"assessed_on": "2999-01-01"}, "future date"),
        Invalid("notes", {"notes": ["not", "text"]}, "notes not text"),
    ]

    def make_object(self, organisation):
        return ClauseFactory()

    def update_payload(self, obj):
        return {"status": "partial", "notes": "Reviews are late."}


@pytest.fixture
def owner(customer_org):
    return person_for_role(Role.SMS_OWNER, customer_org)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_clauses_are_neither_created_replaced_nor_deleted(method, owner):
    clause = Clause.objects.get(number="4.3")
    url = URL if method == "post" else f"{URL}{clause.pk}/"
    with nothing_changed(Clause, clause):
        response = getattr(api_client_for(owner), method)(
            url, {"number": "11", "title": "x", "status": "gap"}, format="json"
        )
    assert_error_body(response, 405, "method_not_allowed")


def test_assess_links_documents_and_detail_carries_evidence(owner):
    scope = approved_document(DocumentKind.SMS_SCOPE)
    ServiceFactory()
    clause = Clause.objects.get(number="4.3")
    client = api_client_for(owner)
    response = client.patch(
        f"{URL}{clause.pk}/",
        {"status": "conforming", "documents": [scope.pk], "assessed_on": "2026-11-01"},
        format="json",
        HTTP_IF_MATCH=f'"{clause.version}"',
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["documents"] == [scope.pk] and body["assessed_by"] == owner.pk
    assert body["assessed_on"] == "2026-11-01" and body["parent"] == "4"
    evidence = body["evidence"]
    assert evidence["available"] is True
    assert evidence["summary"] == f"Scope {scope.reference} approved; 1 live services."
    assert {"label": "Live services in the portfolio", "value": 1, "link": "/services/"} in (
        evidence["items"]
    )


def test_list_is_light_unless_asked_and_filters_by_status_and_within(owner):
    client = api_client_for(owner)
    Clause.objects.filter(number="8.6.2").update(status="gap")
    rows = client.get(URL).json()["results"]
    assert [r["number"] for r in rows][:3] == ["4", "4.1", "4.2"]
    assert "evidence" not in rows[0] and len(rows) == Clause.objects.count()
    within = client.get(URL, {"within": "8.6", "evidence": "1"}).json()["results"]
    assert [r["number"] for r in within] == ["8.6", "8.6.1", "8.6.2", "8.6.3"]
    assert within[0]["evidence"] is None  # 8.6 shows its sub-clauses' evidence
    assert within[3]["evidence"]["available"] is True  # problem records
    gaps = client.get(URL, {"status": "gap"}).json()["results"]
    assert [r["number"] for r in gaps] == ["8.6.2"]
    assert [r["number"] for r in client.get(URL, {"within": "7.5"}).json()["results"]] == [
        "7.5",
        "7.5.1",
        "7.5.2",
        "7.5.3",
        "7.5.4",
    ]


@pytest.mark.parametrize("query", [{"within": "8.x"}, {"within": "'; drop"}, {"status": "meh"}])
def test_bad_filters_are_400(owner, query):
    assert_error_body(api_client_for(owner).get(URL, query), 400, "invalid")


def test_sub_clause_points_at_the_evidence_of_its_parent(owner):
    clause = Clause.objects.get(number="7.5.2")
    evidence = api_client_for(owner).get(f"{URL}{clause.pk}/").json()["evidence"]
    assert evidence["covered_by"] == "7.5"


def test_auditor_reads_evidence_but_cannot_assess(customer_org):
    auditor = person_for_role(Role.AUDITOR, customer_org)
    clause = Clause.objects.get(number="8.3.3")
    client = api_client_for(auditor)
    assert client.get(f"{URL}{clause.pk}/").json()["evidence"]["available"] is True
    with nothing_changed(Clause, clause):
        response = client.patch(f"{URL}{clause.pk}/", {"status": "gap"}, format="json")
    assert_error_body(response, 403, "permission_denied")
