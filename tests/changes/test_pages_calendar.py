"""The change calendar (month and week), its iCal links and projected availability, as the
people who plan changes use them: what is shown where, in whose time zone, with which
conflicts and freezes, and who may open the pages at all."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.changes.models import CalendarFeed
from accord.core.choices import Role
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    NOT_FOUND_TEXT,
    assert_constant_queries,
    person_for_role,
    roles_with,
)
from tests.changes.factories import ChangeFactory, FreezeWindowFactory
from tests.factories import ConfigurationItemFactory, ServiceFactory, person_with_role

pytestmark = pytest.mark.django_db

READERS = roles_with("changes.view")
CALENDAR = "/changes/calendar/"


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant ``days`` from today at ``hour``:``minute`` UTC."""
    day = timezone.now().astimezone(dt.UTC).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def scheduled(**kwargs):
    start = kwargs.pop("planned_start", at(1, 10))
    return ChangeFactory(
        status="scheduled",
        planned_start=start,
        planned_end=kwargs.pop("planned_end", start + dt.timedelta(hours=2)),
        **kwargs,
    )


def anchor(when: dt.datetime) -> str:
    return when.date().isoformat()


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("url", [CALENDAR, f"{CALENDAR}?view=week", "/changes/availability/"])
def test_staff_read_the_schedule_and_customers_do_not_find_it(role, url, client, customer_org):
    client.force_login(person_for_role(role, customer_org))
    response = client.get(url)
    if role in READERS:
        assert response.status_code == 200, role
    else:
        assert role in CUSTOMER_ROLE_SET
        assert response.status_code == 404, role
        assert NOT_FOUND_TEXT in response.content.decode()


def test_anonymous_is_sent_to_login(client):
    response = client.get(CALENDAR)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_month_view_shows_changes_with_badges_freezes_and_today(client):
    service = ServiceFactory(name="Payroll")
    change = scheduled(title="Patch payroll", services=[service], risk_class="high")
    FreezeWindowFactory(name="Year end", starts_at=at(1, 0), ends_at=at(2, 0))
    client.force_login(person_with_role(Role.AGENT))
    response = client.get(f"{CALENDAR}?date={anchor(change.planned_start)}")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="calendar-month"' in content
    assert change.reference in content and "Patch payroll" in content
    assert reverse("change-detail", args=[change.reference]) in content
    assert "Normal" in content and "High risk" in content
    assert "Freeze: Year end" in content
    # The freeze names no service, so it holds for every one: the change is in conflict.
    assert content.count('data-testid="conflict"') == 1
    today = timezone.localdate()
    month_page = client.get(f"{CALENDAR}?date={today.isoformat()}").content.decode()
    assert f'data-date="{today.isoformat()}" aria-current="date"' in month_page


def test_week_view_has_seven_days_and_moves_by_a_week(client):
    change = scheduled(title="Rotate certificates")
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    day = change.planned_start.date()
    response = client.get(f"{CALENDAR}?view=week&date={day.isoformat()}")
    content = response.content.decode()
    assert 'data-testid="calendar-week"' in content
    assert content.count("data-date=") == 7
    assert change.reference in content
    monday = day - dt.timedelta(days=day.weekday())
    assert f"date={(monday + dt.timedelta(days=7)).isoformat()}" in content
    assert f"date={(monday - dt.timedelta(days=7)).isoformat()}" in content
    later = client.get(f"{CALENDAR}?view=week&date={(monday + dt.timedelta(days=7)).isoformat()}")
    assert change.reference not in later.content.decode()


def test_conflicting_changes_are_marked_with_their_reasons(client):
    ci = ConfigurationItemFactory(name="db-01")
    first = scheduled(title="Upgrade database", configuration_items=[ci])
    second = scheduled(
        title="Patch database host",
        configuration_items=[ci],
        planned_start=first.planned_start + dt.timedelta(hours=1),
    )
    alone = scheduled(title="Unrelated work", planned_start=at(1, 20))
    client.force_login(person_with_role(Role.CHANGE_AUTHORITY))
    response = client.get(f"{CALENDAR}?view=week&date={anchor(first.planned_start)}")
    content = response.content.decode()
    assert content.count('data-testid="conflict"') == 2
    assert "db-01" in content  # the reason names the shared CI
    assert second.reference in content and alone.reference in content


