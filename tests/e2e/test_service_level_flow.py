"""Acceptance 1 of the portfolio in the browser alone.

A service level manager defines a calendar, a service, an SLA with targets per priority and an
OLA; the customer then sees their SLA and catalogue and nothing of another customer's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accord.agreements.models import Agreement, Calendar
from accord.core.choices import OrganisationKind, Role
from accord.portfolio.models import Service
from tests.factories import (
    PASSWORD,
    CatalogueItemFactory,
    OrganisationFactory,
    PersonFactory,
    TeamFactory,
    provider,
)

pytestmark = pytest.mark.django_db(transaction=True)

YESTERDAY = (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def _submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()


def _add_target(page: Page, metric: str, priority: str, duration: str) -> None:
    page.get_by_role("link", name="Add target").click()
    page.select_option("#id_metric", metric)
    page.select_option("#id_priority", priority)
    page.fill("#id_duration", duration)
    _submit(page)


def test_service_level_manager_defines_sla_and_ola_in_the_browser(login, page):
    home = provider()
    desk = TeamFactory(name="Service desk", organisation=home)
    contoso = OrganisationFactory(name="Contoso", kind=OrganisationKind.CUSTOMER)
    globex = OrganisationFactory(name="Globex", kind=OrganisationKind.CUSTOMER)
    owner = PersonFactory(username="olivia", first_name="Olivia", roles=[Role.SERVICE_OWNER])
    slm = PersonFactory(username="sam", roles=[Role.SERVICE_LEVEL_MANAGER])
    PersonFactory(username="carl", organisation=contoso, roles=[Role.CUSTOMER_USER])
    login("sam", PASSWORD)

    # A calendar: Berlin business hours with German public holidays.
    page.goto("/calendars/new/")
    page.fill("#id_name", "Berlin office hours")
    page.select_option("#id_time_zone", "Europe/Berlin")
    page.fill("#id_weekly_hours", "Mon 08:00-18:00\nTue 08:00-18:00\nWed 08:00-18:00")
    page.fill("#id_holiday_country", "DE")
    _submit(page)
    expect(page.locator("h1")).to_contain_text("Berlin office hours")
    calendar = Calendar.objects.get(name="Berlin office hours")

    # A service on those hours. The portfolio refuses to take it live without a ready service
    # transition (test_service_transition.py goes through one in the browser); here it is
    # marked live in the database to go on with the agreements.
    page.goto("/services/new/")
    page.fill("#id_code", "MAIL")
    page.fill("#id_name", "E-mail")
    page.select_option("#id_owner", str(owner.pk))
    page.select_option("#id_service_hours", str(calendar.pk))
    _submit(page)
    expect(page.locator("h1")).to_contain_text("E-mail")
    page.get_by_role("button", name="Go live").click()
    expect(page.locator("main")).to_contain_text("only through a service transition")
    Service.objects.filter(code="MAIL").update(status="live", live_since=timezone.now())
    service = Service.objects.get(code="MAIL")
    CatalogueItemFactory(service=service, name="New mailbox")
    CatalogueItemFactory(
        service=service, name="Globex archive", audience="chosen", organisations=[globex]
    )

    # An SLA for Contoso with resolution targets per priority, approved and activated.
    page.goto("/agreements/new/")
    page.fill("#id_code", "SLA-CONTOSO")
    page.fill("#id_name", "Contoso e-mail SLA")
    page.select_option("#id_kind", "sla")
    page.select_option("#id_organisation", str(contoso.pk))
    page.select_option("#id_services", [str(service.pk)])
    page.select_option("#id_calendar", str(calendar.pk))
    page.fill("#id_starts_on", YESTERDAY)
    page.select_option("#id_owner", str(slm.pk))
    _submit(page)
    expect(page.locator("h1")).to_contain_text("Contoso e-mail SLA")
    _add_target(page, "resolution", "P1", "4h")
    _add_target(page, "resolution", "P2", "8h")
    _add_target(page, "first_response", "", "30m")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve and activate").click()
    sla = Agreement.objects.get(code="SLA-CONTOSO")
    assert sla.status == "active"
    assert sorted((t.metric, t.priority, t.duration) for t in sla.targets.all()) == [
        ("first_response", "", dt.timedelta(minutes=30)),
        ("resolution", "P1", dt.timedelta(hours=4)),
        ("resolution", "P2", dt.timedelta(hours=8)),
    ]

    # An OLA with the service desk, looser than the SLA on purpose: flagged on the page.
    page.goto("/agreements/new/")
    page.fill("#id_code", "OLA-DESK")
    page.fill("#id_name", "Service desk OLA")
    page.select_option("#id_kind", "ola")
    page.select_option("#id_organisation", str(home.pk))
    page.select_option("#id_team", str(desk.pk))
    page.select_option("#id_services", [str(service.pk)])
    page.select_option("#id_calendar", str(calendar.pk))
    page.fill("#id_starts_on", YESTERDAY)
    page.select_option("#id_owner", str(slm.pk))
    _submit(page)
    _add_target(page, "resolution", "P1", "6h")
    expect(page.get_by_test_id("flags")).to_contain_text("SLA-CONTOSO")
    assert Agreement.objects.get(code="OLA-DESK").team == desk

    # The customer sees their SLA and the catalogue meant for them, nothing of Globex.
    page.context.clear_cookies()
    login("carl", PASSWORD)
    page.goto("/agreements/")
    expect(page.locator("body")).to_contain_text("Contoso e-mail SLA")
    expect(page.locator("body")).not_to_contain_text("OLA-DESK")
    page.goto("/catalogue/")
    expect(page.locator("body")).to_contain_text("New mailbox")
    expect(page.locator("body")).not_to_contain_text("Globex archive")
