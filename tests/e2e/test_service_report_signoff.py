"""A month's service report from the live figures to the customer's acknowledgement, in the
browser: the service level manager opens Reports, chooses the customer's agreement and last
month, saves it as a report version, writes the commentary, signs it off and sends it to the
customer's manager with the PDF attached. The mail reaches a real SMTP server with the signed
PDF, whose text carries the commentary and the agreement's code. The customer's manager opens
Service reports in the portal and acknowledges it with a remark; the service level manager
sees it acknowledged."""

from __future__ import annotations

import io
import time

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accord.core.choices import Role
from accord.notifications.services import send_outbox
from accord.reports.models import ServiceReport
from tests.factories import PASSWORD, PersonFactory, provider
from tests.notifications.smtp import Recorder, smtp_server
from tests.reports.version_factories import period, sla

pytestmark = pytest.mark.django_db(transaction=True)

COMMENTARY = "Resolution held above target; the two P1 breaches were reviewed with the desk."


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as server:
        yield server


def _click(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def _mail_to(smtp: Recorder, address: str, timeout: float = 20.0) -> list:
    """The mails the server accepted for ``address``, once the outbox has sent them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        send_outbox(timezone.now())
        received = smtp.to(address)
        if received:
            return received
        time.sleep(0.2)
    return []


def test_service_report_signed_sent_and_acknowledged(login, page, smtp):
    agreement = sla()
    agreement.code = "SLA-CONTOSO"
    agreement.name = "Contoso workplace services"
    agreement.save(update_fields=["code", "name"])
    PersonFactory(
        username="sam",
        first_name="Sam",
        last_name="Level",
        organisation=provider(),
        roles=[Role.SERVICE_LEVEL_MANAGER],
    )
    cora = PersonFactory(
        username="cora",
        first_name="Cora",
        last_name="Manager",
        email="cora@contoso.test",
        organisation=agreement.organisation,
        roles=[Role.CUSTOMER_MANAGER],
    )
    first, _ = period()

    # The service level manager chooses the agreement and last month on Reports.
    login("sam", PASSWORD)
    page.goto("/reports/")
    page.select_option("#id_agreement", str(agreement.pk))
    page.fill("#id_period", f"{first:%Y-%m}")
    _click(page, "Show the report")
    expect(page.locator("h1")).to_contain_text("SLA-CONTOSO")

    # Saved as a report version: a draft.
    _click(page, "Save as a report version")
    expect(page.get_by_test_id("status")).to_have_text("Draft")
    report = ServiceReport.objects.get()
    assert report.period_start == first and report.agreement_id == agreement.pk

    # The commentary, then the sign-off.
    page.fill("#id_commentary", COMMENTARY)
    _click(page, "Save the commentary")
    expect(page.get_by_test_id("commentary-text")).to_contain_text("reviewed with the desk")
    _click(page, "Sign off")
    expect(page.get_by_test_id("status")).to_have_text("Signed off")
    report.refresh_from_db()
    assert report.status == "signed" and report.pdf_sha256
    expect(page.get_by_test_id("pdf-sha256")).to_have_text(report.pdf_sha256)

    # Sent to the customer's manager with the PDF attached.
    page.get_by_label("Cora Manager <cora@contoso.test>", exact=False).check()
    expect(page.get_by_label("Attach the PDF")).to_be_checked()
    _click(page, "Send the report")
    expect(page.locator(".messages")).to_contain_text("sent to Cora Manager")

    [mail] = _mail_to(smtp, "cora@contoso.test")
    assert "SLA-CONTOSO" in mail.subject
    [(name, content_type, data)] = mail.attachments
    assert content_type == "application/pdf" and name.endswith(".pdf")
    assert data == bytes(report.pdf)
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages)
    flat = " ".join(text.split())
    assert "SLA-CONTOSO" in flat
    assert "reviewed with the desk" in flat

    # The customer's manager acknowledges it in the portal.
    page.context.clear_cookies()
    login("cora", PASSWORD)
    page.goto("/portal/")
    page.get_by_test_id("portal-reports-link").click()
    page.get_by_role("link", name=report.reference).click()
    expect(page.get_by_test_id("commentary")).to_contain_text("reviewed with the desk")
    page.fill("#id_comment", "Agreed; let us look at the P1 breaches in the next review.")
    _click(page, "Acknowledge this report")
    expect(page.get_by_test_id("acknowledgement")).to_contain_text("Acknowledged by Cora Manager")

    # The service level manager sees it acknowledged.
    page.context.clear_cookies()
    login("sam", PASSWORD)
    page.goto(f"/reports/versions/{report.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("Acknowledged")
    expect(page.get_by_test_id("acknowledgement")).to_contain_text("next review")
    report.refresh_from_db()
    assert report.status == "acknowledged" and report.acknowledged_by == cora
