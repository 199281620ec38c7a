"""The customer's performance panel on the portal home: their organisation's agreements with the
KPIs' figures, their own tickets only for a plain customer user, the report link for a customer
manager, nothing of another organisation, and queries that do not grow with the tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.agreements.choices import Metric
from accord.core.choices import Role
from accord.incidents.choices import IncidentStatus
from accord.reports import kpis
from accord.reports.dashboards import customer_panel, periods
from accord.reports.scope import zone_of
from tests.factories import OrganisationFactory, PersonFactory
from tests.reports.factories import clock, incident, report_sla

pytestmark = pytest.mark.django_db


def _resolved(service, customer, sla, caller=None, *, late: bool = False) -> None:
    now = dt.datetime.now(dt.UTC)
    ticket = incident(
        service,
        customer,
        opened_at=now - dt.timedelta(hours=10),
        status=IncidentStatus.RESOLVED,
        resolved_at=now - dt.timedelta(minutes=1) if late else now - dt.timedelta(hours=9),
    )
    if caller is not None:
        ticket.caller = caller
        ticket.save()
    clock(
        ticket,
        sla,
        metric=Metric.RESOLUTION,
        started_at=ticket.opened_at,
        stopped_at=ticket.resolved_at,
    )


def test_a_customer_manager_sees_each_agreement_with_the_kpi_figures_and_its_report(client):
    sla, (service,), customer = report_sla()
    manager = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_MANAGER])
    _resolved(service, customer, sla)
    _resolved(service, customer, sla, late=True)
    other_sla, (other_service,), other = report_sla()
    _resolved(other_service, other, other_sla)
    client.force_login(manager)
    page = client.get("/portal/").content.decode()
    assert f'customer-agreement-{sla.code}"' in page
    assert other_sla.code not in page
    assert 'data-testid="agreement-report"' in page
    (row,) = customer_panel(manager, dt.datetime.now(dt.UTC))
    window = periods(dt.datetime.now(dt.UTC), zone_of(sla))
    reach = kpis.Reach(service_ids=(service.pk,), organisation_id=customer.pk, agreement_id=sla.pk)
    expected = kpis.compute("sla_attainment", window.current, reach)
    assert (row["attainment"].value, row["attainment"].count) == (expected.value, expected.count)
    assert row["attainment"].count == 2


def test_a_plain_customer_user_sees_their_own_tickets_figures_and_no_report(client):
    sla, (service,), customer = report_sla()
    user = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    _resolved(service, customer, sla, caller=user)
    _resolved(service, customer, sla)
    incident(service, customer, opened_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    (row,) = customer_panel(user, dt.datetime.now(dt.UTC))
    assert row["attainment"].count == 1
    assert row["open"].count == 0
    assert row["report"] is None
    client.force_login(user)
    page = client.get("/portal/").content.decode()
    assert 'data-testid="agreement-report"' not in page
    assert "count your own tickets" in page


def test_portal_home_answers_without_agreements_and_with_constant_queries(client):
    sla, (service,), customer = report_sla()
    manager = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_MANAGER])
    client.force_login(manager)
    counts = []
    for batch in (3, 27):
        for _ in range(batch):
            _resolved(service, customer, sla)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/portal/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    lonely = PersonFactory(
        organisation=OrganisationFactory(kind="customer"), roles=[Role.CUSTOMER_USER]
    )
    client.force_login(lonely)
    assert client.get("/portal/").status_code == 200
