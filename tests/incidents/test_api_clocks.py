"""``/api/v1/incidents/{id}/sla-clocks/``: every clock of an incident read now.

The API reads the real clock, so the incidents here live in March 2026 (in the past): a stopped
or paused clock then reads the same whatever the day, and a clock left running has breached with
its due instant fixed. Office hours are Mon-Fri 09:00-17:00 Berlin; 2026-03-02 is a Monday.
"""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from accord.incidents import services
from tests.base import api_client_for, assert_error_body, person_for_role
from tests.factories import make_incident
from tests.incidents.conftest import berlin

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
HOUR = 3600


def open_p2(desk, **kwargs):
    return make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=2,
        urgency=1,
        assignment_group=desk.team,
        now=berlin(2026, 3, 2, 10, 0),
        **kwargs,
    )


def clocks_by_kind(response):
    assert response.status_code == 200, response.json()
    return {(c["agreement_kind"], c["metric"]): c for c in response.json()}


def test_clocks_of_an_incident_waiting_on_the_customer(desk):
    incident = open_p2(desk, supplier=desk.supplier)
    services.comment_add(
        actor=desk.agent, incident=incident, body="On it", now=berlin(2026, 3, 2, 10, 30)
    )
    services.incident_transition(
        actor=desk.agent, incident=incident, to="pending_customer", now=berlin(2026, 3, 2, 12, 0)
    )
    clocks = clocks_by_kind(api_client_for(desk.agent).get(f"{URL}{incident.pk}/sla-clocks/"))
    assert set(clocks) == {
        ("sla", "first_response"),
        ("sla", "resolution"),
        ("ola", "resolution"),
        ("uc", "resolution"),
    }
    response = clocks[("sla", "first_response")]
    assert response == {
        "id": response["id"],
        "metric": "first_response",
        "agreement": {"id": desk.sla.pk, "code": "SLA-CONTOSO", "name": desk.sla.name},
        "agreement_kind": "sla",
        "priority": "P2",
        "state": "met",
        "due_at": None,
        "elapsed_seconds": HOUR // 2,
        "remaining_seconds": HOUR // 2,
        "breached": False,
        "target_seconds": HOUR,
        "started_at": "2026-03-02T09:00:00Z",
        "stopped_at": "2026-03-02T09:30:00Z",
        "paused": False,
    }
    # Waiting on the customer pauses every resolution clock after 2 business hours.
    for kind, target in (("sla", 8), ("ola", 6), ("uc", 12)):
        clock = clocks[(kind, "resolution")]
        assert clock["state"] == "paused", kind
        assert clock["paused"] is True
        assert clock["elapsed_seconds"] == 2 * HOUR
        assert clock["target_seconds"] == target * HOUR
        assert clock["remaining_seconds"] == (target - 2) * HOUR
        assert clock["stopped_at"] is None and clock["breached"] is False
    assert clocks[("ola", "resolution")]["agreement"]["code"] == "OLA-DESK"
    assert clocks[("uc", "resolution")]["agreement"]["code"] == "UC-ACME"


def test_a_clock_left_running_has_breached_at_its_due_instant(desk):
    incident = open_p2(desk)
    clocks = clocks_by_kind(api_client_for(desk.manager).get(f"{URL}{incident.pk}/sla-clocks/"))
    resolution = clocks[("sla", "resolution")]
    assert resolution["state"] == "breached" and resolution["breached"] is True
    assert resolution["due_at"] == "2026-03-03T09:00:00Z"  # 8 business hours: Tue 10:00 Berlin
    assert resolution["remaining_seconds"] == 0
    assert resolution["elapsed_seconds"] > resolution["target_seconds"] == 8 * HOUR
    assert resolution["paused"] is False and resolution["stopped_at"] is None
    assert clocks[("ola", "resolution")]["due_at"] == "2026-03-02T15:00:00Z"  # 6h: Mon 16:00
    summary = api_client_for(desk.manager).get(f"{URL}{incident.pk}/").json()["sla"]
    assert {(c["kind"], c["metric"], c["state"], c["remaining_seconds"]) for c in summary} == {
        ("sla", "first_response", "breached", 0),
        ("sla", "resolution", "breached", 0),
        ("ola", "resolution", "breached", 0),
    }
    by_kind = {(c["kind"], c["metric"]): c for c in summary}
    assert by_kind[("sla", "resolution")]["due_at"] == resolution["due_at"]
    assert by_kind[("sla", "resolution")]["agreement"] == "SLA-CONTOSO"


