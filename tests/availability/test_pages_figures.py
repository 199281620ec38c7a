"""Availability figure pages: the overview of live services against their targets (worst
first, budget in words), one service with its chart, heat map, agreements and the outages behind
the figure, and one agreement with its services. Staff read them; customers do not find them;
a bad period is a message, never a 500; the overview's queries do not grow with services."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from accord.core.choices import Role
from accord.portfolio.choices import ServiceStatus
from tests.availability.factories import OutageFactory, sla_with_availability
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    assert_constant_queries,
    person_for_role,
    roles_with,
)
from tests.factories import ServiceFactory, person_with_role

pytestmark = pytest.mark.django_db

OVERVIEW = "/availability/"
READERS = roles_with("availability.view")
UTC = dt.UTC
OCTOBER = "2026-10"


def october(day: int, hour: int = 8) -> dt.datetime:
    return dt.datetime(2026, 10, day, hour, tzinfo=UTC)


def outage(service, day: int, hours: float, **kwargs):
    start = october(day)
    return OutageFactory(
        service=service, start=start, end=start + dt.timedelta(hours=hours), **kwargs
    )


@pytest.fixture
def estate():
    """Four live services measured in October 2026 (31 days of 24x7 time, so a 99.5 % target
    allows 3 h 43 min 12 s of downtime), and two that are not live."""
    missed = ServiceFactory(name="Mail")  # 5 h down: over budget by 1 h 16 min 48 s
    threatened = ServiceFactory(name="Payroll")  # 3 h down: 81 % of the budget used
    fine = ServiceFactory(name="Intranet")  # nothing down
    untargeted = ServiceFactory(name="Wiki")  # no agreement with a target
    retired = ServiceFactory(name="Old fax", status=ServiceStatus.RETIRED)
    pipeline = ServiceFactory(name="Future app", status=ServiceStatus.PIPELINE)
    sla_with_availability([missed, threatened, fine, retired])
    outage(missed, 3, 2)
    outage(missed, 20, 3)
    outage(threatened, 10, 3)
    outage(untargeted, 12, 1)
    return {
        "missed": missed,
        "threatened": threatened,
        "fine": fine,
        "untargeted": untargeted,
        "retired": retired,
        "pipeline": pipeline,
    }


def rows_of(content: str) -> list[tuple[str, str]]:
    """(service id, status) of each overview row, in page order."""
    return re.findall(r'<tr data-service="(\d+)" data-status="(\w+)">', content)


def row_html(content: str, service) -> str:
    start = content.index(f'<tr data-service="{service.pk}"')
    return content[start : content.index("</tr>", start)]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_pages_by_role(role, client, customer_org, estate):
    """Staff and auditors read the figures; customers do not find the pages (404)."""
    agreement = sla_with_availability([estate["fine"]], organisation=customer_org)
    client.force_login(person_for_role(role, customer_org))
    urls = [
        OVERVIEW,
        f"/availability/services/{estate['fine'].pk}/",
        f"/availability/agreements/{agreement.pk}/",
    ]
    for url in urls:
        response = client.get(url)
        if role in READERS:
            assert response.status_code == 200, (role, url)
        else:
            assert role in CUSTOMER_ROLE_SET and response.status_code == 404, (role, url)


def test_anonymous_is_sent_to_login(client, estate):
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_overview_lists_live_services_worst_first_with_their_figures(client, estate):
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))
    response = client.get(OVERVIEW, {"period": OCTOBER})
    assert response.status_code == 200
    content = response.content.decode()
    e = estate
    assert rows_of(content) == [
        (str(e["missed"].pk), "breached"),
        (str(e["threatened"].pk), "threatened"),
        (str(e["fine"].pk), "on_track"),
        (str(e["untargeted"].pk), "no_target"),
    ]
    assert "Old fax" not in content and "Future app" not in content

    missed = row_html(content, e["missed"])
    assert "Target missed" in missed and "badge-red" in missed
    assert "Over budget by 1 h 16 min." in missed
    # 5 h of 744 h: 99.328 % (rounded by the domain), two failures lasting 2 h 30 min on average
    assert "99.3" in missed
    assert '<td data-figure="failures">2</td>' in missed
    assert '<td data-figure="mtrs">2 h 30 min</td>' in missed

    threatened = row_html(content, e["threatened"])
    assert "Threatened" in threatened and "badge-amber" in threatened
    assert "May still be down 43 min in 2026-10." in threatened

    fine = row_html(content, e["fine"])
    assert "On track" in fine and "May still be down 3 h 43 min in 2026-10." in fine
    assert '<td data-figure="availability">100' in fine

    assert "No availability target." in row_html(content, e["untargeted"])
    # Summary cards.
    assert '<p class="lead" data-count="breached">1</p>' in content
    assert '<p class="lead" data-count="threatened">1</p>' in content
    assert '<p class="lead" data-count="on_track">1</p>' in content
    # Every service links to its page for the same period, and the outage list is linked.
    assert f'href="/availability/services/{e["missed"].pk}/?period=2026-10"' in content
    assert 'href="/availability/outages/"' in content


def test_month_picker_and_current_month_wording(client, estate):
    client.force_login(person_with_role(Role.AUDITOR))
    content = client.get(OVERVIEW, {"month": OCTOBER}).content.decode()
    assert "May still be down 43 min in 2026-10." in content
    # The running month speaks of "this month".
    content = client.get(OVERVIEW).content.decode()
    assert re.search(
        r"May still be down [\d h]+min this month\.", row_html(content, estate["fine"])
    )


def test_ongoing_outages_are_counted(client, estate):
    OutageFactory(service=estate["fine"], end=None)
    client.force_login(person_with_role(Role.AGENT))
    content = client.get(OVERVIEW).content.decode()
    assert "1 ongoing" in row_html(content, estate["fine"])
    assert (
        '<p class="lead" data-count="ongoing"><a href="/availability/outages/?state=ongoing">1</a>'
        in content
    )


@pytest.mark.parametrize("period", ["last month", "2026-13", "2026-Q5", "2026-11-30..2026-11-01"])
def test_bad_period_is_a_message_not_a_500(period, client, estate):
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))
    for url in (OVERVIEW, f"/availability/services/{estate['fine'].pk}/"):
        response = client.get(url, {"period": period})
        assert response.status_code == 400
        content = response.content.decode()
        assert "was not understood" in content and 'class="msg msg-error"' in content
        # The page still shows the default period's figures.
        assert "Intranet" in content


def test_quarter_year_and_range_periods_read(client, estate):
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))
    for period in ("2026-Q4", "2026", "2026-10-01..2026-10-15"):
        response = client.get(OVERVIEW, {"period": period})
        assert response.status_code == 200, period
        assert f'data-testid="period">{period}<' in response.content.decode()


def test_service_page_has_figures_chart_heatmap_agreements_and_drill_down(client, estate):
    service = estate["missed"]
    agreement = service.agreements.get()
    excluded = outage(service, 25, 1, title="Customer unplugged the router")
    other_month = outage(service, 2, 1)
    other_month.start = dt.datetime(2026, 9, 2, tzinfo=UTC)
    other_month.end = other_month.start + dt.timedelta(hours=1)
    other_month.save()
    from accord.availability.models import OutageExclusion

    OutageExclusion.objects.create(
        outage=excluded,
        agreement=agreement,
        reason="customer_caused",
        note="Router unplugged",
        recorded_at=october(26),
    )
    client.force_login(person_with_role(Role.SERVICE_LEVEL_MANAGER))
    response = client.get(f"/availability/services/{service.pk}/", {"period": OCTOBER})
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("<svg") == 2
    assert 'class="availability-chart"' in content or "availability-chart" in content
    assert "outage-heatmap" in content
    # The chart's bars link to their month.
    assert f"/availability/services/{service.pk}/?period=2026-10" in content
    # Figures with their definitions.
    assert "Mean time to restore service" in content
    assert '<dd data-figure="failures">2' in content
    assert '<dd data-figure="downtime">5 h' in content
    # The agreement covering the service links to its page.
    assert f'href="/availability/agreements/{agreement.pk}/?period=2026-10"' in content
    # Drill-down: October's outages, the excluded one shown as not counted.
    rows = dict(re.findall(r'<tr data-outage="(\d+)" data-counted="(\w+)">', content))
    in_october = service.outages.filter(start__month=10)
    assert set(rows) == {str(o.pk) for o in in_october}
    assert rows[str(excluded.pk)] == "no"
    assert sorted(v for k, v in rows.items() if k != str(excluded.pk)) == ["yes", "yes"]
    assert str(other_month.pk) not in rows


def test_service_page_of_a_pipeline_service_is_404(client, estate):
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))
    assert client.get(f"/availability/services/{estate['pipeline'].pk}/").status_code == 404


def test_agreement_page_shows_its_figure_and_services(client, estate):
    agreement = estate["missed"].agreements.get()
    client.force_login(person_with_role(Role.SERVICE_LEVEL_MANAGER))
    response = client.get(f"/availability/agreements/{agreement.pk}/", {"period": OCTOBER})
    assert response.status_code == 200
    content = response.content.decode()
    ids = re.findall(r'<tr data-service="(\d+)">', content)
    expected = [estate[k].pk for k in ("missed", "threatened", "fine", "retired")]
    assert sorted(ids) == sorted(str(pk) for pk in expected)
    # 8 h down over four services' 744 h each.
    assert '<dd data-figure="downtime">8 h' in content
    assert '<dd data-figure="failures">3' in content


def test_overview_queries_do_not_grow_with_services(client):
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))

    def grow(n):
        for _ in range(n):
            service = ServiceFactory()
            sla_with_availability([service])
            outage(service, 5, 1)
            OutageFactory(service=service, end=None)

    def call():
        assert client.get(OVERVIEW, {"period": OCTOBER}).status_code == 200

    assert_constant_queries(call, grow)


def test_writing_buttons_only_for_recorders(client, estate):
    client.force_login(person_with_role(Role.CAPACITY_MANAGER))
    content = client.get(OVERVIEW).content.decode()
    assert "/availability/outages/new/" not in content
    client.force_login(person_with_role(Role.INCIDENT_MANAGER))
    assert "/availability/outages/new/" in client.get(OVERVIEW).content.decode()
