"""When a ticket was cancelled: recorded by the cancel transition of incidents and service
requests, backfilled for tickets cancelled before it was recorded, and used by the backlog at
the end of a period, where a ticket cancelled after that end was still open at it."""

from __future__ import annotations

import importlib

import pytest

from accord.core.models import AuditEvent
from accord.incidents import services as incident_services
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident
from accord.reports.sections import tickets
from accord.service_requests import services as request_services
from accord.service_requests.choices import RequestStatus
from accord.service_requests.models import ServiceRequest
from tests.factories import make_incident
from tests.incidents.conftest import desk  # noqa: F401  (the fixture)
from tests.reports.factories import berlin, incident, report_sla, request, scope_of
from tests.service_requests.conftest import make_shop

pytestmark = pytest.mark.django_db

NOW = berlin(2026, 11, 5, 12, 0)
INCIDENTS = importlib.import_module("accord.incidents.migrations.0004_incident_cancelled_at")
REQUESTS = importlib.import_module("accord.service_requests.migrations.0002_request_cancelled_at")


def test_cancelling_an_incident_records_when(desk):  # noqa: F811
    made = make_incident(
        actor=desk.agent, caller=desk.caller, service=desk.service, now=berlin(2026, 3, 2, 10)
    )
    assert made.cancelled_at is None
    done = incident_services.incident_transition(
        actor=desk.agent,
        incident=made,
        to=IncidentStatus.CANCELLED,
        resolution_notes="Raised twice",
        now=berlin(2026, 3, 2, 11),
    )
    assert done.cancelled_at == done.closed_at == berlin(2026, 3, 2, 11)
    event = AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(made.pk))
    assert "cancelled_at" in event.order_by("-id").first().changes


def test_resolving_and_closing_an_incident_records_no_cancellation(desk):  # noqa: F811
    made = make_incident(
        actor=desk.agent, caller=desk.caller, service=desk.service, now=berlin(2026, 3, 2, 10)
    )
    done = incident_services.incident_transition(
        actor=desk.agent,
        incident=made,
        to=IncidentStatus.RESOLVED,
        resolution_code="permanent",
        resolution_notes="Fixed",
        now=berlin(2026, 3, 2, 11),
    )
    assert done.cancelled_at is None


def test_cancelling_a_request_records_when():
    shop = make_shop()
    made = shop.request(item=shop.mailbox, now=berlin(2026, 3, 2, 10))
    assert made.cancelled_at is None
    done = request_services.request_transition(
        actor=shop.requester, request=made, to=RequestStatus.CANCELLED, now=berlin(2026, 3, 2, 11)
    )
    assert done.cancelled_at == done.closed_at == berlin(2026, 3, 2, 11)


def test_the_backlog_counts_a_ticket_cancelled_after_the_period_as_open_at_its_end():
    sla, (service,), customer = report_sla()
    october = berlin(2026, 10, 20)
    after = incident(service, customer, priority="P2", opened_at=october)
    Incident.objects.filter(pk=after.pk).update(
        status=IncidentStatus.CANCELLED,
        closed_at=berlin(2026, 11, 3),
        cancelled_at=berlin(2026, 11, 3),
    )
    within = incident(service, customer, priority="P2", opened_at=october)
    Incident.objects.filter(pk=within.pk).update(
        status=IncidentStatus.CANCELLED,
        closed_at=berlin(2026, 10, 25),
        cancelled_at=berlin(2026, 10, 25),
    )
    # Cancelled with no instant recorded: when is unknown, so it is left out.
    incident(service, customer, priority="P2", opened_at=october, status=IncidentStatus.CANCELLED)
    req = request(service, customer, priority="P3", opened_at=october)
    ServiceRequest.objects.filter(pk=req.pk).update(
        status=RequestStatus.CANCELLED,
        closed_at=berlin(2026, 11, 1, 0, 30),  # just after the period's end, in Berlin
        cancelled_at=berlin(2026, 11, 1, 0, 30),
    )
    rejected = request(service, customer, priority="P3", opened_at=october)
    ServiceRequest.objects.filter(pk=rejected.pk).update(
        status=RequestStatus.REJECTED, closed_at=berlin(2026, 11, 2)
    )

    sec = tickets.backlog_section(scope_of(sla), NOW)
    assert dict(sec["figures"]) == {"Open at the end of the period": 3}
    rows = {r[0]: r for r in sec["tables"][0]["rows"]}
    assert rows["P2"][1] == 1 and rows["P3"][1] == 2
    listed = {r[0]: r for r in sec["tables"][1]["rows"]}
    assert set(listed) == {after.reference, req.reference, rejected.reference}
    assert listed[after.reference][3] == IncidentStatus.CANCELLED  # its status now


def test_the_backfill_takes_closed_at_then_the_audit_trail_then_the_last_write():
    _, (service,), customer = report_sla()
    opened = berlin(2026, 10, 1)
    closed = incident(service, customer, opened_at=opened, status=IncidentStatus.CANCELLED)
    Incident.objects.filter(pk=closed.pk).update(closed_at=berlin(2026, 10, 2))
    audited = incident(service, customer, opened_at=opened, status=IncidentStatus.CANCELLED)
    AuditEvent.objects.create(
        occurred_at=berlin(2026, 10, 3),
        door="ui",
        action="transition",
        object_type="incidents.incident",
        object_id=str(audited.pk),
        object_repr=audited.reference,
        changes={"status": ["new", "cancelled"]},
        prev_hash="0" * 64,
        hash="b" * 64,
    )
    bare = incident(service, customer, opened_at=opened, status=IncidentStatus.CANCELLED)
    still_open = incident(service, customer, opened_at=opened)
    written = Incident.objects.get(pk=bare.pk).updated_at

    counts = INCIDENTS.backfill_cancelled_at(Incident, AuditEvent)
    assert counts == {"closed_at": 1, "audit": 1, "updated_at": 1}
    got = dict(Incident.objects.values_list("pk", "cancelled_at"))
    assert got[closed.pk] == berlin(2026, 10, 2)
    assert got[audited.pk] == berlin(2026, 10, 3)
    assert got[bare.pk] == written
    assert got[still_open.pk] is None
    assert INCIDENTS.backfill_cancelled_at(Incident, AuditEvent) == {
        "closed_at": 0,
        "audit": 0,
        "updated_at": 0,
    }


def test_the_request_backfill_takes_closed_at():
    _, (service,), customer = report_sla()
    req = request(service, customer, opened_at=berlin(2026, 10, 1), status=RequestStatus.CANCELLED)
    ServiceRequest.objects.filter(pk=req.pk).update(closed_at=berlin(2026, 10, 4))
    assert REQUESTS.backfill_cancelled_at(ServiceRequest, AuditEvent)["closed_at"] == 1
    assert ServiceRequest.objects.get(pk=req.pk).cancelled_at == berlin(2026, 10, 4)
