"""The iCalendar feed: parses as RFC 5545 and holds exactly the changes its owner may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from accord.changes.choices import ChangeStatus
from accord.changes.models import ChangeApprovalStep
from accord.changes.selectors.ical import PRODID, ical_for
from accord.changes.services.feeds import feed_for
from accord.core.choices import Role
from accord.core.models import RoleAssignment
from tests.base import refreshed
from tests.changes.factories import ChangeFactory, FreezeWindowFactory
from tests.factories import ServiceFactory, TeamFactory, person_with_role

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def parse(feed):
    return Calendar.from_ical(ical_for(feed))


def uids(cal):
    return sorted(str(e["UID"]) for e in cal.walk("VEVENT"))


def change_uid(change):
    return f"{change.reference}@accord"


@pytest.fixture
def agent():
    return person_with_role(Role.AGENT)


def test_person_feed_holds_exactly_their_changes(agent):
    team = TeamFactory()
    team.members.add(agent)
    on = {"status": ChangeStatus.SCHEDULED}
    mine = [
        ChangeFactory(requester=agent, **on),
        ChangeFactory(owner=agent, status=ChangeStatus.APPROVED),
        ChangeFactory(implementer=agent, status=ChangeStatus.IMPLEMENTING),
        ChangeFactory(implementer_team=team, status=ChangeStatus.IMPLEMENTED),
        ChangeFactory(status=ChangeStatus.AWAITING_APPROVAL),
    ]
    ChangeApprovalStep.objects.create(
        change=mine[-1], label="CAB", authority="role", mode="any", eligible=[agent.pk]
    )
    others = ChangeFactory(**on)  # someone else's
    ChangeApprovalStep.objects.create(
        change=others, label="CAB", authority="role", mode="any", eligible=[agent.pk + 1000]
    )
    ChangeFactory(requester=agent, status=ChangeStatus.DRAFT)  # not on the schedule
    ChangeFactory(requester=agent, status=ChangeStatus.CANCELLED)
    ChangeFactory(requester=agent, status=ChangeStatus.REJECTED)
    recent = ChangeFactory(
        requester=agent,
        status=ChangeStatus.CLOSED,
        actual_start=timezone.now() - dt.timedelta(days=10),
        actual_end=timezone.now() - dt.timedelta(days=10) + HOUR,
    )
    ChangeFactory(
        requester=agent,
        status=ChangeStatus.FAILED,
        actual_start=timezone.now() - dt.timedelta(days=100),
        actual_end=timezone.now() - dt.timedelta(days=100) + HOUR,
    )
    cal = parse(feed_for(actor=agent))
    assert uids(cal) == sorted(change_uid(c) for c in [*mine, recent])


def test_calendar_headers_and_event_fields(agent):
    crm = ServiceFactory(name="CRM")
    start = dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)
    change = ChangeFactory(
        requester=agent,
        status=ChangeStatus.AWAITING_APPROVAL,
        planned_start=start,
        planned_end=start + 2 * HOUR,
        services=[crm],
        risk_class="high",
        title="Patch the CRM",
    )
    cal = parse(feed_for(actor=agent))
    assert str(cal["PRODID"]) == PRODID
    assert str(cal["VERSION"]) == "2.0"
    assert "X-WR-CALNAME" in cal
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == change_uid(change)
    assert str(event["SUMMARY"]) == f"{change.reference} Patch the CRM"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + 2 * HOUR
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert str(event["STATUS"]) == "TENTATIVE"
    assert change.reference in str(event["URL"])
    description = str(event["DESCRIPTION"])
    assert "Normal" in description and "High" in description and "CRM" in description


def test_service_feed_holds_the_changes_on_that_service(agent):
    crm, web = ServiceFactory(), ServiceFactory()
    on_crm = ChangeFactory(services=[crm], status=ChangeStatus.SCHEDULED)
    both = ChangeFactory(services=[crm, web], status=ChangeStatus.APPROVED)
    ChangeFactory(services=[web], status=ChangeStatus.SCHEDULED)
    ChangeFactory(services=[crm], status=ChangeStatus.DRAFT)
    cal = parse(feed_for(actor=agent, service=crm))
    assert uids(cal) == sorted([change_uid(on_crm), change_uid(both)])


def test_freeze_windows_that_apply(agent):
    crm, web = ServiceFactory(), ServiceFactory()
    everywhere = FreezeWindowFactory(name="Year end")
    on_crm = FreezeWindowFactory(services=[crm])
    FreezeWindowFactory(services=[web])
    FreezeWindowFactory(
        starts_at=timezone.now() - dt.timedelta(days=200),
        ends_at=timezone.now() - dt.timedelta(days=199),
    )  # long over
    cal = parse(feed_for(actor=agent, service=crm))
    assert uids(cal) == sorted([f"freeze-{everywhere.pk}@accord", f"freeze-{on_crm.pk}@accord"])
    mine = ChangeFactory(requester=agent, services=[crm], status=ChangeStatus.SCHEDULED)
    own = parse(feed_for(actor=agent))
    assert uids(own) == sorted(
        [change_uid(mine), f"freeze-{everywhere.pk}@accord", f"freeze-{on_crm.pk}@accord"]
    )
    [freeze] = [e for e in own.walk("VEVENT") if str(e["UID"]).startswith("freeze")][:1]
    assert str(freeze["SUMMARY"]) == "Change freeze: Year end"


def test_a_person_who_lost_the_right_to_read_gets_an_empty_calendar(agent):
    ChangeFactory(requester=agent, status=ChangeStatus.SCHEDULED)
    FreezeWindowFactory()
    feed = feed_for(actor=agent)
    assert len(parse(feed).walk("VEVENT")) == 2
    RoleAssignment.objects.filter(person=agent).delete()
    feed.person = refreshed(agent)
    cal = parse(feed)
    assert cal.walk("VEVENT") == []
    assert str(cal["PRODID"]) == PRODID


def test_changes_re_planned_carry_a_new_sequence(agent):
    change = ChangeFactory(requester=agent, status=ChangeStatus.SCHEDULED)
    feed = feed_for(actor=agent)
    [before] = parse(feed).walk("VEVENT")
    change.planned_end += HOUR
    change.version += 1
    change.save()
    [after] = parse(feed).walk("VEVENT")
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
