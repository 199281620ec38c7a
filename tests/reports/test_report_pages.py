"""Service report pages: the chooser, the report as a page and one table as CSV.

Who reads what (provider staff and the auditor every report; a customer's managers their own
organisation's SLAs in force or ended; everyone else nothing, 404), the report's title block and
sections (a section injected here, so these tests hold whatever sections the report has), links
from references to their records, bad input shown on the chooser with status 400, and a page
whose query count does not grow with the tickets behind it (with the real sections)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone

from accord.agreements.choices import AgreementStatus, ClockState, Metric
from accord.core.choices import OrganisationKind, Role
from accord.core.report_parts import DASH, section, table
from accord.reports import builder
from accord.reports.scope import last_month
from tests.base import ALL_ROLES, assert_constant_queries, person_for_role, roles_with
from tests.factories import (
    AgreementFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    person_with_role,
)
from tests.reports.factories import BERLIN, clock, incident, report_sla

pytestmark = pytest.mark.django_db

INDEX = "/reports/"
PAGE = "/reports/service/"
PDF = "/reports/service/pdf/"
CSV = "/reports/service/csv/"
READERS = roles_with("reports.view")
CUSTOMER_READERS = roles_with("reports.customer")
CHART = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="40" role="img" '
    'data-testid="fake-chart"><rect x="0" y="0" width="120" height="20" fill="#369"/>'
    '<text x="4" y="34" font-size="12">Chart label 77</text></svg>'
)
FORMULA = '=HYPERLINK("http://example.test")'


def last_period() -> str:
    """The last complete month (the report's default), as YYYY-MM."""
    first, _ = last_month(timezone.now().date())
    return f"{first:%Y-%m}"


def in_last_period(day: int = 10, hour: int = 10) -> dt.datetime:
    first, _ = last_month(timezone.now().date())
    return dt.datetime(first.year, first.month, day, hour, tzinfo=BERLIN)


def fake_sections(references: list[str] | None = None) -> list[Any]:
    """One section with a figure, a dash, a cut table naming ``references``, a text that looks
    like a formula, and a chart: what every format must carry."""

    def fake(scope: Any, now: dt.datetime) -> dict[str, Any]:
        rows = [[ref, FORMULA, 3] for ref in (references or ["INC-000001"])]
        return section(
            "fake",
            1,
            "Fake figures",
            "Tickets counted by hand for the test.",
            "Rows written by the test.",
            figures=[("Answer", 42), ("Nothing to measure", DASH), ("Scope", scope.kind)],
            tables=[table(["Reference", "Title", "Count"], rows, title="Rows", total=60)],
            charts=[CHART],
        )

    return [fake]


@pytest.fixture
def fake(monkeypatch):
    """``fake(references)`` replaces the report's sections with :func:`fake_sections`."""

    def install(references: list[str] | None = None) -> None:
        monkeypatch.setattr(builder, "all_sections", lambda: fake_sections(references))

    return install


@pytest.fixture
def sla():
    agreement, _, _ = report_sla()
    return agreement


def manager_of(organisation) -> Any:
    return PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_MANAGER])


def query(agreement=None, service=None, **extra: str) -> dict[str, Any]:
    params: dict[str, Any] = {"period": last_period(), **extra}
    if agreement is not None:
        params["agreement"] = agreement.pk
    if service is not None:
        params["service"] = service.pk
    return params


def expected_status(role: str) -> int:
    """A report of the customer's SLA, for a person acting as ``role`` towards it."""
    return 200 if role in READERS or role in CUSTOMER_READERS else 404


# --- who reads what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_index_by_role(client, role):
    client.force_login(person_for_role(role, OrganisationFactory(kind=OrganisationKind.CUSTOMER)))
    response = client.get(INDEX)
    assert response.status_code == (200 if role in READERS | CUSTOMER_READERS else 404)


def test_index_needs_sign_in(client):
    response = client.get(INDEX)
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_agreement_report_by_role(client, fake, sla, role):
    fake()
    client.force_login(person_for_role(role, sla.organisation))
    response = client.get(PAGE, query(sla))
    assert response.status_code == expected_status(role)
    if response.status_code == 200:
        assert "Fake figures" in response.content.decode()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_service_and_provider_reports_by_role(client, fake, sla, role):
    fake()
    client.force_login(person_for_role(role, sla.organisation))
    expected = 200 if role in READERS else 404
    assert client.get(PAGE, query(service=sla.services.first())).status_code == expected
    assert client.get(PAGE, query()).status_code == expected


