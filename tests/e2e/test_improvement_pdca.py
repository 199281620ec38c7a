"""Acceptance of the improvement register in the browser: an improvement raised from a service's
rising SLA breaches is driven through Plan-Do-Check by its owner, and the register shows its
effect measured live from the SLA clocks, before and after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accord.agreements.choices import AgreementKind, ClockState
from accord.agreements.models import TicketClock
from accord.core.choices import Role
from accord.improvement import services
from accord.improvement.services.sources import detect_opportunities, month_before
from tests.factories import PASSWORD, PersonFactory, agent, make_incident, provider
from tests.improvement.factories import covered_service

pytestmark = pytest.mark.django_db(transaction=True)


def clocks(service, customer, at: dt.datetime, *, met: int = 0, breached: int = 0) -> None:
    """Incidents of ``service`` whose SLA clocks fell due and stopped at ``at``."""
    for is_breached in [False] * met + [True] * breached:
        incident = make_incident(
            actor=agent(), organisation=customer, service=service, now=at - dt.timedelta(hours=2)
        )
        TicketClock.objects.filter(incident=incident, agreement_kind=AgreementKind.SLA).update(
            due_at=at,
            stopped_at=at,
            breached=is_breached,
            state=ClockState.BREACHED if is_breached else ClockState.MET,
        )


def test_an_owner_sees_the_sla_attainment_before_and_after_the_improvement(login, page):
    provider()
    service, customer = covered_service()
    owner = PersonFactory(username="sam", first_name="Sam", roles=[Role.SERVICE_OWNER])
    type(service).objects.filter(pk=service.pk).update(owner=owner, name="Mail")
    today = timezone.localdate()
    last_month = month_before(today)
    # Last month: 3 breached and 2 met (40 %); the last days: 4 met (100 %).
    clocks(
        service,
        customer,
        dt.datetime.combine(last_month.first + dt.timedelta(days=9), dt.time(11), tzinfo=dt.UTC),
        met=2,
        breached=3,
    )
    clocks(
        service,
        customer,
        timezone.now() - dt.timedelta(days=1),
        met=4,
    )
    [improvement] = detect_opportunities(timezone.now())
    services.improvement_update(
        actor=owner,
        improvement=improvement,
        data={
            "plan": "Add a second mail relay and page the on-call at 80 %.",
            "target_value": "90",
        },
    )
    services.action_add(
        actor=owner,
        improvement=improvement,
        title="Install the second relay",
        owner=owner,
        due_on=today + dt.timedelta(days=3),
    )

    login("sam", PASSWORD)
    page.get_by_role("link", name="Improvement", exact=True).click()
    row = page.locator(f'tr[data-improvement="{improvement.reference}"]')
    expect(row).to_contain_text("SLA breach trend")
    row.get_by_role("link", name=improvement.reference).click()
    expect(page.get_by_test_id("source")).to_contain_text(f"SLA breaches {last_month.label}")
    expect(page.get_by_test_id("measure")).to_contain_text("SLA attainment")

    # Do: the baseline is measured live from last month's clocks.
    page.locator('[data-move="do"] button[type=submit]').click()
    expect(page.get_by_test_id("stage")).to_have_text("Do")
    expect(page.get_by_test_id("baseline")).to_contain_text("40")

    page.locator("[data-action] button", has_text="Done").click()
    expect(page.get_by_test_id("actions")).to_contain_text(today.strftime("%Y-%m-%d"))

    # Check: the result measured live over the last week.
    check = page.locator('[data-move="check"]')
    check.locator("[name=result_from]").fill((today - dt.timedelta(days=6)).isoformat())
    check.locator("[name=result_to]").fill(today.isoformat())
    check.locator("button[type=submit]").click()
    expect(page.get_by_test_id("stage")).to_have_text("Check")
    expect(page.get_by_test_id("result")).to_contain_text("100")
    effect = page.get_by_test_id("effect")
    expect(effect).to_contain_text("before 40")
    expect(effect).to_contain_text("after 100")
    expect(effect).to_contain_text("met")
