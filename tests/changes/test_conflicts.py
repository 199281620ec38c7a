"""Conflict detection of a change's planned window: overlapping work on the same or related
items, freeze windows, and agreed maintenance windows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accord.changes.choices import ChangeStatus, ChangeType
from accord.changes.selectors.schedule import conflicts_for
from accord.portfolio.choices import CIRelationKind
from accord.portfolio.impact import impact_of
from accord.portfolio.models import CIRelationship
from tests.base import assert_constant_queries
from tests.changes.factories import ChangeFactory, FreezeWindowFactory
from tests.factories import (
    AgreementFactory,
    CalendarFactory,
    ConfigurationItemFactory,
    ServiceFactory,
    provider,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
T0 = dt.datetime(2026, 6, 10, 10, 0, tzinfo=UTC)  # a Wednesday
HOUR = dt.timedelta(hours=1)


def scheduled(start=T0, end=None, **kwargs):
    kwargs.setdefault("status", ChangeStatus.SCHEDULED)
    return ChangeFactory(planned_start=start, planned_end=end or start + 2 * HOUR, **kwargs)


def relate(source, kind, target):
    return CIRelationship.objects.create(
        source=source, kind=kind, target=target, organisation=provider()
    )


def kinds(conflicts):
    return sorted(c.kind for c in conflicts)


# --- Overlaps ---------------------------------------------------------------------------------


def test_no_window_no_conflict():
    db = ConfigurationItemFactory(name="db-01")
    scheduled(configuration_items=[db])
    change = ChangeFactory(planned_start=None, planned_end=None, configuration_items=[db])
    assert conflicts_for(change) == []


def test_touching_windows_do_not_conflict_one_minute_does():
    db = ConfigurationItemFactory(name="db-01")
    scheduled(start=T0, end=T0 + 2 * HOUR, configuration_items=[db])
    after = ChangeFactory(
        planned_start=T0 + 2 * HOUR, planned_end=T0 + 3 * HOUR, configuration_items=[db]
    )
    assert conflicts_for(after) == []
    after.planned_start -= dt.timedelta(minutes=1)
    after.save()
    [conflict] = conflicts_for(after)
    assert conflict.kind == "overlap"
    assert "shares CI db-01" in conflict.reason
    assert conflict.configuration_item_id == db.pk


def test_shared_service_names_the_other_change():
    crm = ServiceFactory(name="CRM")
    other = scheduled(services=[crm], title="Upgrade CRM")
    change = ChangeFactory(planned_start=T0 + HOUR, planned_end=T0 + 4 * HOUR, services=[crm])
    [conflict] = conflicts_for(change)
    assert conflict.change_id == other.pk
    assert conflict.change_reference == other.reference
    assert other.reference in conflict.reason and "shares service CRM" in conflict.reason
    assert conflict.service_id == crm.pk


@pytest.mark.parametrize(
    "status,expected",
    [
        (ChangeStatus.DRAFT, False),
        (ChangeStatus.SUBMITTED, False),
        (ChangeStatus.AWAITING_APPROVAL, True),
        (ChangeStatus.APPROVED, True),
        (ChangeStatus.SCHEDULED, True),
        (ChangeStatus.IMPLEMENTING, True),
        (ChangeStatus.CANCELLED, False),
        (ChangeStatus.REJECTED, False),
        (ChangeStatus.CLOSED, False),
    ],
)
def test_only_changes_on_the_schedule_count(status, expected):
    crm = ServiceFactory()
    scheduled(services=[crm], status=status)
    change = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, services=[crm])
    assert bool(conflicts_for(change)) is expected


def test_a_change_does_not_conflict_with_itself_or_unrelated_work():
    crm, web = ServiceFactory(), ServiceFactory()
    change = scheduled(services=[crm])
    scheduled(services=[web])
    assert conflicts_for(change) == []


def test_dependency_between_services_both_ways():
    database = ServiceFactory(name="Database")
    crm = ServiceFactory(name="CRM")
    crm.depends_on.add(database)
    on_db = scheduled(services=[database])
    on_crm = ChangeFactory(planned_start=T0 + HOUR, planned_end=T0 + 3 * HOUR, services=[crm])
    [conflict] = conflicts_for(on_crm)
    assert conflict.change_id == on_db.pk
    assert "service CRM depends on service Database" in conflict.reason
    on_crm.status = ChangeStatus.SCHEDULED
    on_crm.save()
    [back] = conflicts_for(on_db)
    assert back.change_id == on_crm.pk
    assert "service CRM depends on service Database" in back.reason


def test_dependency_through_the_ci_graph_several_hops():
    """app-01 runs on vm-01, which runs on host-01: work on host-01 collides with work on the
    service that runs on app-01."""
    host = ConfigurationItemFactory(name="host-01")
    vm = ConfigurationItemFactory(name="vm-01")
    app = ConfigurationItemFactory(name="app-01")
    relate(vm, CIRelationKind.RUNS_ON, host)
    relate(app, CIRelationKind.RUNS_ON, vm)
    shop = ServiceFactory(name="Shop")
    shop.configuration_items.add(app)
    on_host = scheduled(configuration_items=[host])
    on_shop = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, services=[shop])
    [conflict] = conflicts_for(on_shop)
    assert conflict.change_id == on_host.pk
    assert "service Shop depends on CI host-01" in conflict.reason
    assert "vm-01" in conflict.reason and "app-01" in conflict.reason
    # The same reach as the portfolio's impact analysis.
    impact = impact_of(host)
    assert impact.ci_ids == {vm.pk, app.pk}
    assert impact.service_ids == {shop.pk}


def test_two_changes_that_put_the_same_service_at_risk():
    db = ConfigurationItemFactory(name="db-01")
    app = ConfigurationItemFactory(name="app-01")
    crm = ServiceFactory(name="CRM")
    crm.configuration_items.add(db, app)
    scheduled(configuration_items=[db])
    change = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, configuration_items=[app])
    [conflict] = conflicts_for(change)
    assert "service CRM depends on both CI app-01 (changed here) and CI db-01" in conflict.reason


def test_part_of_links_the_part_to_the_whole():
    """A disk is part of a server: when the disk fails the server does, so work on either
    collides with work on the other."""
    server = ConfigurationItemFactory(name="srv-01")
    disk = ConfigurationItemFactory(name="disk-01")
    relate(disk, CIRelationKind.PART_OF, server)
    on_server = scheduled(configuration_items=[server])
    on_disk = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, configuration_items=[disk])
    [conflict] = conflicts_for(on_disk)
    assert conflict.change_id == on_server.pk
    assert "CI srv-01 depends on CI disk-01" in conflict.reason
    on_disk.status = ChangeStatus.SCHEDULED
    on_disk.save()
    assert [c.change_id for c in conflicts_for(on_server)] == [on_disk.pk]


# --- Freeze windows ---------------------------------------------------------------------------


def test_freeze_on_all_services_stored_in_utc_against_berlin_local_time():
    """The freeze starts at 18:00 UTC; a change entered for 19:30-20:30 in Berlin (CEST, UTC+2)
    is 17:30-18:30 UTC and overlaps it; one for 19:00-20:00 Berlin ends at 18:00 UTC and only
    touches it."""
    freeze = FreezeWindowFactory(
        name="Quarter end",
        starts_at=dt.datetime(2026, 6, 30, 18, 0, tzinfo=UTC),
        ends_at=dt.datetime(2026, 7, 2, 6, 0, tzinfo=UTC),
    )
    berlin = ZoneInfo("Europe/Berlin")
    inside = ChangeFactory(
        planned_start=dt.datetime(2026, 6, 30, 19, 30, tzinfo=berlin),
        planned_end=dt.datetime(2026, 6, 30, 20, 30, tzinfo=berlin),
        services=[ServiceFactory()],
    )
    [conflict] = conflicts_for(inside)
    assert conflict.kind == "freeze" and conflict.freeze_window_id == freeze.pk
    assert "Quarter end" in conflict.reason
    touching = ChangeFactory(
        planned_start=dt.datetime(2026, 6, 30, 19, 0, tzinfo=berlin),
        planned_end=dt.datetime(2026, 6, 30, 20, 0, tzinfo=berlin),
    )
    assert conflicts_for(touching) == []


def test_freeze_across_time_zones_new_york():
    """A freeze ending 2026-11-01 06:00 UTC: 01:30 New York that night is still EDT (05:30 UTC)
    the first time round, and EST (06:30 UTC) the second time; the fold decides."""
    FreezeWindowFactory(
        starts_at=dt.datetime(2026, 10, 31, 0, 0, tzinfo=UTC),
        ends_at=dt.datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    )
    ny = ZoneInfo("America/New_York")
    first = ChangeFactory(
        planned_start=dt.datetime(2026, 11, 1, 1, 30, tzinfo=ny),
        planned_end=dt.datetime(2026, 11, 1, 1, 45, tzinfo=ny),
    )
    second = ChangeFactory(
        planned_start=dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ny),
        planned_end=dt.datetime(2026, 11, 1, 1, 45, fold=1, tzinfo=ny),
    )
    assert kinds(conflicts_for(first)) == ["freeze"]
    assert conflicts_for(second) == []


def test_freeze_on_some_services_direct_or_affected():
    database = ServiceFactory(name="Database")
    crm = ServiceFactory(name="CRM")
    crm.depends_on.add(database)
    web = ServiceFactory(name="Web")
    FreezeWindowFactory(
        name="CRM freeze", starts_at=T0 - HOUR, ends_at=T0 + 5 * HOUR, services=[crm]
    )
    on_crm = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, services=[crm])
    on_db = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, services=[database])
    on_web = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, services=[web])
    [direct] = conflicts_for(on_crm)
    assert direct.kind == "freeze" and direct.service_id == crm.pk
    [through] = conflicts_for(on_db)
    assert through.kind == "freeze" and "service CRM" in through.reason
    assert conflicts_for(on_web) == []


@pytest.mark.parametrize(
    "change_type,allow,expected",
    [
        (ChangeType.EMERGENCY, True, []),
        (ChangeType.EMERGENCY, False, ["freeze"]),
        (ChangeType.NORMAL, True, ["freeze"]),
        (ChangeType.STANDARD, True, ["freeze"]),
    ],
)
def test_emergency_changes_through_freezes_that_allow_them(change_type, allow, expected):
    FreezeWindowFactory(starts_at=T0 - HOUR, ends_at=T0 + HOUR, allow_emergency=allow)
    change = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, change_type=change_type)
    assert kinds(conflicts_for(change)) == expected


# --- Maintenance windows ----------------------------------------------------------------------


def sla_with_windows(service, windows, tz="Europe/Berlin", **kwargs):
    return AgreementFactory(
        services=[service],
        calendar=CalendarFactory(time_zone=tz),
        maintenance_windows=windows,
        **kwargs,
    )


def test_outside_the_maintenance_window_in_the_calendar_zone():
    crm = ServiceFactory(name="CRM")
    sla = sla_with_windows(crm, {"5": [["22:00", "24:00"]], "6": [["00:00", "06:00"]]})
    berlin = ZoneInfo("Europe/Berlin")
    inside = ChangeFactory(
        planned_start=dt.datetime(2026, 6, 13, 23, 0, tzinfo=berlin),  # Saturday night
        planned_end=dt.datetime(2026, 6, 14, 5, 0, tzinfo=berlin),
        services=[crm],
    )
    assert conflicts_for(inside) == []
    outside = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, services=[crm])
    [conflict] = conflicts_for(outside)
    assert conflict.kind == "maintenance" and conflict.agreement_id == sla.pk
    assert sla.code in conflict.reason
    assert "Sat 22:00-24:00, Sun 00:00-06:00" in conflict.reason


def test_maintenance_window_over_the_autumn_shift():
    """Sunday 01:00-04:00 Berlin on 25 October 2026 is four real hours: 23:00-03:00 UTC fits,
    23:00-03:30 UTC does not."""
    crm = ServiceFactory()
    sla_with_windows(crm, {"6": [["01:00", "04:00"]]})
    start = dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    fits = ChangeFactory(planned_start=start, planned_end=start + 4 * HOUR, services=[crm])
    assert conflicts_for(fits) == []
    longer = ChangeFactory(
        planned_start=start, planned_end=start + dt.timedelta(hours=4, minutes=30), services=[crm]
    )
    assert kinds(conflicts_for(longer)) == ["maintenance"]


def test_maintenance_only_from_active_agreements_with_windows_on_affected_services():
    database = ServiceFactory(name="Database")
    crm = ServiceFactory(name="CRM")
    crm.depends_on.add(database)
    sla_with_windows(ServiceFactory(), {"6": [["01:00", "04:00"]]})  # another service
    sla_with_windows(database, {"6": [["01:00", "04:00"]]}, status="draft")
    sla_with_windows(database, {})  # no windows agreed: anything goes
    crm_sla = sla_with_windows(crm, {"6": [["01:00", "04:00"]]}, tz="America/New_York")
    change = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, services=[database])
    [conflict] = conflicts_for(change)
    assert conflict.agreement_id == crm_sla.pk
    assert "America/New_York" in conflict.reason


# --- Cost -------------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_schedule():
    db = ConfigurationItemFactory()
    crm = ServiceFactory()
    crm.configuration_items.add(db)
    sla_with_windows(crm, {"2": [["00:00", "24:00"]]})
    FreezeWindowFactory(starts_at=T0 - HOUR, ends_at=T0 + HOUR, services=[crm])
    change = ChangeFactory(planned_start=T0, planned_end=T0 + HOUR, configuration_items=[db])

    def grow(n):
        for _ in range(n):
            ci = ConfigurationItemFactory()
            relate(ci, CIRelationKind.RUNS_ON, db)
            scheduled(configuration_items=[ci], services=[ServiceFactory()])

    found = []
    assert_constant_queries(lambda: found.append(conflicts_for(change)), grow)
    assert len([c for c in found[-1] if c.kind == "overlap"]) == 9