def test_customer_manager_reads_only_their_own_slas(client, fake, sla):
    fake()
    client.force_login(manager_of(sla.organisation))
    others, _, _ = report_sla()
    draft = AgreementFactory(organisation=sla.organisation, status=AgreementStatus.DRAFT)
    expired = AgreementFactory(organisation=sla.organisation, status=AgreementStatus.EXPIRED)
    ola = AgreementFactory(organisation=sla.organisation, kind="ola")
    assert client.get(PAGE, query(sla)).status_code == 200
    assert client.get(PAGE, query(expired)).status_code == 200
    for refused in (others, draft, ola):
        assert client.get(PAGE, query(refused)).status_code == 404
    assert client.get(PAGE, {"agreement": 987654321}).status_code == 404
    assert client.get(PAGE, query(service=sla.services.first())).status_code == 404
    assert client.get(PAGE, query(sla, service=sla.services.first())).status_code == 404
    assert client.get(PAGE, query()).status_code == 404
    for url in (PDF, CSV):
        assert client.get(url, {**query(others), "section": "fake", "table": 0}).status_code == 404
    chooser = client.get(INDEX).content.decode()
    assert sla.code in chooser and expired.code in chooser
    assert others.code not in chooser and draft.code not in chooser


def test_customer_user_gets_404_everywhere(client, fake, sla):
    fake()
    client.force_login(person_with_role(Role.CUSTOMER_USER, sla.organisation))
    for url in (INDEX, PAGE, PDF, CSV):
        assert client.get(url, query(sla)).status_code == 404


# --- the page ---------------------------------------------------------------------------------


def test_page_shows_title_block_sections_charts_and_links(client, fake, sla):
    service = sla.services.first()
    known = incident(service, sla.organisation, opened_at=in_last_period())
    fake([known.reference, "INC-999999", "CHG-000404"])
    client.force_login(person_with_role(Role.SERVICE_LEVEL_MANAGER))
    response = client.get(PAGE, query(sla))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        sla.code,
        sla.organisation.name,
        last_period(),
        "Europe/Berlin",
        "Generated at",
        "1. Fake figures",
        "Tickets counted by hand for the test.",
        "Rows written by the test.",
        "<dd>42</dd>",
        f"<dd>{DASH}</dd>",
        "57 more not shown",
    ):
        assert text in html, text
    # The chart is drawn by Accord from numbers: it is inline SVG, not escaped text.
    assert CHART in html
    # A reference the person may open links to its record; an unknown one stays plain text.
    assert f'<a href="/incidents/{known.pk}/">{known.reference}</a>' in html
    assert "<td>INC-999999</td>" in html and "<td>CHG-000404</td>" in html
    assert 'data-testid="pdf-link"' in html and f"/reports/service/pdf/?agreement={sla.pk}" in html
    assert "section=fake&amp;table=0" in html
    # Text that looks like HTML or a formula is shown as text.
    assert "=HYPERLINK(&quot;http://example.test&quot;)" in html


def test_customer_sees_no_link_to_records_they_cannot_open(client, fake, sla):
    service = sla.services.first()
    theirs = incident(service, sla.organisation, opened_at=in_last_period())
    other_customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    not_theirs = incident(service, other_customer, opened_at=in_last_period())
    fake([theirs.reference, not_theirs.reference])
    client.force_login(manager_of(sla.organisation))
    html = client.get(PAGE, query(sla)).content.decode()
    assert f'<a href="/incidents/{theirs.pk}/">' in html
    assert f"/incidents/{not_theirs.pk}/" not in html


def test_provider_and_service_reports(client, fake, sla):
    fake()
    client.force_login(person_with_role(Role.AUDITOR))
    html = client.get(PAGE, query()).content.decode()
    assert "All services" in html and "<dd>provider</dd>" in html
    service = sla.services.first()
    html = client.get(PAGE, query(service=service)).content.decode()
    assert service.code in html and "<dd>service</dd>" in html


