"""Acceptance of capacity management in the browser: a capacity manager sees which metrics of
which services run out first and when, opens one with its chart, and sees a critical crossing
read by the job turn into an incident."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accord.capacity.ingest import ingest
from accord.capacity.rollups import roll_up
from accord.capacity.tasks import roll_up_capacity
from accord.core.choices import Role
from accord.incidents.models import Incident
from tests.capacity.factories import MetricFactory
from tests.factories import PASSWORD, PersonFactory, ServiceFactory, provider

pytestmark = pytest.mark.django_db(transaction=True)


def grow(metric, start_value, per_day, today, days=40):
    """One sample a day at 06:00 UTC for ``days`` days up to yesterday, growing linearly."""
    ingest(
        [
            {
                "metric": metric.code,
                "at": dt.datetime.combine(
                    today - dt.timedelta(days=days - i), dt.time(6), tzinfo=dt.UTC
                ),
                "value": start_value + per_day * i,
            }
            for i in range(days)
        ],
        actor=None,
        now=timezone.now(),
    )


def test_the_capacity_manager_sees_what_runs_out_first(login, page):
    provider()
    cara = PersonFactory(username="cara", first_name="Cara", roles=[Role.CAPACITY_MANAGER])
    today = timezone.now().date()
    mail = ServiceFactory(name="Mail", code="MAIL")
    web = ServiceFactory(name="Web shop", code="WEB")
    storage = MetricFactory(code="MAIL-STORAGE", name="Mailbox storage", service=mail, owner=cara)
    sessions = MetricFactory(
        code="WEB-SESSIONS",
        name="Web sessions",
        service=web,
        owner=cara,
        unit="sessions",
        usable_capacity=1000,
        warning_threshold=800,
        critical_threshold=950,
    )
    grow(storage, 0.5, 0.005, today)  # 2 TB usable: months away
    grow(sessions, 300, 12, today)  # 768 sessions yesterday: runs out in about three weeks
    roll_up()

    login("cara", PASSWORD)
    page.get_by_role("link", name="Capacity").first.click()
    expect(page).to_have_url(re.compile(r"/capacity/$"))
    rows = page.get_by_test_id("metrics").locator("tbody tr")
    expect(rows.first).to_contain_text("Web sessions")
    expect(rows.nth(1)).to_contain_text("Mailbox storage")
    first = page.locator(f'tr[data-metric="{sessions.pk}"]')
    expect(first.locator('[data-figure="exhaustion"]')).to_contain_text(re.compile(r"around \d"))
    expect(first).to_contain_text("Web shop")
    expect(page.locator('[data-count="soon"]')).to_contain_text("1")

    first.get_by_role("link", name="Web sessions").click()
    expect(page.get_by_test_id("figures")).to_be_visible()
    expect(page.locator("svg[role=img]").first).to_be_visible()
    expect(page.get_by_test_id("level")).to_contain_text("Normal")

    # A spike over the critical threshold in the last complete hour: the job reads it once.
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    ingest(
        [{"metric": sessions.code, "at": hour + dt.timedelta(minutes=10), "value": 990}],
        actor=None,
        now=timezone.now(),
    )
    roll_up_capacity()
    roll_up_capacity()
    incident = Incident.objects.get(channel="monitoring")
    page.reload()
    expect(page.get_by_test_id("level")).to_contain_text("Critical")
    expect(page.locator('[data-figure="incident"]')).to_contain_text(incident.reference)
    assert Incident.objects.filter(channel="monitoring").count() == 1
