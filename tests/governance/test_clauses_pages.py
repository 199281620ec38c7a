"""Pages of the clause register: the register, a clause, the assessment form."""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from accord.governance.choices import DocumentKind
from accord.governance.models import Clause
from tests.base import (
    FormPageTests,
    Invalid,
    ListPageTests,
    RecordPageTests,
    assert_constant_queries,
    person_for_role,
    roles_with,
)
from tests.factories import AgreementFactory, ServiceFactory, make_incident
from tests.governance.clauses_factories import approved_document

READERS = roles_with("governance.view")
ASSESSORS = roles_with("clauses.assess")
#: The register computes each evidence function once (about two queries each, 9.2, 9.3 and 10.1
#: included): its queries stay under this bound.
MAX_REGISTER_QUERIES = 62


def grow_records(n):
    """Services (some with an SLA) and incidents: what the evidence counts."""
    for i in range(n):
        service = ServiceFactory()
        if i % 2:
            AgreementFactory(services=[service])
        make_incident(service=service)


class TestRegisterPage(ListPageTests):
    page_roles = READERS

    def url(self, obj):
        return "/governance/clauses/"

    def shows(self, obj):
        return [
            "4.3 Scope of the SMS",
            "10.2 Continual improvement",
            "Not in Accord yet",
            "Continuity plans and tests arrive with continuity management",
            "All clauses",
        ]

    def make_rows(self, organisation, n):
        grow_records(n)


class TestClausePage(RecordPageTests):
    page_roles = READERS

    def make_object(self, organisation):
        return Clause.objects.get(number="8.3.3")

    def url(self, obj):
        return f"/governance/clauses/{obj.number}/"

    def shows(self, obj):
        return ["8.3.3 Service level management", "Evidence in Accord", "Active SLAs"]


class TestAssessPage(FormPageTests):
    page_roles = ASSESSORS
    outsider_role = Role.SMS_OWNER
    model = Clause
    invalid_form = [
        Invalid("status", {"status": "perfect"}, "bad status"),
        Invalid("assessed_on", {"assessed_on": "2999-01-01"}, "future date"),
        Invalid("assessed_on", {"assessed_on": "yesterday"}, "not a date"),
    ]

    def make_object(self, organisation):
        return Clause.objects.get(number="5.2")

    def url(self, obj):
        return f"/governance/clauses/{obj.number}/assess/"

    def form_data(self, obj):
        return {"status": "partial", "notes": "Acknowledgements missing.", "version": obj.version}


@pytest.mark.django_db
def test_register_queries_are_bounded_and_do_not_grow_with_records(client, customer_org):
    client.force_login(person_for_role(Role.AUDITOR, customer_org))

    def call():
        assert client.get("/governance/clauses/").status_code == 200

    queries = assert_constant_queries(call, grow_records, rows=2, factor=2)
    assert len(queries) <= MAX_REGISTER_QUERIES, len(queries)


@pytest.mark.django_db
def test_register_shows_dashboard_counts_and_gap_hints(client, customer_org):
    Clause.objects.filter(number__in=["8", "8.1", "8.6.1"]).update(status="conforming")
    Clause.objects.filter(number="9.2").update(status="gap")
    ServiceFactory(code="WIKI")
    client.force_login(person_for_role(Role.SMS_OWNER, customer_org))
    response = client.get("/governance/clauses/")
    content = response.content.decode()
    summary = response.context["groups"]
    eight = next(g for g in summary if g["number"] == "8")
    assert [(s.status, s.count) for s in eight["segments"]][:2] == [
        ("not_assessed", eight["total"] - 3),
        ("conforming", 3),
    ]
    assert [g["number"] for g in summary] == ["4", "5", "6", "7", "8", "9", "10"]
    assert 'data-testid="conformity-all"' in content
    assert "1 gap hint" in content  # the live service without an SLA
    assert "See the evidence of 7.5." in content


@pytest.mark.django_db
def test_clause_page_shows_form_to_assessors_only_and_history_after_assessing(client, customer_org):
    policy = approved_document(DocumentKind.SMS_POLICY)
    clause = Clause.objects.get(number="5.2")
    owner = person_for_role(Role.SMS_OWNER, customer_org)
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    page = client.get(f"/governance/clauses/{clause.number}/").content.decode()
    assert 'data-testid="assess"' not in page and policy.reference in page
    client.force_login(owner)
    page = client.get(f"/governance/clauses/{clause.number}/").content.decode()
    assert 'data-testid="assess"' in page and 'name="version"' in page
    response = client.post(
        f"/governance/clauses/{clause.number}/assess/",
        {"status": "conforming", "notes": "Read by all.", "documents": [policy.pk], "version": 1},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Read by all." in page and "Conforming" in page
    assert "governance.clause" in page  # the assessment history from the audit trail
    assert list(Clause.objects.get(pk=clause.pk).documents.all()) == [policy]


@pytest.mark.django_db
def test_unknown_clause_is_404(client, customer_org):
    client.force_login(person_for_role(Role.SMS_OWNER, customer_org))
    assert client.get("/governance/clauses/11.9/").status_code == 404
    assert client.get("/governance/clauses/11.9/assess/").status_code == 404
