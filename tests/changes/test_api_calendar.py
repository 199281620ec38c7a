"""The change calendar, projected availability and metrics endpoints: the period is checked
(400 naming the parameter), entries carry conflict flags, customers are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.core.choices import Role
from tests.base import api_client_for, assert_error_body
from tests.changes.factories import ChangeFactory, FreezeWindowFactory
from tests.factories import ServiceFactory, person_with_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "from"),
        ("from=2030-01-01", "to"),
        ("from=2030-01-02&to=2030-01-01", "to"),
        ("from=2030-01-01&to=2030-01-01", "to"),
        ("from=2030-01-01&to=2031-01-03", "to"),
        ("from=yesterday&to=2030-01-01", "from"),
        ("from=2030-01-01&to=2030-02-01&service=99999999999999999999", "service"),
        ("from=2030-01-01&to=2030-02-01&service=987654", "service"),
    ],
)
@pytest.mark.parametrize("path", ["change-calendar", "projected-availability", "change-metrics"])
def test_bad_period_is_400_naming_the_parameter(path, query, field):
    if path == "projected-availability" and field == "service":
        pytest.skip("no service filter here")
    client = api_client_for(person_with_role(Role.AGENT))
    assert_error_body(client.get(f"/api/v1/{path}/?{query}"), 400, "invalid", [field])


def test_calendar_lists_changes_and_freezes_with_conflict_flags():
    service = ServiceFactory()
    start = (timezone.now() + dt.timedelta(days=10)).replace(microsecond=0)
    freeze = FreezeWindowFactory(starts_at=start - dt.timedelta(hours=1), services=[service])
    frozen = ChangeFactory(
        services=[service],
        status="scheduled",
        planned_start=start,
        planned_end=start + dt.timedelta(hours=1),
    )
    client = api_client_for(person_with_role(Role.CHANGE_AUTHORITY))
    day = start.date()
    before, after = day - dt.timedelta(days=1), day + dt.timedelta(days=2)
    response = client.get(f"/api/v1/change-calendar/?from={before}&to={after}")
    assert response.status_code == 200, response.json()
    entries = response.json()
    changes = [e for e in entries if e["kind"] == "change"]
    freezes = [e for e in entries if e["kind"] == "freeze"]
    assert [e["change"] for e in changes] == [frozen.pk]
    assert changes[0]["conflicted"] is True and changes[0]["reference"] == frozen.reference
    assert [e["freeze_window"] for e in freezes] == [freeze.pk]


def test_metrics_and_projection_answer_for_staff_and_refuse_customers(customer_org):
    query = "from=2030-01-01&to=2030-02-01"
    staff = api_client_for(person_with_role(Role.AUDITOR))
    metrics = staff.get(f"/api/v1/change-metrics/?{query}")
    assert metrics.status_code == 200, metrics.json()
    assert metrics.json()["implemented"] == 0
    assert staff.get(f"/api/v1/projected-availability/?{query}").json() == []
    customer = api_client_for(person_with_role(Role.CUSTOMER_MANAGER, customer_org))
    for path in ("change-calendar", "projected-availability", "change-metrics"):
        assert_error_body(customer.get(f"/api/v1/{path}/?{query}"), 403, "permission_denied")


def test_feeds_made_once_listed_and_reset():
    person = person_with_role(Role.AGENT)
    client = api_client_for(person)
    first = client.post("/api/v1/change-feeds/", {}, format="json")
    assert first.status_code == 200, first.json()
    again = client.post("/api/v1/change-feeds/", {}, format="json").json()
    assert again["url"] == first.json()["url"] and again["url"].endswith(".ics")
    assert [f["id"] for f in client.get("/api/v1/change-feeds/").json()] == [again["id"]]
    reset = client.post(f"/api/v1/change-feeds/{again['id']}/reset/")
    assert reset.status_code == 200, reset.json()
    assert reset.json()["url"] != again["url"]
    other = api_client_for(person_with_role(Role.AGENT))
    assert_error_body(other.post(f"/api/v1/change-feeds/{again['id']}/reset/"), 404, "not_found")