def test_days_follow_the_viewer_time_zone(client):
    # 23:30 UTC is already the next day in Berlin.
    change = scheduled(planned_start=at(3, 23, 30), planned_end=at(4, 0, 30))
    berliner = person_with_role(Role.AGENT)
    berliner.time_zone = "Europe/Berlin"
    berliner.save(update_fields=["time_zone"])
    client.force_login(berliner)
    local_day = change.planned_start.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).date()
    response = client.get(f"{CALENDAR}?view=week&date={local_day.isoformat()}")
    cells = response.context["weeks"][0]
    shown = [cell["date"] for cell in cells if cell["items"]]
    assert shown == [local_day]
    assert "Europe/Berlin" in response.content.decode()


def test_filters_narrow_to_a_service_and_offer_its_feed(client):
    mail, web = ServiceFactory(name="Mail"), ServiceFactory(name="Web")
    on_mail = scheduled(services=[mail])
    on_web = scheduled(services=[web])
    person = person_with_role(Role.SERVICE_OWNER)
    client.force_login(person)
    response = client.get(f"{CALENDAR}?service={mail.pk}&date={anchor(on_mail.planned_start)}")
    content = response.content.decode()
    assert on_mail.reference in content and on_web.reference not in content
    assert not CalendarFeed.objects.exists(), "reading the calendar makes no link"
    made = client.post(reverse("change-feed-create"), {"service": mail.pk})
    assert made.status_code == 302
    feed = CalendarFeed.objects.get(person=person, service=mail)
    content = client.get(f"{CALENDAR}?service={mail.pk}").content.decode()
    assert reverse("change-feed", args=[feed.token]) in content
    # A service the person may not see, or no service at all by that number: 404, nothing made.
    assert client.post(reverse("change-feed-create"), {"service": 999999}).status_code == 404
    assert CalendarFeed.objects.count() == 1
    bad = client.get(f"{CALENDAR}?service=999999")
    assert bad.status_code == 400


def test_feed_links_are_shown_and_reset_by_their_owner_only(client):
    person = person_with_role(Role.AGENT)
    client.force_login(person)
    assert client.post(reverse("change-feed-create")).status_code == 302
    content = client.get(CALENDAR).content.decode()
    feed = CalendarFeed.objects.get(person=person, service=None)
    assert "Subscribe (my changes)" in content
    assert reverse("change-feed", args=[feed.token]) in content
    old = feed.token
    response = client.post(reverse("change-feed-reset", args=[feed.pk]))
    assert response.status_code == 302
    feed.refresh_from_db()
    assert feed.token != old
    assert client.get(reverse("change-feed", args=[old])).status_code == 404
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    assert client.post(reverse("change-feed-reset", args=[feed.pk])).status_code == 404
    kept = feed.token
    feed.refresh_from_db()
    assert feed.token == kept


def test_calendar_queries_do_not_grow_with_changes(client):
    service = ServiceFactory()
    ci = ConfigurationItemFactory()
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    start = at(1, 8)

    def grow(n):
        for i in range(n):
            scheduled(
                services=[service],
                configuration_items=[ci],
                planned_start=start + dt.timedelta(minutes=5 * i),
            )
        FreezeWindowFactory(starts_at=at(1, 0), ends_at=at(1, 6), services=[service])

    def call():
        response = client.get(f"{CALENDAR}?date={anchor(start)}")
        assert response.status_code == 200
        assert "⚠ conflict" in response.content.decode()

    assert_constant_queries(call, grow)


def test_projected_availability_lists_services_down_and_at_risk(client):
    crm = ServiceFactory(name="CRM")
    outage = scheduled(services=[crm], service_outage=True, planned_start=at(2, 9))
    client.force_login(person_with_role(Role.AUDITOR))
    response = client.get("/changes/availability/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "CRM" in content and outage.reference in content and "down" in content
    later = (timezone.localdate() + dt.timedelta(days=40)).isoformat()
    empty = client.get(f"/changes/availability/?from={later}")
    assert outage.reference not in empty.content.decode()
    bad = client.get("/changes/availability/?from=2030-01-10&to=2030-01-01")
    assert bad.status_code == 400 and "must follow the start" in bad.content.decode()
