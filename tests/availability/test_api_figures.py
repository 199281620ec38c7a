"""The availability figures API: exact figures on controlled data, who sees which service or
agreement, bad periods, and a query count that does not grow with services or outages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.availability.models import OutageExclusion
from accord.core.choices import Role
from accord.portfolio.choices import ServiceStatus
from tests.availability.factories import OutageFactory, sla_with_availability
from tests.base import (
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    captured_queries,
)
from tests.factories import ServiceFactory, person_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/availability/"
UTC = dt.UTC
# A past 30-day month: 43,200 minutes of agreed time round the clock.
PERIOD = "2026-09"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 9, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def setting(customer_org):
    """A 24x7 service under a 99.5 % SLA of the customer, with a 2-hour full outage and a
    1-hour outage at half weight in September 2026."""
    service = ServiceFactory(code="MAIL", name="Mail")
    agreement = sla_with_availability([service], "99.5", organisation=customer_org, code="SLA-A")
    full = OutageFactory(service=service, start=at(10, 10), end=at(10, 12))
    degraded = OutageFactory(
        service=service,
        start=at(20, 8),
        end=at(20, 9),
        severity="degraded",
        weight=Decimal("0.5"),
    )
    return service, agreement, full, degraded


def staff():
    return api_client_for(person_with_role(Role.AVAILABILITY_MANAGER))


def results(response):
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_service_figures_are_exact(setting):
    service, agreement, full, degraded = setting
    [entry] = results(staff().get(URL, {"service": "MAIL", "period": PERIOD}))
    assert entry["kind"] == "service"
    assert (entry["id"], entry["code"], entry["name"]) == (service.pk, "MAIL", "Mail")
    assert entry["period"] == PERIOD
    assert (entry["start"], entry["end"]) == ("2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z")
    assert entry["time_zone"] == "UTC"
    assert entry["scheduled_seconds"] == 43_200 * 60
    assert entry["excluded_seconds"] == 0
    assert entry["agreed_seconds"] == 43_200 * 60
    assert entry["downtime_seconds"] == 9_000  # 120 min + 60 min x 0.5 = 150 min
    assert entry["uptime_seconds"] == 43_200 * 60 - 9_000
    assert entry["availability_percent"] == "99.652"
    assert entry["target_percent"] == "99.500"
    assert entry["status"] == "on_track"
    assert entry["downtime_budget"] == {
        "allowed_seconds": 216 * 60,
        "used_seconds": 9_000,
        "remaining_seconds": 66 * 60,
        "share_used": "0.6944",
    }
    assert entry["failures"] == 2
    assert entry["mtbf_seconds"] == (43_200 * 60 - 9_000) / 2
    assert entry["mtrs_seconds"] == 4_500
    assert entry["mtbsi_seconds"] == 43_200 * 60 / 2
    assert sorted(entry["outages"]) == sorted([full.pk, degraded.pk])
    assert entry["agreement"] == {"id": agreement.pk, "code": "SLA-A"}
    assert "services" not in entry
    # The id names the service as well as the code does.
    assert results(staff().get(URL, {"service": service.pk, "period": PERIOD})) == [entry]


def test_agreement_figures_break_down_by_service(setting):
    _service, agreement, *_ = setting
    quiet = ServiceFactory(code="WEB")
    agreement.services.add(quiet)
    [entry] = results(staff().get(URL, {"agreement": "SLA-A", "period": PERIOD}))
    assert entry["kind"] == "agreement"
    assert entry["agreement"] is None
    assert [part["code"] for part in entry["services"]] == ["MAIL", "WEB"]
    mail, web = entry["services"]
    assert mail["downtime_seconds"] == 9_000
    assert mail["agreement"] == {"id": agreement.pk, "code": "SLA-A"}
    assert web["downtime_seconds"] == 0 and web["failures"] == 0
    assert web["mtbf_seconds"] is None and web["mtrs_seconds"] is None
    assert web["mtbsi_seconds"] is None
    assert web["availability_percent"] == "100.000"
    # The agreement's figures are the sums of its services'.
    assert entry["agreed_seconds"] == 2 * 43_200 * 60
    assert entry["downtime_seconds"] == 9_000
    assert entry["failures"] == 2
    assert entry["downtime_budget"]["allowed_seconds"] == 2 * 216 * 60


def test_an_outage_excluded_from_the_agreement_does_not_count_against_it(setting):
    _service, agreement, full, degraded = setting
    OutageExclusion.objects.create(
        outage=full,
        agreement=agreement,
        reason="customer_caused",
        note="Their firewall",
        recorded_at=at(11, 9),
    )
    client = staff()
    [by_agreement] = results(client.get(URL, {"agreement": agreement.pk, "period": PERIOD}))
    assert by_agreement["downtime_seconds"] == 1_800
    assert by_agreement["outages"] == [degraded.pk]


def test_without_a_subject_staff_get_every_service_out_of_the_pipeline(setting):
    ServiceFactory(code="NEW", status=ServiceStatus.PIPELINE)
    other = ServiceFactory(code="ZED")
    entries = results(staff().get(URL, {"period": PERIOD}))
    codes = [e["code"] for e in entries]
    assert "NEW" not in codes
    assert {"MAIL", "ZED"} <= set(codes)
    zed = next(e for e in entries if e["id"] == other.pk)
    assert zed["target_percent"] is None
    assert zed["status"] == "no_target" and zed["downtime_budget"] is None
    assert zed["agreement"] is None


def test_customers_see_their_own_agreements_only(setting, other_customer_org):
    service, agreement, *_ = setting
    theirs = sla_with_availability([service], "99.9", organisation=other_customer_org)
    draft = sla_with_availability([service], organisation=agreement.organisation, status="draft")
    client = api_client_for(
        person_with_role(Role.CUSTOMER_MANAGER, organisation=agreement.organisation)
    )
    entries = results(client.get(URL, {"period": PERIOD}))
    assert [(e["kind"], e["id"]) for e in entries] == [("agreement", agreement.pk)]
    assert_error_body(client.get(URL, {"agreement": theirs.code}), 404, "not_found")
    assert_error_body(client.get(URL, {"agreement": draft.pk}), 404, "not_found")
    [mail] = results(client.get(URL, {"service": "MAIL", "period": PERIOD}))
    assert mail["kind"] == "service"
    assert mail["agreement"] == {"id": agreement.pk, "code": agreement.code}
    assert mail["downtime_seconds"] == 9_000
    elsewhere = ServiceFactory(code="ELSE")
    sla_with_availability([elsewhere], organisation=other_customer_org)
    assert_error_body(client.get(URL, {"service": "ELSE"}), 404, "not_found")


def test_an_outage_limited_to_another_customer_does_not_count_for_this_one(
    setting, other_customer_org
):
    service, agreement, *_ = setting
    sla_with_availability([service], organisation=other_customer_org)
    limited = OutageFactory(
        service=service, start=at(25, 0), end=at(25, 1), customers=[other_customer_org]
    )
    customer = api_client_for(
        person_with_role(Role.CUSTOMER_USER, organisation=agreement.organisation)
    )
    [mine] = results(customer.get(URL, {"agreement": agreement.code, "period": PERIOD}))
    assert limited.pk not in mine["outages"]
    assert mine["downtime_seconds"] == 9_000
    # The service's own figure counts every outage.
    [whole] = results(staff().get(URL, {"service": service.pk, "period": PERIOD}))
    assert limited.pk in whole["outages"]
    assert whole["downtime_seconds"] == 9_000 + 3_600


@pytest.mark.parametrize("period", ["2026-13", "November", "2026-11-20..2026-11-01", "2026-Q5"])
def test_a_bad_period_is_400_with_the_rule(setting, period):
    response = staff().get(URL, {"service": "MAIL", "period": period})
    body = assert_error_body(response, 400, "invalid", ["period"])
    assert all(isinstance(message, str) and message for message in body["errors"]["period"])


def test_unknown_subjects_are_404(setting):
    client = staff()
    assert_error_body(client.get(URL, {"service": "NOPE"}), 404, "not_found")
    assert_error_body(client.get(URL, {"agreement": "987654"}), 404, "not_found")


def test_anonymous_is_401():
    assert_error_body(api_client_for(None).get(URL), 401, "not_authenticated")


def test_other_periods_and_default(setting):
    client = staff()
    [quarter] = results(client.get(URL, {"service": "MAIL", "period": "2026-Q3"}))
    assert quarter["downtime_seconds"] == 9_000
    assert quarter["agreed_seconds"] == 92 * 86_400
    [custom] = results(client.get(URL, {"service": "MAIL", "period": "2026-09-10..2026-09-10"}))
    assert custom["outages"] == [setting[2].pk]
    [current] = results(client.get(URL, {"service": "MAIL"}))
    assert current["period"] != PERIOD and len(current["period"]) == 7


def test_queries_do_not_grow_with_services_or_outages(customer_org):
    client = staff()

    def call():
        assert len(results(client.get(URL, {"period": PERIOD}))) >= 1

    def grow(n):
        for _ in range(n):
            service = ServiceFactory()
            sla_with_availability([service], organisation=customer_org)
            OutageFactory(service=service, start=at(3, 1), end=at(3, 2))
            OutageFactory(service=service, start=at(4, 1), end=at(4, 3), customers=[customer_org])

    # 3 services, then 10.
    grow(3)
    call()
    small = captured_queries(call)
    grow(7)
    large = captured_queries(call)
    assert len(large) == len(small), "\n".join(large)

    customer = api_client_for(person_with_role(Role.CUSTOMER_MANAGER, organisation=customer_org))
    assert_constant_queries(
        lambda: results(customer.get(URL, {"period": PERIOD})), grow, rows=3, factor=3
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    minutes=st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=4),
)
def test_figures_hold_together_for_any_outages(setting, minutes):
    """Whatever the outages, uptime + downtime = agreed time, the means follow from the sums,
    and the budget's remainder is allowed - used."""
    service = setting[0]
    service.outages.all().delete()
    for index, length in enumerate(minutes):
        start = at(2 + 3 * index, 0)
        OutageFactory(service=service, start=start, end=start + dt.timedelta(minutes=length))
    [entry] = results(staff().get(URL, {"service": service.pk, "period": PERIOD}))
    assert entry["downtime_seconds"] == sum(minutes) * 60
    assert entry["uptime_seconds"] + entry["downtime_seconds"] == entry["agreed_seconds"]
    assert entry["failures"] == len(minutes)
    assert entry["mtrs_seconds"] == pytest.approx(sum(minutes) * 60 / len(minutes))
    assert entry["mtbf_seconds"] + entry["mtrs_seconds"] == pytest.approx(entry["mtbsi_seconds"])
    budget = entry["downtime_budget"]
    assert budget["remaining_seconds"] == budget["allowed_seconds"] - budget["used_seconds"]
    if sum(minutes) > 216:
        expected = "breached"
    elif sum(minutes) >= Decimal("0.8") * 216:
        expected = "threatened"
    else:
        expected = "on_track"
    assert entry["status"] == expected
