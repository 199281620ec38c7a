"""The forward schedule of change: calendar entries and projected service availability."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.changes.choices import ChangeStatus
from accord.changes.selectors.schedule import (
    calendar_entries,
    conflicts_for_many,
    projected_availability,
)
from accord.core.choices import Role
from tests.base import assert_constant_queries
from tests.changes.factories import ChangeFactory, FreezeWindowFactory
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    person_with_role,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
HOUR = dt.timedelta(hours=1)
MONTH_START = dt.datetime(2026, 6, 1, tzinfo=UTC)
MONTH_END = dt.datetime(2026, 7, 1, tzinfo=UTC)
T0 = dt.datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def viewer():
    return person_with_role(Role.CHANGE_MANAGER)


def at(start, hours=2, **kwargs):
    kwargs.setdefault("status", ChangeStatus.SCHEDULED)
    return ChangeFactory(planned_start=start, planned_end=start + hours * HOUR, **kwargs)


def change_ids(entries):
    return [e.change.pk for e in entries if e.kind == "change"]


def test_entries_in_the_period_in_order_with_freezes(viewer):
    late = at(T0 + 48 * HOUR)
    early = at(T0)
    at(MONTH_END)  # starts when the period ends
    at(MONTH_START - 2 * HOUR)  # ends when it starts
    at(T0, status=ChangeStatus.DRAFT)
    at(T0, status=ChangeStatus.CANCELLED)
    across = at(MONTH_START - HOUR)  # runs into the period
    freeze = FreezeWindowFactory(starts_at=T0 - HOUR, ends_at=T0 + 5 * HOUR)
    FreezeWindowFactory(starts_at=MONTH_END, ends_at=MONTH_END + HOUR)
    entries = calendar_entries(viewer, MONTH_START, MONTH_END)
    assert change_ids(entries) == [across.pk, early.pk, late.pk]
    [frozen] = [e for e in entries if e.kind == "freeze"]
    assert frozen.freeze_window_id == freeze.pk
    assert [e.kind for e in entries] == ["change", "freeze", "change", "change"]


def test_filters_by_service_ci_and_team(viewer):
    crm, web = ServiceFactory(), ServiceFactory()
    db = ConfigurationItemFactory()
    team = TeamFactory()
    on_crm = at(T0, services=[crm])
    on_db = at(T0, configuration_items=[db])
    by_team = at(T0, implementer_team=team, services=[crm])
    at(T0, services=[web])
    everywhere = FreezeWindowFactory(starts_at=T0, ends_at=T0 + HOUR)
    on_web = FreezeWindowFactory(starts_at=T0, ends_at=T0 + HOUR, services=[web])
    entries = calendar_entries(viewer, MONTH_START, MONTH_END, service=crm)
    assert sorted(change_ids(entries)) == sorted([on_crm.pk, by_team.pk])
    assert [e.freeze_window_id for e in entries if e.kind == "freeze"] == [everywhere.pk]
    entries = calendar_entries(viewer, MONTH_START, MONTH_END, service=web)
    assert sorted(e.freeze_window_id for e in entries if e.kind == "freeze") == sorted(
        [everywhere.pk, on_web.pk]
    )
    assert change_ids(calendar_entries(viewer, MONTH_START, MONTH_END, configuration_item=db)) == [
        on_db.pk
    ]
    assert change_ids(calendar_entries(viewer, MONTH_START, MONTH_END, team=team)) == [by_team.pk]


def test_conflicts_are_marked(viewer):
    crm = ServiceFactory()
    a = at(T0, services=[crm])
    b = at(T0 + HOUR, services=[crm])
    alone = at(T0 + 24 * HOUR, services=[crm])
    marks = {e.change.pk: e.conflicted for e in calendar_entries(viewer, MONTH_START, MONTH_END)}
    assert marks == {a.pk: True, b.pk: True, alone.pk: False}
    found = conflicts_for_many([a, b, alone])
    assert [c.change_id for c in found[a.pk]] == [b.pk]
    assert [c.change_id for c in found[b.pk]] == [a.pk]
    assert found[alone.pk] == []


@pytest.mark.parametrize("role", [Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER])
def test_customers_see_nothing_here(role):
    at(T0)
    FreezeWindowFactory(starts_at=T0, ends_at=T0 + HOUR)
    person = person_with_role(role)
    assert calendar_entries(person, MONTH_START, MONTH_END) == []
    assert projected_availability(person, MONTH_START, MONTH_END) == []


def test_calendar_queries_do_not_grow_with_the_month(viewer):
    crm = ServiceFactory()

    def grow(n):
        for i in range(n):
            at(T0 + i * HOUR, services=[crm], configuration_items=[ConfigurationItemFactory()])
            FreezeWindowFactory(starts_at=T0, ends_at=T0 + HOUR, services=[crm])

    assert_constant_queries(lambda: calendar_entries(viewer, MONTH_START, MONTH_END), grow)


# --- Projected availability -------------------------------------------------------------------


def test_outage_takes_services_down_and_dependants_at_risk(viewer):
    database = ServiceFactory(name="Database")
    crm = ServiceFactory(name="CRM")
    crm.depends_on.add(database)
    portal = ServiceFactory(name="Portal")
    portal.depends_on.add(crm)
    outage = at(T0, services=[database], service_outage=True)
    rows = projected_availability(viewer, MONTH_START, MONTH_END)
    assert {(r.service_name, r.state) for r in rows} == {
        ("Database", "down"),
        ("CRM", "at_risk"),
        ("Portal", "at_risk"),
    }
    assert all(r.change_id == outage.pk and r.start == T0 for r in rows)


def test_work_without_outage_puts_its_services_at_risk(viewer):
    db = ConfigurationItemFactory()
    crm = ServiceFactory(name="CRM")
    crm.configuration_items.add(db)
    shop = ServiceFactory(name="Shop")
    dependant = ServiceFactory(name="Reports")
    dependant.depends_on.add(shop)
    at(T0, services=[shop])
    at(T0 + HOUR, configuration_items=[db])
    at(T0, services=[ServiceFactory(name="Later")], status=ChangeStatus.DRAFT)
    rows = projected_availability(viewer, MONTH_START, MONTH_END)
    assert [(r.service_name, r.state) for r in rows] == [("Shop", "at_risk"), ("CRM", "at_risk")]


def test_projection_only_for_the_period(viewer):
    crm = ServiceFactory()
    at(MONTH_END, services=[crm], service_outage=True)
    assert projected_availability(viewer, MONTH_START, MONTH_END) == []
    [row] = projected_availability(viewer, MONTH_END, MONTH_END + 24 * HOUR)
    assert row.state == "down" and row.service_id == crm.pk