def test_resolved_clocks_are_met_or_breached_for_good(desk):
    incident = open_p2(desk)
    services.incident_transition(
        actor=desk.agent,
        incident=incident,
        to="resolved",
        resolution_code="permanent",
        resolution_notes="Quota raised",
        now=berlin(2026, 3, 3, 9, 30),
    )
    clocks = clocks_by_kind(api_client_for(desk.agent).get(f"{URL}{incident.pk}/sla-clocks/"))
    # Mon 10:00-17:00 and Tue 09:00-09:30: 7.5 business hours.
    sla = clocks[("sla", "resolution")]
    assert (sla["state"], sla["breached"], sla["elapsed_seconds"]) == ("met", False, 27000)
    assert sla["remaining_seconds"] == 1800 and sla["stopped_at"] == "2026-03-03T08:30:00Z"
    ola = clocks[("ola", "resolution")]
    assert (ola["state"], ola["breached"], ola["remaining_seconds"]) == ("breached", True, 0)


def test_a_priority_change_shows_the_cancelled_clock_in_full_only(desk):
    incident = open_p2(desk)
    services.incident_update(
        actor=desk.agent, incident=incident, data={"impact": 1}, now=berlin(2026, 3, 2, 12, 0)
    )
    client = api_client_for(desk.agent)
    clocks = client.get(f"{URL}{incident.pk}/sla-clocks/").json()
    cancelled = [c for c in clocks if c["state"] == "cancelled"]
    assert [(c["agreement_kind"], c["metric"]) for c in cancelled] == [("ola", "resolution")]
    assert cancelled[0]["due_at"] is None and cancelled[0]["stopped_at"]
    summary = client.get(f"{URL}{incident.pk}/").json()["sla"]
    assert "cancelled" not in {c["state"] for c in summary}
    assert {c["kind"] for c in summary} == {"sla"}


def test_customers_see_their_sla_clocks_only(desk):
    incident = open_p2(desk, supplier=desk.supplier)
    for person in (desk.caller, person_for_role(Role.CUSTOMER_MANAGER, desk.customer)):
        clocks = api_client_for(person).get(f"{URL}{incident.pk}/sla-clocks/").json()
        assert {c["agreement_kind"] for c in clocks} == {"sla"}
        assert {c["agreement"]["code"] for c in clocks} == {"SLA-CONTOSO"}
    auditor = api_client_for(person_for_role(Role.AUDITOR, desk.customer))
    assert len(auditor.get(f"{URL}{incident.pk}/sla-clocks/").json()) == 4


def test_an_incident_without_a_service_has_no_clocks(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller)
    assert api_client_for(desk.agent).get(f"{URL}{incident.pk}/sla-clocks/").json() == []


def test_clocks_need_a_signed_in_person_who_sees_the_incident(desk, other_customer_org):
    incident = open_p2(desk)
    assert_error_body(
        api_client_for(None).get(f"{URL}{incident.pk}/sla-clocks/"), 401, "not_authenticated"
    )
    stranger = person_for_role(Role.CUSTOMER_USER, other_customer_org)
    response = api_client_for(stranger).get(f"{URL}{incident.pk}/sla-clocks/")
    assert_error_body(response, 404, "not_found")
    refused = api_client_for(desk.agent).post(f"{URL}{incident.pk}/sla-clocks/")
    assert_error_body(refused, 405, "method_not_allowed")