def test_default_period_is_last_complete_month(client, fake, sla):
    fake()
    client.force_login(person_with_role(Role.AGENT))
    html = client.get(PAGE, {"agreement": sla.pk}).content.decode()
    assert f"<dd>{last_period()} (" in html
    first, _ = last_month(timezone.now().date())
    assert client.get(INDEX).content.decode().count(f'value="{first:%Y-%m}"') == 1
    span = {"agreement": sla.pk, "start": first.isoformat(), "end": first.isoformat()}
    assert f"{first:%Y-%m-%d} to {first:%Y-%m-%d}" in client.get(PAGE, span).content.decode()


# --- bad input --------------------------------------------------------------------------------

BAD = [
    ("agreement", {"agreement": "abc"}),
    ("agreement", {"agreement": "99999999999999999999999"}),
    ("agreement", {"agreement": "987654321"}),
    ("service", {"service": "x1"}),
    ("service", {"service": "987654321"}),
    ("period", {"period": "2026-13"}),
    ("period", {"period": "October"}),
    ("start", {"period": "2999-01"}),
    ("start", {"start": "2026-02-30", "end": "2026-03-01"}),
    ("end", {"start": "2026-10-10", "end": "2026-10-01"}),
    ("start", {"start": "2020-01-01", "end": "2026-10-01"}),
]


@pytest.mark.parametrize(("field", "params"), BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_bad_query_shows_the_chooser_with_errors(client, fake, field, params):
    fake()
    client.force_login(person_with_role(Role.SERVICE_LEVEL_MANAGER))
    for url in (PAGE, PDF, CSV):
        response = client.get(url, params)
        assert response.status_code == 400, (url, params)
        assert 'data-testid="report-chooser"' in response.content.decode()
        assert response.context["form"].errors.get(field), response.context["form"].errors


def test_agreement_and_service_together_is_bad_input(client, fake, sla):
    fake()
    client.force_login(person_with_role(Role.AGENT))
    response = client.get(PAGE, query(sla, service=ServiceFactory()))
    assert response.status_code == 400
    assert response.context["form"].errors["service"]


# --- CSV --------------------------------------------------------------------------------------


def test_csv_of_one_table(client, fake, sla):
    known = incident(sla.services.first(), sla.organisation, opened_at=in_last_period())
    fake([known.reference])
    client.force_login(person_with_role(Role.AUDITOR))
    response = client.get(CSV, {**query(sla), "section": "fake", "table": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    stem = f"service-report-{sla.code.lower()}-{last_period()}"
    assert response["Content-Disposition"] == f'attachment; filename="{stem}-fake-1.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == ["Reference", "Title", "Count"]
    # The formula is kept as text: a spreadsheet shows it, never runs it.
    assert rows[1] == [known.reference, "'" + FORMULA, "3"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"section": "nope", "table": "0"}, "no such section"),
        ({"section": "fake", "table": "1"}, "no such table"),
        ({"section": "fake", "table": "-1"}, "no such table"),
        ({"section": "fake"}, "no such table"),
    ],
)
def test_csv_of_a_missing_table_is_bad_input(client, fake, sla, params, message):
    fake()
    client.force_login(person_with_role(Role.AGENT))
    response = client.get(CSV, {**query(sla), **params})
    assert response.status_code == 400
    assert message in response.content.decode()


# --- cost -------------------------------------------------------------------------------------


def test_page_queries_do_not_grow_with_tickets(client):
    """With the real sections: the same number of queries for 3 and for 9 tickets."""
    agreement, services, customer = report_sla()
    client.force_login(person_with_role(Role.SERVICE_LEVEL_MANAGER))
    params = {"agreement": agreement.pk, "period": last_period()}

    def grow(n: int) -> None:
        for i in range(n):
            opened = in_last_period(day=2 + i % 20, hour=9)
            ticket = incident(
                services[0],
                customer,
                opened_at=opened,
                resolved_at=opened + dt.timedelta(hours=2 + i % 5),
            )
            clock(
                ticket,
                agreement,
                metric=Metric.RESOLUTION,
                started_at=opened,
                stopped_at=opened + dt.timedelta(hours=2 + i % 5),
                state=ClockState.MET if i % 2 else ClockState.BREACHED,
            )

    def call() -> None:
        assert client.get(PAGE, params).status_code == 200

    assert_constant_queries(call, grow)
