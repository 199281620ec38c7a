"""The objectives API for every role: list, read, create and PATCH with If-Match, the status
moves, the recorded values, the figures each objective carries, filters and query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accord.agreements.choices import ClockState
from accord.core.choices import Role
from accord.governance.choices import ObjectiveMeasure, ObjectiveStatus
from accord.governance.models import Objective, ObjectiveMeasurement
from tests.base import (
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_error_body,
    captured_queries,
    nothing_changed,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.factories import ServiceFactory
from tests.governance.objectives_factories import (
    clock,
    incident_row,
    make_measurement,
    make_objective,
    staff,
    utc,
)

pytestmark = pytest.mark.django_db

READERS = roles_with("governance.view")
MANAGERS = roles_with("governance.manage")
URL = "/api/v1/objectives/"


class TestObjectiveAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Objective
    readers = READERS
    writers = MANAGERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.TOP_MANAGEMENT, Role.SMS_OWNER}
    query_count_role = Role.AUDITOR
    invalid_create = [
        Invalid("period_end", {"period_start": "2026-04-01"}, "period reversed"),
        Invalid("target", {"target": "ninety"}, "target not a number"),
        Invalid("target", {"target": "150"}, "percentage above 100"),
        Invalid("measure", {"measure": "uptime"}),
        Invalid("title", {"title": " "}),
        Invalid("status", {"status": "achieved"}),
    ]
    invalid_update = [
        Invalid("period_end", {"period_end": "2020-01-01"}, "period reversed"),
        Invalid("target", {"target": "x"}),
        Invalid("status", {"status": "missed"}),
    ]

    def make_object(self, organisation):
        return make_objective()

    def make_rows(self, organisation, n):
        rows = []
        for _ in range(n):
            objective = make_objective(service=ServiceFactory())
            make_measurement(objective, "92", dt.date(2026, 3, 5))
            rows.append(objective)
        return rows

    def create_payload(self, organisation):
        return {
            "title": "Resolve incidents on time",
            "owner": staff().pk,
            "measure": ObjectiveMeasure.SLA_ATTAINMENT,
            "target": "95",
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
        }

    def update_payload(self, obj):
        return {"title": "Resolve more incidents on time"}


def test_each_objective_carries_its_figure_definition_and_verdict():
    mail = ServiceFactory()
    live = make_objective(measure=ObjectiveMeasure.SLA_ATTAINMENT, service=mail, unit="%")
    clock(incident_row(mail), state=ClockState.MET, stopped_at=utc(2026, 3, 5))
    clock(incident_row(mail), state=ClockState.BREACHED, stopped_at=utc(2026, 3, 6))
    manual = make_objective(target=Decimal("4"))
    make_measurement(manual, "4.50", dt.date(2026, 3, 9))
    client = api_client_for(staff(Role.AUDITOR))
    rows = {r["id"]: r for r in client.get(URL).json()["results"]}
    assert (rows[live.pk]["current_value"], rows[live.pk]["met"]) == ("50.0", False)
    assert rows[live.pk]["measured_count"] == 2
    assert "stopped in the period" in rows[live.pk]["definition"]
    assert (rows[manual.pk]["current_value"], rows[manual.pk]["met"]) == ("4.50", True)
    assert rows[manual.pk]["measured_on"] == "2026-03-09"
    assert rows[manual.pk]["verdict"] == "met"  # March 2026 is over
    detail = client.get(f"{URL}{live.pk}/").json()
    assert (detail["current_value"], detail["definition"]) == (
        "50.0",
        rows[live.pk]["definition"],
    )


def test_list_queries_grow_by_one_per_live_objective_only():
    reader = staff(Role.AUDITOR)
    for _ in range(3):
        make_measurement(make_objective(), "90", dt.date(2026, 3, 1))

    def call():
        assert api_client_for(reader).get(URL).status_code == 200

    call()
    manual_only = len(captured_queries(call))
    make_objective(measure=ObjectiveMeasure.COMPLAINTS)
    make_objective(measure=ObjectiveMeasure.SATISFACTION, target=Decimal("4"))
    call()  # content types are cached after their first use
    assert len(captured_queries(call)) == manual_only + 2


def test_filters():
    owner = staff()
    mine = make_objective(owner=owner, status=ObjectiveStatus.ACHIEVED)
    live = make_objective(
        measure=ObjectiveMeasure.COMPLAINTS,
        period_start=dt.date(2026, 6, 1),
        period_end=dt.date(2026, 6, 30),
    )
    client = api_client_for(staff(Role.SMS_OWNER))
    assert result_ids(client.get(URL, {"owner": owner.pk})) == [mine.pk]
    assert result_ids(client.get(URL, {"status": "achieved"})) == [mine.pk]
    assert result_ids(client.get(URL, {"measure": "complaints"})) == [live.pk]
    assert result_ids(client.get(URL, {"period_from": "2026-04-01"})) == [live.pk]
    assert result_ids(client.get(URL, {"period_to": "2026-04-01"})) == [mine.pk]
    for bad in ({"owner": "99999999999999999999999"}, {"owner": "1.5"}, {"status": "done"}):
        assert_error_body(client.get(URL, bad), 400, "invalid")


def test_transition_by_a_manager_with_if_match():
    objective = make_objective()
    client = api_client_for(staff(Role.TOP_MANAGEMENT))
    url = f"{URL}{objective.pk}/transition/"
    with nothing_changed(Objective, objective):
        stale = client.post(url, {"to": "achieved"}, format="json", HTTP_IF_MATCH='"9"')
    assert_error_body(stale, 412, "stale_version")
    response = client.post(url, {"to": "achieved"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response["ETag"]) == ("achieved", '"2"')
    refused = client.post(url, {"to": "missed"}, format="json")
    assert "allowed next: active" in str(assert_error_body(refused, 400, "invalid")["errors"])
    with nothing_changed(Objective, objective):
        denied = api_client_for(objective.owner).post(url, {"to": "active"}, format="json")
    assert_error_body(denied, 403, "permission_denied")


def test_the_owner_patches_the_plan_only():
    objective = make_objective()
    client = api_client_for(objective.owner)
    response = client.patch(f"{URL}{objective.pk}/", {"plan": "Daily"}, format="json")
    assert (response.status_code, response.json()["plan"]) == (200, "Daily")
    objective.refresh_from_db()
    with nothing_changed(Objective, objective):
        refused = client.patch(f"{URL}{objective.pk}/", {"target": "10"}, format="json")
    assert_error_body(refused, 403, "permission_denied")


@pytest.mark.parametrize("role", sorted(READERS | CUSTOMER_ROLE_SET))
def test_measurements_by_role(role, customer_org):
    objective = make_objective()
    make_measurement(objective, "88", dt.date(2026, 3, 2))
    url = f"{URL}{objective.pk}/measurements/"
    client = api_client_for(person_for_role(role, customer_org))
    payload = {"value": "91.5", "measured_on": "2026-03-10", "evidence": "March report"}
    if role not in READERS:
        assert_error_body(client.get(url), 404, "not_found")
        with nothing_changed(ObjectiveMeasurement):
            assert_error_body(client.post(url, payload, format="json"), 404, "not_found")
        return
    assert [m["value"] for m in client.get(url).json()] == ["88.00"]
    if role not in MANAGERS:
        with nothing_changed(ObjectiveMeasurement):
            assert_error_body(client.post(url, payload, format="json"), 403, "permission_denied")
        return
    response = client.post(url, payload, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["value"], response.json()["evidence"]) == ("91.50", "March report")


def test_the_owner_records_and_bad_measurements_are_refused(settings):
    settings.TIME_ZONE = "UTC"
    objective = make_objective(
        period_start=timezone.localdate() - dt.timedelta(days=5),
        period_end=timezone.localdate() + dt.timedelta(days=5),
    )
    client = api_client_for(objective.owner)
    url = f"{URL}{objective.pk}/measurements/"
    today = timezone.localdate().isoformat()
    ok = client.post(url, {"value": "93", "measured_on": today, "evidence": "Log"}, format="json")
    assert ok.status_code == 201, ok.json()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    for payload, field in [
        ({"value": "93", "measured_on": today}, "evidence"),
        ({"value": "many", "measured_on": today, "evidence": "Log"}, "value"),
        ({"value": "93", "measured_on": tomorrow, "evidence": "Log"}, "measured_on"),
    ]:
        with nothing_changed(ObjectiveMeasurement):
            assert_error_body(client.post(url, payload, format="json"), 400, "invalid", [field])
    live = make_objective(measure=ObjectiveMeasure.MAJOR_INCIDENTS, owner=objective.owner)
    body = {"value": "1", "measured_on": "2026-03-02", "evidence": "Log"}
    with nothing_changed(ObjectiveMeasurement):
        refused = client.post(f"{URL}{live.pk}/measurements/", body, format="json")
    assert "measured live" in str(assert_error_body(refused, 400, "invalid", ["value"]))
