"""Secret links of iCalendar feeds: made once, audited, reset to revoke, read without signing
in."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from accord import urls as project_urls
from accord.changes.choices import ChangeStatus
from accord.changes.models import CalendarFeed
from accord.changes.services.feeds import feed_for, feed_reset
from accord.changes.views import feeds as feed_views
from accord.core.choices import Role
from tests.base import events_since, last_event_id, roles_with
from tests.changes.factories import ChangeFactory
from tests.factories import ServiceFactory, person_with_role

# The feed address mounted ahead of the project's own (whether or not it is included there).
urlpatterns = [*feed_views.urlpatterns, *project_urls.urlpatterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def agent():
    return person_with_role(Role.AGENT)


def feed_address(feed):
    return reverse("change-feed", args=[feed.token])


def test_a_feed_is_made_once_and_audited(agent):
    mark = last_event_id()
    feed = feed_for(actor=agent)
    assert len(feed.token) >= 43
    assert feed_for(actor=agent) == feed
    crm = ServiceFactory()
    service_feed = feed_for(actor=agent, service=crm)
    assert service_feed != feed and service_feed.service == crm
    assert feed_for(actor=agent, service=crm) == service_feed
    events = [e for e in events_since(mark) if e.object_type == "changes.calendarfeed"]
    assert [e.action for e in events] == ["create", "create"]
    assert all(feed.token not in str(e.changes) for e in events)


@pytest.mark.parametrize("role", sorted(Role.values))
def test_who_may_have_a_feed(role):
    person = person_with_role(role)
    if role in roles_with("changes.view"):
        assert feed_for(actor=person).person == person
    else:
        with pytest.raises(PermissionDenied):
            feed_for(actor=person)
        assert not CalendarFeed.objects.exists()


def test_reset_kills_the_old_link(agent, client: Client):
    feed = feed_for(actor=agent)
    old = feed.token
    assert client.get(feed_address(feed)).status_code == 200
    mark = last_event_id()
    feed = feed_reset(actor=agent, feed=feed)
    assert feed.token != old
    [event] = events_since(mark)
    assert event.action == "update" and old not in str(event.changes)
    assert client.get(reverse("change-feed", args=[old])).status_code == 404
    assert client.get(feed_address(feed)).status_code == 200


def test_only_the_owner_resets_a_link(agent):
    feed = feed_for(actor=agent)
    manager = person_with_role(Role.CHANGE_MANAGER)
    with pytest.raises(PermissionDenied):
        feed_reset(actor=manager, feed=feed)
    feed.refresh_from_db()
    assert CalendarFeed.objects.get(pk=feed.pk).token == feed.token


def test_a_service_feed_needs_a_service_the_person_sees():
    crm = ServiceFactory()
    customer = person_with_role(Role.CUSTOMER_USER)
    with pytest.raises((PermissionDenied, ValidationError)):
        feed_for(actor=customer, service=crm)


def test_the_feed_address_needs_no_login_and_is_private(agent, client: Client):
    change = ChangeFactory(requester=agent, status=ChangeStatus.SCHEDULED)
    feed = feed_for(actor=agent)
    assert feed.last_read_at is None
    response = client.get(feed_address(feed))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    cal = Calendar.from_ical(response.content)
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"{change.reference}@accord"
    assert str(event["URL"]).startswith("http://testserver/")
    feed.refresh_from_db()
    assert feed.last_read_at is not None


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 200])
def test_unknown_tokens_answer_404(client: Client, token):
    assert client.get(f"/changes/calendar/{token}.ics").status_code == 404


def test_a_deactivated_person_s_link_stops(agent, client: Client):
    feed = feed_for(actor=agent)
    agent.is_active = False
    agent.save()
    assert client.get(feed_address(feed)).status_code == 404


def test_the_feed_only_answers_get(agent, client: Client):
    feed = feed_for(actor=agent)
    assert client.post(feed_address(feed)).status_code == 405
