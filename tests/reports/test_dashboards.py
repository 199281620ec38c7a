"""The home dashboard: each role sees its panels and no other, the figures are the KPIs' (and so
the reports'), the trend arrows follow the KPI's direction and tolerance, and the number of
queries does not grow with the tickets."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from accord.core.choices import OrganisationKind, Role
from accord.incidents.choices import IncidentStatus
from accord.reports import dashboards, kpis
from accord.reports.dashboards import DOWN, FLAT, NONE, UP, periods, trend
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    provider,
)
from tests.reports.factories import incident

UTC = zoneinfo.ZoneInfo("UTC")
decimals = st.decimals(min_value=-1000, max_value=1000, places=1, allow_nan=False)


@given(current=decimals, previous=decimals, tolerance=st.decimals(0, 50, places=1))
def test_trend_is_flat_within_the_tolerance_and_judged_by_the_direction(
    current: Decimal, previous: Decimal, tolerance: Decimal
) -> None:
    for direction in (kpis.HIGHER, kpis.LOWER, kpis.NEUTRAL):
        arrow, judgement = trend(current, previous, direction=direction, tolerance=tolerance)
        if abs(current - previous) <= tolerance:
            assert (arrow, judgement) == (FLAT, "neutral")
            continue
        assert arrow == (UP if current > previous else DOWN)
        if direction == kpis.NEUTRAL:
            assert judgement == "neutral"
        else:
            better = (arrow == UP) == (direction == kpis.HIGHER)
            assert judgement == ("good" if better else "bad")


def test_no_arrow_without_both_figures() -> None:
    assert trend(None, Decimal(1), direction=kpis.HIGHER, tolerance=Decimal(0)) == (NONE, "neutral")
    assert trend(Decimal(1), None, direction=kpis.LOWER, tolerance=Decimal(0)) == (NONE, "neutral")


def test_month_to_date_is_compared_with_the_same_days_of_last_month() -> None:
    found = periods(dt.datetime(2026, 3, 31, 10, tzinfo=dt.UTC), UTC)
    assert (found.current.start, found.current.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert (found.previous.start, found.previous.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert found.last_month.end == dt.date(2026, 2, 28)
    january = periods(dt.datetime(2026, 1, 15, tzinfo=dt.UTC), UTC)
    assert (january.previous.start, january.previous.end) == (
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 15),
    )


# --- pages --------------------------------------------------------------------------------------

PANELS = {
    Role.AGENT: {"agent"},
    Role.INCIDENT_MANAGER: {"incident", "requests"},
    Role.PROBLEM_MANAGER: {"problem"},
    Role.CHANGE_MANAGER: {"change"},
    Role.SERVICE_LEVEL_MANAGER: {"service_level"},
    Role.AVAILABILITY_MANAGER: {"availability"},
    Role.CAPACITY_MANAGER: {"capacity"},
    Role.SERVICE_OWNER: {"services"},
    Role.TOP_MANAGEMENT: {"oversight"},
    Role.SMS_OWNER: {"improvement", "oversight"},
    Role.AUDITOR: {"oversight"},
    Role.ADMINISTRATOR: set(),
    Role.CUSTOMER_USER: set(),
    Role.CUSTOMER_MANAGER: set(),
}
ALL_PANELS = {"agent", "services", "oversight"} | {p.key for p in dashboards.PROCESS_PANELS}


def shown(client) -> set[str]:
    page = client.get("/")
    assert page.status_code == 200
    text = page.content.decode()
    return {key for key in ALL_PANELS if f'data-testid="panel-{key}"' in text}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(PANELS))
def test_each_role_sees_its_panels_and_no_other_even_on_an_empty_database(client, role) -> None:
    org = (
        OrganisationFactory(kind=OrganisationKind.CUSTOMER)
        if role in (Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER)
        else provider()
    )
    client.force_login(PersonFactory(organisation=org, roles=[role]))
    assert shown(client) == PANELS[role]


@pytest.mark.django_db
def test_a_person_with_several_roles_sees_each_panel_queue_first(client) -> None:
    ivan = PersonFactory(
        organisation=provider(), roles=[Role.CHANGE_MANAGER, Role.INCIDENT_MANAGER, Role.AGENT]
    )
    panels = [p.key for p in dashboards.dashboard_for(ivan, dt.datetime.now(dt.UTC))]
    assert panels == ["agent", "incident", "requests", "change"]
    client.force_login(ivan)
    page = client.get("/").content.decode()
    assert page.index('panel-agent"') < page.index('panel-incident"') < page.index('panel-change"')
    assert 'data-testid="home-roles"' in page  # what the home page showed before stays


def _queue(count: int, agent, team, service, customer) -> None:
    now = dt.datetime.now(dt.UTC)
    for n in range(count):
        ticket = incident(service, customer, opened_at=now - dt.timedelta(hours=n + 1))
        if n % 3 == 0:
            ticket.assignee = agent
        else:
            ticket.assignment_group = team
        ticket.sla_due_at = now + dt.timedelta(hours=n + 1)
        ticket.save()


@pytest.mark.django_db
def test_agent_queue_counts_mine_and_my_teams_unassigned_only() -> None:
    team = TeamFactory()
    alice = PersonFactory(organisation=provider(), roles=[Role.AGENT])
    team.members.add(alice)
    other = PersonFactory(organisation=provider(), roles=[Role.AGENT])
    service, customer = ServiceFactory(), OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    _queue(6, alice, team, service, customer)
    theirs = incident(service, customer, opened_at=dt.datetime.now(dt.UTC))
    theirs.assignee = other
    theirs.save()
    done = incident(
        service,
        customer,
        opened_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        status=IncidentStatus.RESOLVED,
        resolved_at=dt.datetime.now(dt.UTC),
    )
    done.assignee = alice
    done.save()
    panel = dashboards.agent_panel(alice, dt.datetime.now(dt.UTC), UTC)
    assert panel.data["totals"]["mine"] == 2
    assert panel.data["totals"]["team"] == 4
    assert panel.data["totals"]["resolved"] == 1
    references = [r["reference"] for r in panel.data["rows"]]
    assert theirs.reference not in references and len(references) == 6
    dues = [r["sla_due_at"] for r in panel.data["rows"]]
    assert dues == sorted(dues)


@pytest.mark.django_db
def test_service_owner_sees_their_services_with_the_kpis_figures() -> None:
    sam = PersonFactory(organisation=provider(), roles=[Role.SERVICE_OWNER])
    mine, theirs = ServiceFactory(owner=sam), ServiceFactory()
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    now = dt.datetime.now(dt.UTC)
    incident(mine, customer, opened_at=now - dt.timedelta(minutes=5))
    incident(theirs, customer, opened_at=now - dt.timedelta(minutes=5))
    window = periods(now, UTC)
    panel = dashboards.services_panel(sam, window)
    (row,) = panel.data["rows"]
    assert row["service"] == mine and row["open_incidents"] == 1
    reach = kpis.Reach(service_ids=(mine.pk,))
    attainment = kpis.compute("sla_attainment", window.current, reach)
    assert (row["attainment"], row["measured"]) == (attainment.value, attainment.count)
    assert row["breaches"] == kpis.compute("sla_breaches", window.current, reach).count
    assert f"service={mine.pk}" in row["report"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "roles", [[Role.AGENT, Role.INCIDENT_MANAGER], [Role.SERVICE_OWNER], [Role.TOP_MANAGEMENT]]
)
def test_dashboard_queries_do_not_grow_with_the_tickets(client, roles) -> None:
    team = TeamFactory()
    person = PersonFactory(organisation=provider(), roles=roles)
    team.members.add(person)
    service = ServiceFactory(owner=person)
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    client.force_login(person)
    client.get("/")  # the first page of a session fills the caches (content types, session)
    counts = []
    for batch in (3, 27):
        _queue(batch, person, team, service, customer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_top_management_sees_objectives_with_their_live_value_and_the_same_kpis(client) -> None:
    from accord.governance.choices import ObjectiveMeasure
    from tests.governance.objectives_factories import make_objective

    now = dt.datetime.now(dt.UTC)
    today = now.date()
    make_objective(
        title="Keep the SLA",
        measure=ObjectiveMeasure.SLA_ATTAINMENT,
        target=Decimal("95"),
        period_start=today.replace(day=1),
        period_end=today + dt.timedelta(days=30),
    )
    tina = PersonFactory(organisation=provider(), roles=[Role.TOP_MANAGEMENT])
    panel = dashboards.oversight_panel(tina, periods(now, UTC))
    (objective,) = panel.data["objectives"]
    assert objective.title == "Keep the SLA" and objective.progress.verdict == "no data"
    tiles = {t.kpi.key: t for t in panel.data["tiles"]}
    assert tiles["sla_attainment"].current == kpis.compute(
        "sla_attainment", periods(now, UTC).current
    )
    assert [stage for stage, _, _ in panel.data["stages"]] == [
        "plan",
        "do",
        "check",
        "act",
        "closed",
    ]
    client.force_login(tina)
    page = client.get("/").content.decode()
    assert "Keep the SLA" in page and 'data-testid="kpi-sla_attainment"' in page
    auditor = PersonFactory(organisation=provider(), roles=[Role.AUDITOR])
    client.force_login(auditor)
    assert "Keep the SLA" in client.get("/").content.decode()
