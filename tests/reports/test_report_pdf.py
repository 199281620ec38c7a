"""The service report as a PDF: it opens, its text can be extracted and carries the
agreement's code, the section titles and the chart's text; it is named after the agreement and
the period; and it renders with the real sections too."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from accord.core.choices import Role
from tests.factories import person_with_role
from tests.reports.factories import report_sla
from tests.reports.test_report_pages import fake_sections, last_period, query

pytestmark = pytest.mark.django_db

PDF = "/reports/service/pdf/"


def text_of(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_of_an_agreement_report(client, monkeypatch):
    monkeypatch.setattr("accord.reports.builder.all_sections", lambda: fake_sections())
    agreement, _, customer = report_sla()
    client.force_login(person_with_role(Role.SERVICE_LEVEL_MANAGER))
    response = client.get(PDF, query(agreement))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    stem = f"service-report-{agreement.code.lower()}-{last_period()}"
    assert response["Content-Disposition"] == f'attachment; filename="{stem}.pdf"'
    pages, text = text_of(response.content)
    assert pages >= 1
    for expected in (agreement.code, customer.name, "Fake figures", "Chart label 77", "Page 1"):
        assert expected in text, expected
    assert "59 more not shown" in text


def test_pdf_with_the_real_sections(client):
    agreement, _, _ = report_sla()
    client.force_login(person_with_role(Role.AUDITOR))
    response = client.get(PDF, query(agreement))
    assert response.status_code == 200
    pages, text = text_of(response.content)
    assert pages >= 1 and agreement.code in text


def test_pdf_of_the_provider_wide_report(client, monkeypatch):
    monkeypatch.setattr("accord.reports.builder.all_sections", lambda: fake_sections())
    client.force_login(person_with_role(Role.AUDITOR))
    response = client.get(PDF, query())
    assert response.status_code == 200
    assert (
        f'filename="service-report-all-services-{last_period()}.pdf"'
        in (response["Content-Disposition"])
    )
    assert "All services" in text_of(response.content)[1]
