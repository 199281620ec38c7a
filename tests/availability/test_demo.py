"""The demo's availability: outages recorded through the services on the demo services, with
the investigations, planned maintenance and ongoing degradation an availability manager expects
to find, availability targets on the SLAs, no mail, and nothing added by loading twice."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.agreements.models import Agreement
from accord.availability.models import Investigation, Outage
from accord.availability.selectors import agreements_for_measure, measure_agreements
from accord.core.choices import Role
from accord.core.models import AuditEvent, Person
from accord.notifications.models import Notification, OutboundMail

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Outage.objects.count(),
        Investigation.objects.count(),
        AuditEvent.objects.filter(object_type="availability.outage").count(),
    )


@pytest.mark.demo
def test_the_demo_outages_and_loading_twice_adds_nothing():
    call_command("demo", stdout=io.StringIO())
    now = timezone.now()
    outages = Outage.objects.all()
    assert outages.count() == 8
    assert set(outages.values_list("kind", flat=True)) == {"planned", "unplanned"}
    assert outages.filter(end__isnull=True, start__lte=now).count() == 1  # degraded right now
    assert outages.filter(kind="planned", start__gt=now).count() == 1  # announced ahead
    assert outages.filter(closed_at__isnull=False).count() == 1
    assert sorted(Investigation.objects.values_list("status", flat=True)) == [
        "completed",
        "open",
        "open",
    ]
    sam = Person.objects.get(username="owner")
    assert sam.role_assignments.filter(role=Role.AVAILABILITY_MANAGER).exists()
    measured = measure_agreements(
        list(agreements_for_measure(Agreement.objects.filter(kind="sla"))), period=None, now=now
    )
    assert {m.subject.code: m.target is not None for m in measured} == {
        "SLA-CONTOSO": True,
        "SLA-GLOBEX": True,
        "SLA-UMBRELLA": True,
    }
    assert not Notification.objects.filter(kind__startswith="availability.").exists()
    assert not Notification.objects.filter(kind="outage.investigation").exists()
    assert not OutboundMail.objects.filter(kind__startswith="availability.").exists()

    first = counts()
    call_command("demo", stdout=io.StringIO())
    assert counts() == first
