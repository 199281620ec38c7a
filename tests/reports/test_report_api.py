"""The service report API: the report as JSON with every figure, its PDF and one table as CSV;
who reads what (404 for a report out of reach), field errors for bad input (400, never a 500)
and the operations documented in the OpenAPI schema."""

from __future__ import annotations

import csv
import io

import pytest

from accord.core.choices import OrganisationKind, Role
from tests.base import ALL_ROLES, api_client_for, assert_error_body, person_for_role
from tests.factories import OrganisationFactory, PersonFactory, ServiceFactory, person_with_role
from tests.reports.factories import incident, report_sla
from tests.reports.test_report_pages import (
    BAD,
    CHART,
    CUSTOMER_READERS,
    FORMULA,
    READERS,
    expected_status,
    fake_sections,
    in_last_period,
    last_period,
    query,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/service/"
PDF = "/api/v1/reports/service/pdf/"
CSV = "/api/v1/reports/service/csv/"


@pytest.fixture(autouse=True)
def fake(monkeypatch):
    monkeypatch.setattr("accord.reports.builder.all_sections", lambda: fake_sections())


@pytest.fixture
def sla():
    agreement, _, _ = report_sla()
    return agreement


def test_report_json_carries_every_figure(sla):
    client = api_client_for(person_with_role(Role.SERVICE_LEVEL_MANAGER))
    response = client.get(URL, query(sla))
    assert response.status_code == 200
    body = response.json()
    meta = body["meta"]
    assert meta["kind"] == "agreement"
    assert meta["agreement"] == sla.pk and meta["agreement_code"] == sla.code
    assert meta["customer"] == sla.organisation.name
    assert meta["period"] == last_period() and meta["zone"] == "Europe/Berlin"
    assert meta["start"].startswith(last_period()) and meta["generated_at"]
    [section] = body["sections"]
    assert section["key"] == "fake" and section["title"] == "Fake figures"
    assert section["figures"] == [
        ["Answer", 42],
        ["Nothing to measure", "—"],
        ["Scope", "agreement"],
    ]
    assert section["tables"][0]["columns"] == ["Reference", "Title", "Count"]
    assert section["tables"][0]["more"] == 59
    assert section["charts"] == [CHART]


def test_anonymous_is_refused():
    response = api_client_for(None).get(URL)
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_reports_by_role(sla, role):
    client = api_client_for(person_for_role(role, sla.organisation))
    assert client.get(URL, query(sla)).status_code == expected_status(role)
    wide = 200 if role in READERS else 404
    assert client.get(URL, query(service=sla.services.first())).status_code == wide
    response = client.get(URL, query())
    assert response.status_code == wide
    if wide == 404:
        assert_error_body(response, 404)


def test_customer_manager_gets_404_for_another_organisation(sla):
    manager = PersonFactory(organisation=sla.organisation, roles=[Role.CUSTOMER_MANAGER])
    assert Role.CUSTOMER_MANAGER in CUSTOMER_READERS
    client = api_client_for(manager)
    other, _, _ = report_sla()
    assert client.get(URL, query(sla)).status_code == 200
    for url in (URL, PDF, CSV):
        response = client.get(url, {**query(other), "section": "fake", "table": 0})
        assert_error_body(response, 404)


@pytest.mark.parametrize(("field", "params"), BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_bad_query_answers_field_errors(field, params):
    client = api_client_for(person_with_role(Role.AUDITOR))
    for url in (URL, PDF, CSV):
        assert_error_body(client.get(url, params), 400, "invalid", [field])


def test_agreement_and_service_together(sla):
    client = api_client_for(person_with_role(Role.AGENT))
    response = client.get(URL, query(sla, service=ServiceFactory()))
    assert_error_body(response, 400, "invalid", ["service"])


def test_pdf_through_the_api(sla):
    client = api_client_for(person_with_role(Role.AUDITOR))
    response = client.get(PDF, query(sla))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    stem = f"service-report-{sla.code.lower()}-{last_period()}"
    assert response["Content-Disposition"] == f'attachment; filename="{stem}.pdf"'


def test_csv_through_the_api(monkeypatch, sla):
    known = incident(sla.services.first(), sla.organisation, opened_at=in_last_period())
    monkeypatch.setattr(
        "accord.reports.builder.all_sections", lambda: fake_sections([known.reference])
    )
    client = api_client_for(person_with_role(Role.AUDITOR))
    response = client.get(CSV, {**query(sla), "section": "fake", "table": 0})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [["Reference", "Title", "Count"], [known.reference, "'" + FORMULA, "3"]]
    missing = client.get(CSV, {**query(sla), "section": "fake", "table": 5})
    assert_error_body(missing, 400, "invalid", ["table"])
    assert_error_body(client.get(CSV, query(sla)), 400, "invalid", ["section"])


def test_customer_user_gets_404(sla):
    user = person_with_role(Role.CUSTOMER_USER, sla.organisation)
    for url in (URL, PDF, CSV):
        assert_error_body(api_client_for(user).get(url, query(sla)), 404)


def test_outsider_with_a_staff_role_reads_no_report(sla):
    """A staff role kept by someone of a customer organisation reaches no report."""
    other = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    client = api_client_for(PersonFactory(organisation=other, roles=[Role.AGENT]))
    assert_error_body(client.get(URL, query(sla)), 404)


def test_schema_documents_the_operations():
    schema = api_client_for(None).get("/api/schema/?format=json").json()
    for path in ("/api/v1/reports/service/", "/api/v1/reports/service/pdf/"):
        operation = schema["paths"][path]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"agreement", "service", "period", "start", "end"} <= names
        assert {"200", "400", "404"} <= set(operation["responses"])
    csv_names = {p["name"] for p in schema["paths"][CSV]["get"]["parameters"]}
    assert {"section", "table"} <= csv_names
