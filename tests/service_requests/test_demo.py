"""Demo service requests: made through the services, in a mix a service desk would recognise."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accord.agreements.models import TicketClock
from accord.core.models import AuditEvent
from accord.service_requests.demo import DEMO_REQUESTS
from accord.service_requests.models import Approval, FulfilmentTask, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.mark.demo
def test_demo_requests_cover_the_lifecycle():
    call_command("demo", stdout=io.StringIO())
    assert ServiceRequest.objects.count() == DEMO_REQUESTS
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert {"awaiting_approval", "in_fulfilment", "fulfilled", "closed"} <= statuses
    assert {"approved", "rejected", "pending"} <= set(
        Approval.objects.values_list("decision", flat=True)
    )
    assert FulfilmentTask.objects.filter(status="done").exists()
    assert TicketClock.objects.filter(metric="fulfilment").exists()
    # Every request has its creation in the audit trail.
    created = AuditEvent.objects.filter(
        object_type="service_requests.servicerequest", action="create"
    ).count()
    assert created == DEMO_REQUESTS
