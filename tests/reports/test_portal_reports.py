"""Service reports in the customer portal: a customer's manager finds their organisation's
signed reports (never a draft, never another organisation's), reads one, downloads the PDF
exactly as it was signed and acknowledges it with a remark; everyone else gets 404 (staff are
told the portal is not for them); the list's queries do not grow with its rows."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from accord.core.choices import OrganisationKind, Role
from accord.notifications.models import Notification
from accord.reports.models import ServiceReport
from tests.base import STALE_TEXT, assert_constant_queries, nothing_changed
from tests.factories import OrganisationFactory, PersonFactory
from tests.reports.version_factories import (
    customer_manager,
    draft_report,
    period,
    signed_report,
    signed_rows,
    sla,
    slm,
)

pytestmark = pytest.mark.django_db

LIST = "/portal/reports/"


def page(report: ServiceReport, tail: str = "") -> str:
    return f"/portal/reports/{report.pk}/{tail}"


@pytest.fixture
def world():
    agreement = sla()
    manager = slm()
    signed = signed_report(agreement, actor=manager, commentary="Backlog **halved**.")
    first, _ = period()
    draft = draft_report(
        agreement,
        actor=manager,
        start=(first - dt.timedelta(days=1)).replace(day=1),
        end=first - dt.timedelta(days=1),
        commentary="Not for the customer yet.",
    )
    return {
        "sla": agreement,
        "signed": signed,
        "draft": draft,
        "slm": manager,
        "customer": customer_manager(agreement.organisation),
        "other_customer": customer_manager(OrganisationFactory(kind=OrganisationKind.CUSTOMER)),
        "customer_user": PersonFactory(
            organisation=agreement.organisation, roles=[Role.CUSTOMER_USER]
        ),
    }


def test_customer_manager_reads_signed_reports_only(client, world):
    client.force_login(world["customer"])
    home = client.get("/portal/").content.decode()
    assert 'data-testid="portal-reports-link"' in home
    html = client.get(LIST).content.decode()
    assert world["signed"].reference in html and world["draft"].reference not in html
    assert "awaits your acknowledgement" in html
    detail = client.get(page(world["signed"])).content.decode()
    assert world["sla"].code in detail and "<strong>halved</strong>" in detail
    assert 'data-section="' in detail and 'data-testid="acknowledge-form"' in detail
    assert client.get(page(world["draft"])).status_code == 404
    assert client.get(page(world["draft"], "pdf/")).status_code == 404


def test_pdf_is_the_signed_file_byte_for_byte(client, world):
    client.force_login(world["customer"])
    response = client.get(page(world["signed"], "pdf/"))
    assert response.status_code == 200
    assert response.content == bytes(world["signed"].pdf)
    assert hashlib.sha256(response.content).hexdigest() == world["signed"].pdf_sha256
    assert response["X-Content-SHA256"] == world["signed"].pdf_sha256


def test_customer_manager_acknowledges_with_a_remark(client, world):
    signed = world["signed"]
    client.force_login(world["customer"])
    response = client.post(
        page(signed, "acknowledge/"), {"version": signed.version, "comment": "Agreed."}
    )
    assert response.status_code == 302
    done = ServiceReport.objects.get(pk=signed.pk)
    assert done.status == "acknowledged" and done.acknowledgement == "Agreed."
    assert done.acknowledged_by == world["customer"]
    assert bytes(done.pdf) == bytes(signed.pdf)
    assert Notification.objects.filter(recipient=world["slm"], kind="report.acknowledged").exists()
    html = client.get(page(signed)).content.decode()
    assert "Acknowledged by" in html and 'data-testid="acknowledge-form"' not in html
    with nothing_changed(ServiceReport, done):
        again = client.post(page(signed, "acknowledge/"), {"version": done.version})
    assert again.status_code == 400


def test_stale_acknowledgement_is_refused(client, world):
    signed = world["signed"]
    client.force_login(world["customer"])
    with nothing_changed(ServiceReport, signed):
        response = client.post(page(signed, "acknowledge/"), {"version": signed.version + 5})
    assert response.status_code == 400 and STALE_TEXT in response.content.decode()
    with nothing_changed(ServiceReport, signed):
        response = client.post(page(signed, "acknowledge/"), {"version": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["other_customer", "customer_user"])
def test_others_get_404(client, world, who):
    client.force_login(world[who])
    listed = client.get(LIST)
    if who == "other_customer":  # a manager of their own organisation's reports: none of these
        assert listed.status_code == 200
        assert world["signed"].reference not in listed.content.decode()
    else:
        assert listed.status_code == 404
    for report in (world["signed"], world["draft"]):
        for tail in ("", "pdf/"):
            assert client.get(page(report, tail)).status_code == 404
        with nothing_changed(ServiceReport, report):
            response = client.post(page(report, "acknowledge/"), {"version": report.version})
        assert response.status_code == 404
    if who == "customer_user":
        assert 'data-testid="portal-reports-link"' not in client.get("/portal/").content.decode()


def test_staff_are_not_portal_users(client, world):
    client.force_login(world["slm"])
    assert client.get(LIST).status_code == 403
    with nothing_changed(ServiceReport, world["signed"]):
        response = client.post(page(world["signed"], "acknowledge/"), {"version": 1})
    assert response.status_code == 403


def test_anonymous_is_sent_to_sign_in(client, world):
    for path in (LIST, page(world["signed"]), page(world["signed"], "pdf/")):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_pages_are_404_for_the_customer_manager(client, world):
    client.force_login(world["customer"])
    for path in (
        "/reports/versions/",
        f"/reports/versions/{world['signed'].pk}/",
        f"/reports/versions/{world['signed'].pk}/pdf/",
        "/reports/schedules/",
    ):
        assert client.get(path).status_code == 404


def test_list_queries_do_not_grow(client, world):
    client.force_login(world["customer"])
    first, _ = period()
    made: list[ServiceReport] = []

    def grow(n: int) -> None:
        made.extend(
            signed_rows(world["signed"], n, first_day=first - dt.timedelta(days=300 - len(made)))
        )

    def call() -> None:
        html = client.get(LIST).content.decode()
        assert all(r.reference in html for r in made)

    assert_constant_queries(call, grow, rows=3, factor=4)


def test_staff_role_kept_by_a_customer_person_reaches_no_report(client, world):
    person = PersonFactory(organisation=world["sla"].organisation, roles=[Role.AGENT])
    client.force_login(person)
    assert client.get(f"/reports/versions/{world['signed'].pk}/").status_code == 404
    assert client.get(f"/api/v1/reports/service/{world['signed'].pk}/").status_code == 404
