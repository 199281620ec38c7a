"""Availability targets threatened or missed are told once per agreement, month and level, to
the availability managers, the services' owners and the agreement's owner: never customers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.availability import services as svc
from accord.availability.tasks import watch_availability
from accord.core.choices import Role
from accord.notifications.models import Notification, OutboundMail
from tests.availability.factories import OutageFactory, sla_with_availability
from tests.factories import PersonFactory, ServiceFactory, person_with_role

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.fixture
def setting(customer_org):
    """A 24x7 SLA at 99.5 %: November (30 days) allows 216 minutes of downtime."""
    service = ServiceFactory()
    agreement = sla_with_availability([service], percentage="99.5", organisation=customer_org)
    customer = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_MANAGER])
    return service, agreement, customer


def _record(actor, service, start, hours, now=NOW):
    return svc.outage_create(
        actor=actor,
        data={
            "title": "Portal down",
            "service": service,
            "kind": "unplanned",
            "start": start,
            "end": start + hours * H,
        },
        now=now,
    )


def test_threatened_then_missed_each_told_once(setting):
    service, agreement, customer = setting
    manager = person_with_role(Role.AVAILABILITY_MANAGER)
    _record(manager, service, dt.datetime(2026, 11, 2, tzinfo=dt.UTC), 2)  # 120 of 216 min
    assert not Notification.objects.filter(kind__startswith="availability.").exists()

    _record(manager, service, dt.datetime(2026, 11, 3, tzinfo=dt.UTC), 1)  # 180: 83 % used
    threatened = Notification.objects.filter(kind="availability.threatened")
    assert set(threatened.values_list("recipient", flat=True)) == {
        manager.pk,
        service.owner.pk,
        agreement.owner.pk,
    }
    notice = threatened.get(recipient=manager)
    assert "99.500%" in notice.subject and "2026-11" in notice.subject
    assert "36 min remain" in notice.body

    outage = _record(manager, service, dt.datetime(2026, 11, 4, tzinfo=dt.UTC), 1)  # 240 > 216
    breached = Notification.objects.filter(kind="availability.breached")
    assert breached.count() == 3
    assert "4 h" in breached.first().body

    # Writes that leave the levels where they were tell nobody again.
    svc.outage_update(actor=manager, outage=outage, data={"cause": "Certificate expired"}, now=NOW)
    _record(manager, service, dt.datetime(2026, 11, 5, tzinfo=dt.UTC), 1)
    assert Notification.objects.filter(kind__startswith="availability.").count() == 6
    assert not Notification.objects.filter(recipient=customer).exists()
    assert OutboundMail.objects.filter(kind="availability.breached").count() == 3


def test_a_new_month_is_a_new_budget(setting):
    service, _agreement, _customer = setting
    manager = person_with_role(Role.AVAILABILITY_MANAGER)
    _record(manager, service, dt.datetime(2026, 10, 2, tzinfo=dt.UTC), 5, now=NOW)
    # October's outage is measured when October is this month, not in November.
    assert not Notification.objects.filter(kind__startswith="availability.").exists()
    october = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
    _record(manager, service, dt.datetime(2026, 10, 3, tzinfo=dt.UTC), 1, now=october)
    assert Notification.objects.filter(kind="availability.breached").count() == 3


def test_agreements_without_an_availability_target_are_quiet(customer_org):
    service = ServiceFactory()
    manager = person_with_role(Role.AVAILABILITY_MANAGER)
    _record(manager, service, dt.datetime(2026, 11, 2, tzinfo=dt.UTC), 20)
    assert not Notification.objects.filter(kind__startswith="availability.").exists()


def test_the_watch_job_catches_an_ongoing_outage_once(setting):
    service, agreement, _customer = setting
    manager = person_with_role(Role.AVAILABILITY_MANAGER)
    now = timezone.now()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # Ongoing for four hours (or since the month began, if that is less): a written row that
    # nobody has touched since, so only the job can notice the budget running out.
    OutageFactory(service=service, start=max(month_start, now - 4 * H), end=None)
    first = watch_availability()
    assert first["services"] == 1
    told = Notification.objects.filter(kind__startswith="availability.", recipient=manager)
    expected = told.count()
    second = watch_availability()
    assert second == first
    assert told.count() == expected
    if now - month_start >= 4 * H:
        # 240 minutes of a month's budget of at most 223 minutes (31 days at 99.5 %).
        assert told.filter(kind="availability.breached").count() == 1
        assert told.get(kind="availability.breached").source_id == agreement.pk
