"""Capacity pages: "what runs out first" (worst first, dates in words with their band, summary
cards, filters, constant queries), one service's metrics with their charts, one metric with its
threshold state and daily figures, and the metric forms. Staff read them; customers do not find
them (404); only capacity managers define metrics."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accord.capacity.choices import CapacityKind, Level
from accord.capacity.ingest import ingest
from accord.capacity.models import Metric, ThresholdState
from accord.capacity.rollups import roll_up
from accord.capacity.thresholds import evaluate
from accord.capacity.views import crossing_words
from accord.core.choices import Door, Role
from accord.domain.forecast import Crossing, Trend
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    STALE_TEXT,
    assert_constant_queries,
    assert_form_error,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.capacity.factories import MetricFactory
from tests.factories import ConfigurationItemFactory, ServiceFactory, person_with_role

pytestmark = pytest.mark.django_db

OVERVIEW = "/capacity/"
READERS = roles_with("capacity.view")
MANAGERS = roles_with("capacity.manage")
DAYS = 40


def yesterday() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=1)


def feed(metric: Metric, start: float, slope: float, days: int = DAYS, noise: float = 0.0):
    """One sample a day at noon for ``days`` days up to yesterday, ``start + slope * day``
    (plus or minus ``noise`` on alternate days), stored through ingestion and rolled up."""
    last = yesterday()
    points = []
    for k in range(days):
        day = last - dt.timedelta(days=days - 1 - k)
        value = start + slope * k + (noise if k % 2 else -noise)
        points.append(
            {
                "metric": metric.code,
                "at": dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
                "value": value,
            }
        )
    result = ingest(points, actor=None, now=timezone.now())
    assert result.stored == days, result.rejected
    roll_up()


def words(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year}"


@pytest.fixture
def estate():
    """Storage metrics of 2 TB usable (warning 1.6, critical 1.9), growing at different speeds
    from 0.5 TB; values in 1/32 and 1/256 so the arithmetic is exact:

    - fast: +1/32 a day, 1.71875 yesterday: over warning, critical in 6 days, full in 9;
    - slow: +1/256 a day, 0.65234375 yesterday: full in 345 days (within a year);
    - flat: 0.5 every day: never;
    - new: only 3 days of data: no trend;
    - hot: flat but held critical by its threshold state: first, whatever its trend.
    """
    mail = ServiceFactory(name="Mail")
    ci = ConfigurationItemFactory(name="mail-store-01")
    mail.configuration_items.add(ci)
    fast = MetricFactory(code="MAIL-STORAGE", name="Mail storage", service=mail)
    slow = MetricFactory(
        code="MAIL-ARCHIVE", name="Mail archive", service=None, configuration_item=ci
    )
    flat = MetricFactory(code="WIKI-STORAGE", name="Wiki storage", kind=CapacityKind.TECHNICAL)
    new = MetricFactory(code="DESK-HOURS", name="Desk hours", kind=CapacityKind.HUMAN)
    hot = MetricFactory(code="PAY-DB", name="Payroll database")
    feed(fast, 0.5, 1 / 32)
    feed(slow, 0.5, 1 / 256)
    feed(flat, 0.5, 0)
    feed(new, 0.5, 0.1, days=3)
    feed(hot, 0.5, 0)
    ThresholdState.objects.create(metric=hot, level=Level.CRITICAL, value=1.95)
    return {
        "mail": mail,
        "ci": ci,
        "fast": fast,
        "slow": slow,
        "flat": flat,
        "new": new,
        "hot": hot,
    }


def rows_of(content: str) -> list[tuple[str, str]]:
    """(metric id, level) of each row, in page order."""
    return re.findall(r'<tr data-metric="(\d+)" data-level="(\w+)">', content)


def row_html(content: str, metric: Metric) -> str:
    start = content.index(f'<tr data-metric="{metric.pk}"')
    return content[start : content.index("</tr>", start)]


def figure(row: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">(.*?)</td>', row, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def manager_client(client):
    client.force_login(person_with_role(Role.CAPACITY_MANAGER))
    return client


# --- who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_pages_by_role(role, client, customer_org):
    """Staff and auditors read capacity; customers do not find the pages (404)."""
    metric = MetricFactory()
    client.force_login(person_for_role(role, customer_org))
    for url in (
        OVERVIEW,
        f"/capacity/services/{metric.service_id}/",
        f"/capacity/metrics/{metric.pk}/",
    ):
        response = client.get(url)
        if role in READERS:
            assert response.status_code == 200, (role, url)
        else:
            assert role in CUSTOMER_ROLE_SET and response.status_code == 404, (role, url)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_metric_forms_by_role(role, client, customer_org):
    """Capacity managers define metrics; other staff are refused (403); customers find
    nothing (404)."""
    metric = MetricFactory()
    client.force_login(person_for_role(role, customer_org))
    for url in ("/capacity/metrics/new/", f"/capacity/metrics/{metric.pk}/edit/"):
        status = client.get(url).status_code
        if role in MANAGERS:
            assert status == 200, (role, url)
        elif role in READERS:
            assert status == 403, (role, url)
        else:
            assert status == 404, (role, url)


def test_anonymous_is_sent_to_login(client):
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_unknown_metric_and_service_are_404(client):
    manager_client(client)
    assert client.get("/capacity/metrics/987654/").status_code == 404
    assert client.get("/capacity/services/987654/").status_code == 404


def test_navigation_shows_capacity_to_staff_only(client, customer_org):
    client.force_login(person_with_role(Role.AUDITOR))
    assert 'href="/capacity/"' in client.get("/").content.decode()
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert 'href="/capacity/"' not in client.get("/").content.decode()


# --- what runs out first -------------------------------------------------------------------------


def test_overview_lists_worst_first(client, estate):
    """The critical one first, then the sooner exhaustion, then no date, then no data."""
    content = manager_client(client).get(OVERVIEW).content.decode()
    e = estate
    order = [pk for pk, _ in rows_of(content)]
    assert order[:3] == [str(e["hot"].pk), str(e["fast"].pk), str(e["slow"].pk)]
    assert set(order[3:]) == {str(e["flat"].pk), str(e["new"].pk)}
    assert dict(rows_of(content))[str(e["hot"].pk)] == "critical"


def test_overview_figures_and_dates_in_words(client, estate):
    content = manager_client(client).get(OVERVIEW).content.decode()
    last = yesterday()
    fast = row_html(content, estate["fast"])
    assert figure(fast, "current") == "1.72 TB of 2 TB"
    assert figure(fast, "utilisation") == "86 %"
    assert figure(fast, "headroom") == "14 %"
    assert figure(fast, "warning") == "already over"
    # A noise-free line: the band has no width, the day is exact.
    assert figure(fast, "critical") == f"around {words(last + dt.timedelta(days=6))}"
    assert figure(fast, "exhaustion") == f"around {words(last + dt.timedelta(days=9))}"
    assert "Mail" in fast and f"/capacity/metrics/{estate['fast'].pk}/" in fast

    slow = row_html(content, estate["slow"])
    assert figure(slow, "exhaustion") == f"around {words(last + dt.timedelta(days=345))}"
    assert "mail-store-01" in slow  # measured on a CI, named by it

    flat = row_html(content, estate["flat"])
    assert figure(flat, "exhaustion") == "not within a year"
    assert figure(row_html(content, estate["new"]), "exhaustion") == "not enough data yet"


def test_overview_dates_show_their_band_with_noisy_data(client):
    metric = MetricFactory(code="NOISY")
    feed(metric, 0.5, 1 / 64, noise=0.02)
    content = manager_client(client).get(OVERVIEW).content.decode()
    text = figure(row_html(content, metric), "exhaustion")
    day = r"\d{1,2} [A-Z][a-z]{2}"
    assert re.fullmatch(
        rf"around {day} \d{{4}} \(between {day}( \d{{4}})? and {day}( \d{{4}})?\)", text
    ), text


def test_summary_cards(client, estate):
    content = manager_client(client).get(OVERVIEW).content.decode()
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', content))
    # hot is critical; fast runs out in 9 days, slow in 345 (not within 90).
    assert counts == {"critical": "1", "warning": "0", "soon": "1"}


def test_filter_by_service_includes_its_cis_and_by_kind(client, estate):
    manager_client(client)
    e = estate
    content = client.get(OVERVIEW, {"service": e["mail"].pk}).content.decode()
    assert {pk for pk, _ in rows_of(content)} == {str(e["fast"].pk), str(e["slow"].pk)}
    content = client.get(OVERVIEW, {"kind": "human"}).content.decode()
    assert [pk for pk, _ in rows_of(content)] == [str(e["new"].pk)]
    response = client.get(OVERVIEW, {"kind": "bogus"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_inactive_metrics_are_left_out(client, estate):
    Metric.objects.filter(pk=estate["fast"].pk).update(is_active=False)
    content = manager_client(client).get(OVERVIEW).content.decode()
    assert str(estate["fast"].pk) not in dict(rows_of(content))


def test_overview_queries_do_not_grow_with_metrics(client):
    manager_client(client)

    def grow(n):
        for _ in range(n):
            metric = MetricFactory()
            feed(metric, 0.5, 0.01, days=10)
            ThresholdState.objects.create(metric=metric, level=Level.WARNING)

    def call():
        assert client.get(OVERVIEW).status_code == 200

    assert_constant_queries(call, grow, rows=2, factor=3)


# --- one service ---------------------------------------------------------------------------------


def test_service_page_lists_its_metrics_and_its_cis_with_charts(client, estate):
    content = manager_client(client).get(f"/capacity/services/{estate['mail'].pk}/").content
    content = content.decode()
    assert [pk for pk, _ in rows_of(content)] == [
        str(estate["fast"].pk),
        str(estate["slow"].pk),
    ]
    assert content.count('class="utilisation-chart"') == 2
    assert "Wiki storage" not in content


def test_service_page_queries_do_not_grow_with_metrics(client):
    service = ServiceFactory()
    manager_client(client)

    def grow(n):
        for _ in range(n):
            feed(MetricFactory(service=service), 0.5, 0.01, days=10)

    def call():
        assert client.get(f"/capacity/services/{service.pk}/").status_code == 200

    assert_constant_queries(call, grow, rows=2, factor=3)


# --- one metric ----------------------------------------------------------------------------------


def test_metric_page(client, estate):
    metric = estate["fast"]
    Metric.objects.filter(pk=metric.pk).update(
        prometheus_name="node_filesystem_size_bytes",
        prometheus_labels={"instance": "mail-01", "mountpoint": "/srv"},
        prometheus_scale=1e-12,
    )
    content = manager_client(client).get(f"/capacity/metrics/{metric.pk}/").content.decode()
    last = yesterday()
    assert 'class="utilisation-chart"' in content
    assert f"around {words(last + dt.timedelta(days=9))}" in content
    # the last 14 days, newest first, with their figures
    days = re.findall(r'<tr data-day="([\d-]+)">', content)
    assert days[0] == last.isoformat() and len(days) == 14
    assert "+0.031 TB a day" in content
    assert (
        "node_filesystem_size_bytes{instance=&quot;mail-01&quot;,mountpoint=&quot;/srv&quot;}"
        in content
    )
    assert "MAIL-STORAGE,2026-11-27T14:30:00Z,1.25" in content
    assert "Not read against its thresholds yet." in content


def test_metric_page_shows_state_and_incident_after_a_critical_crossing(client):
    metric = MetricFactory(code="HOT")
    feed(metric, 1.0, 1 / 32)  # 2.22 yesterday: over critical
    evaluate([metric.pk], now=timezone.now())
    state = ThresholdState.objects.select_related("incident").get(metric=metric)
    assert state.level == Level.CRITICAL
    content = manager_client(client).get(f"/capacity/metrics/{metric.pk}/").content.decode()
    assert 'data-testid="level">Critical<' in content
    assert re.search(r'data-figure="crossings">[1-9]', content)
    assert state.incident is not None, "a critical crossing raises an incident"
    assert f'href="/incidents/{state.incident.pk}/"' in content
    assert state.incident.reference in content


def test_metric_without_data_says_so(client):
    metric = MetricFactory()
    content = manager_client(client).get(f"/capacity/metrics/{metric.pk}/").content.decode()
    assert "No daily figure yet." in content
    assert "No data" in content
    assert "no trend yet" in content


# --- dates in words ------------------------------------------------------------------------------


TREND = Trend("holt", 1.0, 0.01, 0.05, 60, dt.date(2026, 11, 26))


@pytest.mark.parametrize(
    ("crossing", "text"),
    [
        (
            Crossing(2.0, dt.date(2027, 3, 14), dt.date(2027, 3, 2), dt.date(2027, 3, 30), False),
            "around 14 Mar 2027 (between 2 Mar and 30 Mar)",
        ),
        (
            Crossing(2.0, dt.date(2027, 1, 3), dt.date(2026, 12, 20), dt.date(2027, 1, 20), False),
            "around 3 Jan 2027 (between 20 Dec 2026 and 20 Jan)",
        ),
        (
            Crossing(2.0, dt.date(2027, 3, 14), dt.date(2027, 3, 14), dt.date(2027, 3, 14), False),
            "around 14 Mar 2027",
        ),
        (
            Crossing(2.0, dt.date(2027, 9, 1), dt.date(2027, 6, 1), None, False),
            "around 1 Sep 2027 (from 1 Jun, possibly not within a year)",
        ),
        (
            Crossing(2.0, None, dt.date(2027, 6, 1), None, False),
            "not expected within a year (possibly from 1 Jun 2027)",
        ),
        (Crossing(2.0, None, None, None, False), "not within a year"),
        (Crossing(2.0, None, None, None, True), "already over"),
    ],
)
def test_crossing_words(crossing, text):
    assert crossing_words(crossing, trend=TREND) == text


def test_crossing_words_without_trend():
    assert crossing_words(Crossing(2.0, None, None, None, False), trend=None) == (
        "not enough data yet"
    )
    assert crossing_words(Crossing(2.0, None, None, None, True), trend=None) == "already over"


# --- defining metrics ----------------------------------------------------------------------------


def form_data(subject, owner, **overrides):
    """A complete, valid metric form for ``subject`` (a service)."""
    service = subject
    data = {
        "code": "VPN-USERS",
        "name": "Concurrent VPN users",
        "description": "",
        "kind": "technical",
        "service": service.pk,
        "configuration_item": "",
        "unit": "users",
        "usable_capacity": "500",
        "aggregation": "p95",
        "warning_threshold": "400",
        "critical_threshold": "450",
        "owner": owner.pk,
        "is_active": "on",
        "prometheus_name": "vpn_sessions",
        "prometheus_labels": '{"gateway": "gw-1"}',
        "prometheus_scale": "1",
        "version": "",
    }
    data.update(overrides)
    return data


def test_create_metric(client):
    service = ServiceFactory()
    manager = person_with_role(Role.CAPACITY_MANAGER)
    client.force_login(manager)
    mark = last_event_id()
    response = client.post("/capacity/metrics/new/", form_data(service, manager))
    assert response.status_code == 302, response.content.decode()[:3000]
    metric = Metric.objects.get(code="VPN-USERS")
    assert response["Location"] == f"/capacity/metrics/{metric.pk}/"
    assert metric.prometheus_labels == {"gateway": "gw-1"}
    assert metric.aggregation == "p95" and metric.usable_capacity == 500
    events = [e for e in events_since(mark) if e.object_type == "capacity.metric"]
    assert [(e.action, e.door, e.actor_id) for e in events] == [("create", Door.UI, manager.pk)]
    assert "Metric VPN-USERS saved." in client.get(response["Location"]).content.decode()


def test_create_refuses_thresholds_out_of_order(client):
    service = ServiceFactory()
    manager = person_with_role(Role.CAPACITY_MANAGER)
    client.force_login(manager)
    with nothing_changed(Metric):
        response = client.post(
            "/capacity/metrics/new/",
            form_data(service, manager, warning_threshold="460", critical_threshold="450"),
        )
    assert_form_error(response, "critical_threshold")


def test_create_refuses_a_metric_of_nothing(client):
    manager = person_with_role(Role.CAPACITY_MANAGER)
    client.force_login(manager)
    with nothing_changed(Metric):
        response = client.post(
            "/capacity/metrics/new/", form_data(ServiceFactory(), manager, service="")
        )
    assert_form_error(response, "service")


def test_edit_metric_and_stale_version(client):
    metric = MetricFactory()
    manager = person_with_role(Role.CAPACITY_MANAGER)
    client.force_login(manager)
    url = f"/capacity/metrics/{metric.pk}/edit/"
    page = client.get(url).content.decode()
    assert f'name="version" value="{metric.version}"' in page
    data = form_data(
        metric.service,
        metric.owner,
        code=metric.code,
        warning_threshold="1.5",
        critical_threshold="1.8",
        usable_capacity="2",
        version=str(metric.version),
    )
    stale = dict(data)
    response = client.post(url, data)
    assert response.status_code == 302
    metric.refresh_from_db()
    assert metric.warning_threshold == 1.5 and metric.version == 2
    # A second save with the version first seen is refused, with the stored values shown.
    with nothing_changed(Metric, metric):
        response = client.post(url, {**stale, "warning_threshold": "1.4"})
    assert response.status_code == 400
    content = response.content.decode()
    assert STALE_TEXT in content and 'data-testid="current-values"' in content
