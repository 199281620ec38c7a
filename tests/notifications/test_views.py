"""The notifications page and the bell: each person sees their own notices and nobody else's,
whatever their role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from accord.core.choices import Role
from accord.notifications import services
from accord.notifications.choices import NotificationKind
from accord.notifications.models import Notification
from accord.notifications.selectors import notifications_visible_to, unread_count
from tests.factories import PersonFactory, provider

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def tell(source, people, kind, subject):
    services.notify(
        event_key=services.event_key(source, kind),
        kind=kind,
        recipients=people,
        subject=subject,
        body="Details of the event\n",
        link="/incidents/1/",
        organisation=source,
        source=source,
        now=NOW,
    )


@pytest.fixture
def inbox(customer, people):
    tell(customer, [people["ann"]], NotificationKind.SLA_WARNING, "Ann's warning")
    tell(customer, [people["ann"]], NotificationKind.SLA_BREACH, "Ann's breach")
    tell(customer, [people["ben"]], NotificationKind.MAJOR_DECLARED, "Ben's major incident")
    return people


def client_for(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_query_scope_is_the_recipient_alone(inbox, customer):
    ann, ben = inbox["ann"], inbox["ben"]
    assert set(notifications_visible_to(ann).values_list("subject", flat=True)) == {
        "Ann's warning",
        "Ann's breach",
    }
    assert list(notifications_visible_to(ben).values_list("subject", flat=True)) == [
        "Ben's major incident"
    ]
    # Roles that see everything elsewhere see no one else's notices here.
    for role in (Role.ADMINISTRATOR, Role.AUDITOR, Role.TOP_MANAGEMENT):
        assert not notifications_visible_to(PersonFactory(roles=[role])).exists()
    superuser = PersonFactory(organisation=provider(), is_superuser=True, is_staff=True)
    assert not notifications_visible_to(superuser).exists()
    assert unread_count(ann) == 2
    assert unread_count(None) == 0


def test_the_page_lists_own_notifications_only(inbox):
    response = client_for(inbox["ann"]).get("/notifications/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ann&#x27;s warning" in page
    assert "Ann&#x27;s breach" in page
    assert "Ben&#x27;s major incident" not in page
    assert 'href="/incidents/1/"' in page
    assert 'data-testid="bell"' in page
    assert "Notifications, 2 unread" in page


def test_signing_in_is_required(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_marking_read_changes_the_bell(inbox):
    ann = inbox["ann"]
    client = client_for(ann)
    warning = Notification.objects.get(recipient=ann, kind=NotificationKind.SLA_WARNING)

    response = client.post(f"/notifications/{warning.pk}/read/")
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    warning.refresh_from_db()
    assert warning.read_at is not None
    page = client.get("/notifications/").content.decode()
    assert "Notifications, 1 unread" in page
    unread_page = client.get("/notifications/?unread=1").content.decode()
    assert "Ann&#x27;s breach" in unread_page
    assert "Ann&#x27;s warning" not in unread_page

    client.post("/notifications/read/", {"next": "/notifications/?unread=1"})
    assert unread_count(ann) == 0
    page = client.get("/notifications/").content.decode()
    assert "unread" not in page.split('data-testid="bell"')[1].split("</a>")[0]


def test_someone_elses_notification_answers_404_and_stays_unread(inbox):
    bens = Notification.objects.get(recipient=inbox["ben"])
    admin = PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])
    for intruder in (inbox["ann"], admin):
        response = client_for(intruder).post(f"/notifications/{bens.pk}/read/")
        assert response.status_code == 404
    bens.refresh_from_db()
    assert bens.read_at is None
    # Mark all read touches only the caller's own.
    client_for(inbox["ann"]).post("/notifications/read/")
    bens.refresh_from_db()
    assert bens.read_at is None


def test_marking_read_needs_a_post(inbox):
    notice = Notification.objects.filter(recipient=inbox["ann"]).first()
    assert client_for(inbox["ann"]).get(f"/notifications/{notice.pk}/read/").status_code == 405


def test_an_offsite_next_is_ignored(inbox):
    response = client_for(inbox["ann"]).post(
        "/notifications/read/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/notifications/"


def test_the_bell_costs_one_query_and_none_for_anonymous(inbox, client, django_assert_num_queries):
    from django.test import RequestFactory

    from accord.notifications.context_processors import notifications

    request = RequestFactory().get("/")
    request.user = inbox["ann"]
    context = notifications(request)
    with django_assert_num_queries(1):
        assert str(context["unread_notifications"]) == "2"
        assert context["unread_notifications"] == 2
    login_page = client.get("/login/")
    assert 'data-testid="bell"' not in login_page.content.decode()
