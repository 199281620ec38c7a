"""The capacity API: who reads and defines metrics and scrape targets, who sends samples, what
a batch answers (stored count and per-point errors, idempotent), series equal to the rollups,
and forecasts listing what runs out first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accord.capacity.ingest import MAX_BATCH, ingest
from accord.capacity.models import Metric, Rollup, Sample, ScrapeTarget, ThresholdState
from accord.capacity.rollups import roll_up
from accord.core.choices import Role
from tests.base import (
    ALL_ROLES,
    APICreateTests,
    APIDeleteTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_error_body,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.capacity.factories import MetricFactory
from tests.factories import (
    ConfigurationItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    person_with_role,
)

pytestmark = pytest.mark.django_db

METRICS = "/api/v1/capacity/metrics/"
SAMPLES = "/api/v1/capacity/samples/"
FORECASTS = "/api/v1/capacity/forecasts/"
TARGETS = "/api/v1/capacity/scrape-targets/"
READERS = roles_with("capacity.view")
MANAGERS = roles_with("capacity.manage")
RECORDERS = roles_with("capacity.record")


def test_the_role_map_matches_the_issue():
    assert {Role.CAPACITY_MANAGER} == MANAGERS
    assert {Role.CAPACITY_MANAGER, Role.ADMINISTRATOR} == RECORDERS
    assert Role.AUDITOR in READERS and Role.AGENT in READERS
    assert Role.CUSTOMER_USER not in READERS and Role.CUSTOMER_MANAGER not in READERS


def today_start() -> dt.datetime:
    return timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)


def feed(metric: Metric, daily: list[float], *, end: dt.datetime | None = None) -> None:
    """One sample a day at noon, the last on the day before ``end`` (default today), rolled up."""
    end = end or today_start()
    first = end - dt.timedelta(days=len(daily)) + dt.timedelta(hours=12)
    points = [
        {"metric": metric.code, "at": first + dt.timedelta(days=i), "value": v}
        for i, v in enumerate(daily)
    ]
    result = ingest(points, actor=None, now=timezone.now(), metrics={metric.code: metric})
    assert not result.rejected, result.rejected
    roll_up()


# --- metrics ------------------------------------------------------------------------------------


class TestMetricAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = METRICS
    model = Metric
    readers = READERS
    writers = MANAGERS
    query_count_role = Role.CAPACITY_MANAGER
    invalid_create = [
        Invalid("code", {"code": "mail storage"}, "code format"),
        Invalid("unit", {"unit": ""}, "no unit"),
        Invalid("usable_capacity", {"usable_capacity": 0}, "no capacity"),
        Invalid("warning_threshold", {"warning_threshold": -1}, "negative threshold"),
        Invalid("critical_threshold", {"critical_threshold": 1}, "warning above critical"),
        Invalid("service", {"service": None}, "no subject"),
        Invalid("kind", {"kind": "spiritual"}, "unknown kind"),
        Invalid("prometheus_labels", {"prometheus_labels": {"bad-name": "x"}}, "bad label"),
    ]
    invalid_update = [
        Invalid("warning_threshold", {"warning_threshold": 5}, "warning above stored critical"),
        Invalid("usable_capacity", {"usable_capacity": -3}, "negative capacity"),
        Invalid("name", {"name": ""}, "empty name"),
    ]

    def make_object(self, organisation):
        return MetricFactory()

    def make_rows(self, organisation, n):
        rows = []
        for index in range(n):
            metric = MetricFactory(
                configuration_item=ConfigurationItemFactory(),
                aggregation=["peak", "p95", "mean"][index % 3],
            )
            ThresholdState.objects.create(metric=metric, level="warning", value=1.7)
            Rollup.objects.create(
                metric=metric,
                granularity="day",
                bucket=today_start(),
                count=2,
                minimum=1,
                maximum=1.8,
                total=2.8,
                p95=1.8,
            )
            rows.append(metric)
        return rows

    def create_payload(self, organisation):
        return {
            "code": "MAIL-STORAGE",
            "name": "Mailbox storage",
            "service": ServiceFactory().pk,
            "unit": "TB",
            "usable_capacity": 10,
            "warning_threshold": 8,
            "critical_threshold": 9.5,
            "owner": person_with_role(Role.CAPACITY_MANAGER).pk,
        }

    def update_payload(self, obj):
        return {"name": "Mail storage (primary)", "critical_threshold": 1.95}


def test_a_metric_carries_its_state_latest_daily_value_and_headroom():
    metric = MetricFactory(usable_capacity=2.0, aggregation="mean")
    client = api_client_for(person_with_role(Role.AUDITOR))
    body = client.get(f"{METRICS}{metric.pk}/").json()
    assert body["state"] == {"level": "normal", "since": None, "value": None}
    assert (body["latest_value"], body["headroom"], body["latest_day"]) == (None, None, None)

    feed(metric, [1.0, 1.5])
    since = today_start() - dt.timedelta(hours=12)
    ThresholdState.objects.create(metric=metric, level="warning", since=since, value=1.7)
    body = client.get(f"{METRICS}{metric.pk}/").json()
    assert body["state"]["level"] == "warning" and body["state"]["value"] == 1.7
    assert body["latest_value"] == 1.5  # one sample that day: its mean
    assert body["headroom"] == pytest.approx(0.25)
    assert body["utilisation"] == pytest.approx(0.75)
    assert body["latest_day"] == (today_start() - dt.timedelta(days=1)).date().isoformat()


def test_the_latest_value_reads_the_metric_aggregation():
    peak, p95, mean = (MetricFactory(aggregation=a) for a in ("peak", "p95", "mean"))
    for metric in (peak, p95, mean):
        Rollup.objects.create(
            metric=metric,
            granularity="day",
            bucket=today_start(),
            count=4,
            minimum=0.5,
            maximum=1.9,
            total=4.0,
            p95=1.8,
        )
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))
    rows = {r["id"]: r["latest_value"] for r in client.get(METRICS).json()["results"]}
    assert rows == {peak.pk: 1.9, p95.pk: 1.8, mean.pk: 1.0}


def test_filters_by_service_ci_kind_activity_level_and_text():
    service = ServiceFactory()
    ci = ConfigurationItemFactory()
    MetricFactory(service=service, code="MAIL-STORAGE", name="Mailbox storage")
    desk = MetricFactory(configuration_item=ci, service=None, kind="human", code="DESK-HOURS")
    old = MetricFactory(is_active=False, code="OLD-DISK")
    ThresholdState.objects.create(metric=desk, level="critical")
    ThresholdState.objects.create(metric=old, level="normal")
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))

    def codes(**query):
        response = client.get(METRICS, query)
        assert response.status_code == 200, response.json()
        return [r["code"] for r in response.json()["results"]]

    assert codes() == ["DESK-HOURS", "MAIL-STORAGE", "OLD-DISK"]
    assert codes(service=service.pk) == ["MAIL-STORAGE"]
    assert codes(configuration_item=ci.pk) == ["DESK-HOURS"]
    assert codes(kind="human") == ["DESK-HOURS"]
    assert codes(is_active="false") == ["OLD-DISK"]
    assert codes(level="critical") == ["DESK-HOURS"]
    assert codes(level="normal") == ["MAIL-STORAGE", "OLD-DISK"]
    assert codes(q="mailbox") == ["MAIL-STORAGE"]
    assert_error_body(client.get(METRICS, {"level": "dire"}), 400, "invalid", ["level"])


def test_an_owner_outside_the_provider_staff_is_refused():
    customer = PersonFactory(organisation=OrganisationFactory(kind="customer"))
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))
    payload = {**TestMetricAPI().create_payload(None), "owner": customer.pk}
    with nothing_changed(Metric):
        response = client.post(METRICS, payload, format="json")
    assert_error_body(response, 400, "invalid", ["owner"])


# --- samples ------------------------------------------------------------------------------------


def recent(minutes: int) -> str:
    return (timezone.now() - dt.timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_send_samples(role, customer_org):
    MetricFactory(code="DISK")
    client = api_client_for(person_for_role(role, customer_org))
    batch = {"samples": [{"metric": "DISK", "at": recent(5), "value": 1.0}]}
    response = client.post(SAMPLES, batch, format="json")
    if role in RECORDERS:
        assert response.status_code == 200
        assert response.json() == {"stored": 1, "rejected": []}
    else:
        assert_error_body(response, 403, "permission_denied")
        assert Sample.objects.count() == 0


def test_anonymous_samples_are_401():
    MetricFactory(code="DISK")
    batch = {"samples": [{"metric": "DISK", "at": recent(5), "value": 1.0}]}
    response = APIClient().post(SAMPLES, batch, format="json")
    assert_error_body(response, 401, "not_authenticated")
    assert Sample.objects.count() == 0


def test_a_mixed_batch_stores_the_good_points_and_names_the_bad_by_index():
    disk = MetricFactory(code="DISK")
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))
    batch = {
        "samples": [
            {"metric": "DISK", "at": recent(30), "value": 1.25},
            {"metric": "NOPE", "at": recent(30), "value": 1},
            {"metric": "DISK", "at": "yesterday", "value": 1},
            {"metric": "DISK", "at": recent(20), "value": "full"},
            ["DISK", recent(10), 1],
            {"metric": "DISK", "at": timezone.now().timestamp() - 60, "value": "1.5"},
        ]
    }
    response = client.post(SAMPLES, batch, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["stored"] == 2
    assert {r["index"]: sorted(r["errors"]) for r in body["rejected"]} == {
        1: ["metric"],
        2: ["at"],
        3: ["value"],
        4: ["sample"],
    }
    assert sorted(Sample.objects.filter(metric=disk).values_list("value", flat=True)) == [1.25, 1.5]


def test_sending_a_batch_again_stores_the_same_rows_with_the_last_values():
    disk = MetricFactory(code="DISK")
    client = api_client_for(person_with_role(Role.ADMINISTRATOR))
    at = recent(15)
    batch = {"samples": [{"metric": "DISK", "at": at, "value": v} for v in (1.0, 1.1)]}
    assert client.post(SAMPLES, batch, format="json").json()["stored"] == 1
    batch["samples"].append({"metric": "DISK", "at": at, "value": 1.2})
    assert client.post(SAMPLES, batch, format="json").json()["stored"] == 1
    assert list(Sample.objects.filter(metric=disk).values_list("value", flat=True)) == [1.2]


@pytest.mark.parametrize(
    "body",
    [
        [{"metric": "DISK", "at": "2026-11-27T10:00:00Z", "value": 1}],
        {"points": []},
        {"samples": {"metric": "DISK"}},
        {"samples": "DISK,1"},
    ],
    ids=["a bare list", "another key", "an object", "text"],
)
def test_a_body_of_another_shape_is_400_and_stores_nothing(body):
    MetricFactory(code="DISK")
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))
    with nothing_changed(Sample):
        response = client.post(SAMPLES, body, format="json")
    assert_error_body(response, 400, "invalid", ["samples"])


def test_malformed_json_is_400():
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))
    response = client.generic("POST", SAMPLES, b'{"samples": [', content_type="application/json")
    assert_error_body(response, 400)


def test_too_big_a_batch_is_400_and_stores_nothing():
    MetricFactory(code="DISK")
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))
    at = recent(5)
    batch = {"samples": [{"metric": "DISK", "at": at, "value": 1}] * (MAX_BATCH + 1)}
    with nothing_changed(Sample):
        response = client.post(SAMPLES, batch, format="json")
    body = assert_error_body(response, 400, "invalid", ["samples"])
    assert str(MAX_BATCH) in body["errors"]["samples"][0]


# --- series -------------------------------------------------------------------------------------


def test_series_equal_the_rollups_of_the_samples_sent():
    metric = MetricFactory(code="DISK")
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))
    # Three days back: the last sample falls 50 hours after the start, which two days back
    # would put ahead of the clock (and refused) in the first hours of a day.
    start = today_start() - dt.timedelta(days=3)
    values = [1.0, 1.4, 1.2, 1.9, 0.8, 1.1]
    batch = {
        "samples": [
            {
                "metric": "DISK",
                "at": (start + dt.timedelta(hours=10 * i, minutes=5 * i)).isoformat(),
                "value": v,
            }
            for i, v in enumerate(values)
        ]
    }
    assert client.post(SAMPLES, batch, format="json").json()["stored"] == len(values)
    roll_up()

    def expected(granularity):
        return [
            {
                "bucket": r.bucket.isoformat().replace("+00:00", "Z"),
                "count": r.count,
                "min": r.minimum,
                "max": r.maximum,
                "mean": pytest.approx(r.mean),
                "p95": r.p95,
            }
            for r in Rollup.objects.filter(metric=metric, granularity=granularity).order_by(
                "bucket"
            )
        ]

    daily = client.get(f"{METRICS}{metric.pk}/series/")
    assert daily.status_code == 200, daily.json()
    assert daily.json() == expected("day")
    assert [d["count"] for d in daily.json()] == [3, 2, 1]
    assert daily.json()[0]["max"] == 1.4 and daily.json()[0]["min"] == 1.0
    query = {"granularity": "hour", "start": start.date().isoformat()}
    hourly = client.get(f"{METRICS}{metric.pk}/series/", query)
    assert hourly.json() == expected("hour") and len(hourly.json()) == len(values)
    narrow = client.get(
        f"{METRICS}{metric.pk}/series/",
        {
            "start": (start + dt.timedelta(days=1)).isoformat(),
            "end": (start + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert [d["count"] for d in narrow.json()] == [2]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "last week"}, "start"),
        ({"end": "2026-11-27T10:00:00"}, "end"),
        ({"start": "2026-11-27", "end": "2026-11-01"}, "end"),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "start"),
        ({"granularity": "hour", "start": "2026-10-01", "end": "2026-11-15"}, "start"),
        ({"granularity": "minute"}, "granularity"),
    ],
    ids=["bad start", "naive end", "end first", "over 400 days", "hourly over 31 days", "minute"],
)
def test_bad_series_requests_are_400(query, field):
    metric = MetricFactory()
    client = api_client_for(person_with_role(Role.AUDITOR))
    response = client.get(f"{METRICS}{metric.pk}/series/", query)
    assert_error_body(response, 400, "invalid", [field])


def test_customers_get_no_series(customer_org):
    metric = MetricFactory()
    client = api_client_for(person_with_role(Role.CUSTOMER_MANAGER, customer_org))
    assert_error_body(client.get(f"{METRICS}{metric.pk}/series/"), 404, "not_found")


# --- forecasts ----------------------------------------------------------------------------------


def test_forecasts_list_the_metric_that_runs_out_first_first():
    service = ServiceFactory()
    slow = MetricFactory(
        code="SLOW", service=service, usable_capacity=10, warning_threshold=8, critical_threshold=9
    )
    fast = MetricFactory(
        code="FAST", service=service, usable_capacity=10, warning_threshold=8, critical_threshold=9
    )
    flat = MetricFactory(
        code="FLAT", service=service, usable_capacity=10, warning_threshold=8, critical_threshold=9
    )
    full = MetricFactory(code="FULL", usable_capacity=10, warning_threshold=8, critical_threshold=9)
    days = 30
    feed(slow, [2 + 0.02 * d for d in range(days)])  # 10 is ~370 days away: not within a year
    feed(fast, [2 + 0.1 * d for d in range(days)])  # 10 in about 51 days
    feed(flat, [3.0] * days)
    feed(full, [9 + 0.05 * d for d in range(days)])  # over 10 already
    client = api_client_for(person_with_role(Role.AUDITOR))

    response = client.get(FORECASTS)
    assert response.status_code == 200, response.json()
    rows = response.json()
    assert [r["code"] for r in rows] == ["FULL", "FAST", "FLAT", "SLOW"]
    by_code = {r["code"]: r for r in rows}
    assert by_code["FULL"]["exhaustion"]["already"] is True
    fast_row = by_code["FAST"]
    assert fast_row["metric"] == fast.pk
    assert fast_row["trend"]["slope_per_day"] == pytest.approx(0.1, rel=1e-6)
    assert fast_row["trend"]["observations"] == days
    expected = dt.date.fromisoformat(fast_row["exhaustion"]["expected"])
    last_day = (today_start() - dt.timedelta(days=1)).date()
    assert expected == last_day + dt.timedelta(days=51)
    assert fast_row["warning"]["expected"] < fast_row["critical"]["expected"]
    assert fast_row["warning"]["already"] is False
    assert fast_row["headroom"] == pytest.approx((10 - 4.9) / 10)
    assert by_code["FLAT"]["exhaustion"]["expected"] is None
    assert by_code["SLOW"]["exhaustion"]["expected"] is None
    assert by_code["SLOW"]["warning"]["expected"] is not None  # 8 within the year

    assert [r["code"] for r in client.get(FORECASTS, {"service": service.pk}).json()] == [
        "FAST",
        "FLAT",
        "SLOW",
    ]
    assert [r["code"] for r in client.get(FORECASTS, {"metric": slow.pk}).json()] == ["SLOW"]


def test_a_metric_without_a_week_of_data_has_no_trend():
    metric = MetricFactory(code="NEW")
    feed(metric, [1.0, 1.1, 1.2])
    rows = api_client_for(person_with_role(Role.CAPACITY_MANAGER)).get(FORECASTS).json()
    assert rows[0]["trend"] is None and rows[0]["exhaustion"]["expected"] is None
    assert rows[0]["current"] == 1.2


def test_customers_see_no_forecast(customer_org):
    MetricFactory()
    client = api_client_for(person_with_role(Role.CUSTOMER_MANAGER, customer_org))
    assert client.get(FORECASTS).json() == []
    assert_error_body(APIClient().get(FORECASTS), 401, "not_authenticated")


# --- scrape targets -----------------------------------------------------------------------------


class TestScrapeTargetAPI(APIReadTests, APICreateTests, APIUpdateTests, APIDeleteTests):
    url = TARGETS
    model = ScrapeTarget
    readers = READERS
    writers = MANAGERS
    query_count_role = Role.CAPACITY_MANAGER
    invalid_create = [
        Invalid("url", {"url": "file:///etc/passwd"}, "not http"),
        Invalid("url", {"url": "http://mail 01:9100/metrics"}, "space in the host"),
        Invalid("interval_seconds", {"interval_seconds": 10}, "too often"),
        Invalid("name", {"name": ""}, "no name"),
    ]
    invalid_update = [Invalid("interval_seconds", {"interval_seconds": 1}, "too often")]

    def make_object(self, organisation):
        count = ScrapeTarget.objects.count()
        return ScrapeTarget.objects.create(
            name=f"node-{count}", url=f"http://node-{count}.example.net:9100/metrics"
        )

    def create_payload(self, organisation):
        return {"name": "mail-01", "url": "http://mail-01.example.net:9100/metrics"}

    def update_payload(self, obj):
        return {"interval_seconds": 60, "is_active": False}


def test_scrape_now_answers_the_error_of_an_unreachable_target():
    target = ScrapeTarget.objects.create(name="down", url="http://127.0.0.1:9/metrics")
    manager = person_with_role(Role.CAPACITY_MANAGER)
    response = api_client_for(manager).post(f"{TARGETS}{target.pk}/scrape/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stored"] == 0 and "could not be reached" in body["error"]
    target.refresh_from_db()
    assert target.last_error == body["error"] and target.version == 1
    auditor = person_with_role(Role.AUDITOR)
    response = api_client_for(auditor).post(f"{TARGETS}{target.pk}/scrape/")
    assert_error_body(response, 403, "permission_denied")
