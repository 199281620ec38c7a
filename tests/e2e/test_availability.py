"""Acceptance of availability management in the browser: an availability manager sees, for every
live service, this month's availability against target with the remaining downtime budget,
drills into a service (its chart, heat map and the outages behind the figure) and into one
outage, records an ongoing outage, and sees it counted on the overview."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accord.availability.selectors import measure_services
from accord.availability.views.common import budget_words
from accord.core.choices import Role
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from tests.availability.factories import OutageFactory, sla_with_availability
from tests.factories import PASSWORD, OrganisationFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def typed(moment: dt.datetime, person) -> str:
    """``moment`` as the person types it: in their time zone, in the date-and-time box."""
    zone = zoneinfo.ZoneInfo(person.effective_time_zone)
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def test_the_availability_manager_sees_this_month_and_drills_into_outages(login, page):
    ava = PersonFactory(username="ava", first_name="Ava", roles=[Role.AVAILABILITY_MANAGER])
    now = timezone.now().replace(second=0, microsecond=0)
    month_start = now.replace(day=1, hour=0, minute=0)
    mail = ServiceFactory(name="Mail", code="MAIL")
    web = ServiceFactory(name="Web shop", code="WEB")
    ServiceFactory(name="Next thing", code="NEXT", status=ServiceStatus.PIPELINE)
    sla_with_availability([mail], percentage="99.5", organisation=OrganisationFactory())
    # Forty minutes of downtime this month (fewer if the month began less than an hour ago).
    start = max(month_start, now - dt.timedelta(hours=1))
    outage = OutageFactory(
        service=mail,
        title="Mail queue stuck",
        start=start,
        end=min(now, start + dt.timedelta(minutes=40)),
    )
    expected = {
        m.subject.code: budget_words(m, now)
        for m in measure_services(list(Service.objects.filter(status="live")), period=None, now=now)
    }

    login("ava", PASSWORD)
    page.get_by_role("link", name="Availability").first.click()
    expect(page).to_have_url(re.compile(r"/availability/$"))
    rows = page.get_by_test_id("services").locator("tbody tr")
    expect(rows).to_have_count(2)  # live services only
    mail_row = page.locator(f'tr[data-service="{mail.pk}"]')
    expect(mail_row).to_contain_text("On track")
    expect(mail_row.locator('[data-figure="budget"]')).to_have_text(expected["MAIL"])
    expect(mail_row.locator('[data-figure="budget"]')).to_contain_text("this month")
    expect(mail_row).to_contain_text("99.500 %")
    expect(page.locator(f'tr[data-service="{web.pk}"]')).to_contain_text("No target")

    mail_row.get_by_role("link", name="Mail").click()
    expect(page.get_by_test_id("figures")).to_be_visible()
    expect(page.get_by_test_id("history").locator("svg[role=img]")).to_be_visible()
    expect(page.get_by_test_id("heatmap").locator("svg[role=img]")).to_be_visible()
    behind = page.get_by_test_id("outages").locator(f'tr[data-outage="{outage.pk}"]')
    expect(behind).to_contain_text("Mail queue stuck")
    expect(behind).to_have_attribute("data-counted", "yes")

    behind.get_by_role("link", name=outage.reference).click()
    expect(page.get_by_test_id("state")).to_have_text("Restored")
    expect(page.get_by_test_id("blockers")).to_contain_text("completed investigation")

    page.goto("/availability/outages/new/")
    page.fill("#id_title", "Web shop checkout fails")
    page.select_option("#id_service", str(web.pk))
    page.select_option("#id_kind", "unplanned")
    page.fill("#id_start", typed(now - dt.timedelta(minutes=5), ava))
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Record|Save")).click()
    expect(page.get_by_test_id("state")).to_have_text("Ongoing")

    page.goto("/availability/")
    expect(page.locator('[data-count="ongoing"]')).to_have_text("1")
    expect(page.locator(f'tr[data-service="{web.pk}"]')).to_contain_text("1 ongoing")
