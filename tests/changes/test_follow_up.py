"""The follow-up job: incidents after an implementation are linked as possibly caused, and
emergency changes whose record is overdue are reminded of, each exactly once."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.changes.models import ChangeIncident
from accord.changes.services.follow_up import (
    follow_up,
    link_possibly_caused,
    remind_overdue_documentation,
)
from accord.core.choices import Door, Role
from accord.notifications.models import Notification
from accord.notifications.services import event_key
from tests.base import events_since, last_event_id
from tests.changes.factories import ChangeFactory
from tests.factories import PersonFactory, ServiceFactory, make_incident, person_with_role

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 11, 22, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=2)
NOW = END + dt.timedelta(days=10)


@pytest.fixture(autouse=True)
def three_day_window(settings):
    settings.ACCORD_CHANGE_CAUSED_WINDOW_DAYS = 3


@pytest.fixture
def service():
    return ServiceFactory()


@pytest.fixture
def change(service):
    return ChangeFactory(
        services=[service],
        status="implemented",
        outcome="successful",
        actual_start=START,
        actual_end=END,
    )


def _incident(service, at, customer_org):
    return make_incident(organisation=customer_org, service=service, now=at)


def test_links_exactly_the_incidents_that_followed_the_change(change, service, customer_org):
    window_end = END + dt.timedelta(days=3)
    before = _incident(service, START - dt.timedelta(minutes=1), customer_org)
    at_start = _incident(service, START, customer_org)
    during = _incident(service, START + dt.timedelta(hours=1), customer_org)
    after = _incident(service, END + dt.timedelta(days=2), customer_org)
    at_window_end = _incident(service, window_end, customer_org)
    too_late = _incident(service, window_end + dt.timedelta(minutes=1), customer_org)
    elsewhere = _incident(ServiceFactory(), START + dt.timedelta(hours=1), customer_org)
    no_service = _incident(None, START + dt.timedelta(hours=1), customer_org)

    assert link_possibly_caused(NOW) == 4
    links = ChangeIncident.objects.filter(change=change)
    assert {link.incident_id for link in links} == {
        at_start.pk,
        during.pk,
        after.pk,
        at_window_end.pk,
    }
    assert {(link.relation, link.source, link.linked_by_id) for link in links} == {
        ("possibly_caused", "detected", None)
    }
    assert {link.organisation_id for link in links} == {customer_org.pk}
    assert not ChangeIncident.objects.filter(
        incident__in=[before, too_late, elsewhere, no_service]
    ).exists()
    # Running again adds nothing and writes no audit event.
    mark = last_event_id()
    assert link_possibly_caused(NOW) == 0
    assert events_since(mark) == []
    assert ChangeIncident.objects.count() == 4


def test_an_existing_link_is_left_alone(change, service, customer_org):
    incident = _incident(service, START + dt.timedelta(hours=1), customer_org)
    ChangeIncident.objects.create(
        change=change,
        incident=incident,
        organisation=customer_org,
        relation="not_caused",
        linked_at=NOW,
    )
    assert link_possibly_caused(NOW) == 0
    assert ChangeIncident.objects.get().relation == "not_caused"


def test_changes_not_implemented_are_not_followed(service, customer_org):
    ChangeFactory(services=[service], status="implementing", actual_start=START)
    ChangeFactory(services=[service], status="scheduled")
    _incident(service, START + dt.timedelta(hours=1), customer_org)
    assert link_possibly_caused(NOW) == 0


def test_two_changes_on_one_service_each_get_the_incident(change, service, customer_org):
    other = ChangeFactory(
        services=[service, ServiceFactory()],
        status="failed",
        outcome="backed_out",
        actual_start=END,
        actual_end=END + dt.timedelta(hours=1),
    )
    incident = _incident(service, END + dt.timedelta(hours=3), customer_org)
    assert link_possibly_caused(NOW) == 2
    assert set(ChangeIncident.objects.values_list("change_id", "incident_id")) == {
        (change.pk, incident.pk),
        (other.pk, incident.pk),
    }


def test_links_are_audited_on_the_change_and_the_incident(change, service, customer_org):
    incident = _incident(service, START + dt.timedelta(hours=1), customer_org)
    mark = last_event_id()
    assert follow_up(NOW) == {"linked": 1, "reminded": 0}
    events = events_since(mark)
    assert [(e.object_type, e.door, e.actor_id) for e in events] == [
        ("changes.change", Door.JOB, None),
        ("incidents.incident", Door.JOB, None),
    ]
    assert events[0].changes == {"incidents possibly caused": [None, [incident.reference]]}
    assert events[1].changes == {f"change {change.reference}": [None, "possibly_caused"]}
    assert events[1].organisation_id == customer_org.pk


# --- overdue emergency documentation ------------------------------------------------------------


@pytest.fixture
def managers():
    return [person_with_role(Role.CHANGE_MANAGER), person_with_role(Role.CHANGE_MANAGER)]


def _emergency(**kwargs):
    kwargs.setdefault("owner", PersonFactory())
    kwargs.setdefault("status", "implemented")
    return ChangeFactory(change_type="emergency", **kwargs)


def test_overdue_emergency_changes_are_reminded_once(managers):
    overdue = _emergency(documentation_due_at=NOW - dt.timedelta(hours=1))
    later = _emergency(documentation_due_at=NOW + dt.timedelta(hours=1))
    _emergency(documentation_due_at=NOW - dt.timedelta(hours=1), documented_at=NOW)
    _emergency(documentation_due_at=NOW - dt.timedelta(hours=1), status="cancelled")
    ChangeFactory(change_type="normal", documentation_due_at=NOW - dt.timedelta(hours=1))

    assert remind_overdue_documentation(NOW) == 1
    notices = Notification.objects.filter(kind="change.documentation_overdue")
    assert {n.recipient_id for n in notices} == {
        overdue.owner_id,
        overdue.requester_id,
        *(m.pk for m in managers),
    }
    assert {n.event_key for n in notices} == {event_key(overdue, "change.documentation_overdue")}
    assert all(overdue.reference in n.subject for n in notices)

    assert remind_overdue_documentation(NOW) == 0
    assert notices.all().count() == 4
    # A day on, only the change whose deadline has passed since is new.
    assert remind_overdue_documentation(NOW + dt.timedelta(days=1)) == 1
    assert notices.all().count() == 8
    assert notices.filter(source_id=later.pk).count() == 4


def test_follow_up_reports_both_counts(change, service, customer_org, managers):
    _incident(service, END + dt.timedelta(hours=1), customer_org)
    _emergency(documentation_due_at=NOW - dt.timedelta(minutes=5))
    assert follow_up(NOW) == {"linked": 1, "reminded": 1}
    assert follow_up(NOW) == {"linked": 0, "reminded": 0}
