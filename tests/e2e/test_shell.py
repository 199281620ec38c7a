"""A person signs in, moves around by role, and is refused what is not theirs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accord.core.choices import Role
from tests.factories import PASSWORD, OrganisationFactory, PersonFactory, TeamFactory, provider

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_signs_in_and_sees_home(login, page):
    org = provider()
    agent = PersonFactory(username="alice", organisation=org, roles=[Role.AGENT])
    team = TeamFactory(organisation=org, name="Service Desk")
    team.members.add(agent)

    login("alice", PASSWORD)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("home-organisation")).to_contain_text(org.name)
    expect(page.get_by_test_id("home-roles")).to_contain_text("Service desk agent")
    expect(page.get_by_test_id("home-teams")).to_contain_text("Service Desk")


def test_wrong_password_is_refused(login, page):
    PersonFactory(username="bob", roles=[Role.AGENT])
    login("bob", "not-the-password")
    expect(page.locator(".errors")).to_contain_text("correct username and password")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_navigation_follows_role(login, page):
    PersonFactory(username="ada", roles=[Role.ADMINISTRATOR], is_staff=True)
    login("ada", PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="People")).to_be_visible()
    nav.get_by_role("link", name="Organisations").click()
    expect(page.get_by_role("heading", name="Organisations")).to_be_visible()
    expect(page.get_by_role("link", name="New organisation")).to_be_visible()


def test_page_outside_role_is_refused(login, page):
    customer_org = OrganisationFactory(kind="customer", name="Contoso")
    PersonFactory(username="carl", organisation=customer_org, roles=[Role.CUSTOMER_USER])
    login("carl", PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="People")).to_have_count(0)

    response = page.goto("/people/")

    assert response is not None and response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()


def test_admin_creates_organisation_through_the_form(login, page):
    PersonFactory(username="ada", roles=[Role.ADMINISTRATOR])
    login("ada", PASSWORD)
    page.goto("/organisations/new/")
    page.fill("#id_code", "NEWCO")
    page.fill("#id_name", "New Company")
    page.select_option("#id_kind", "customer")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("New Company"))).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("saved")


def test_sign_out(login, page):
    PersonFactory(username="dora", roles=[Role.AGENT])
    login("dora", PASSWORD)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/"))
