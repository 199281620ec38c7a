"""Release records: numbering, the changes they deploy, the status path with its sign-off and
outcome, and the incidents of their early life."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.changes.models import Change, Release
from accord.changes.selectors.metrics import early_life_incidents
from accord.changes.services.releases import release_create, release_transition, release_update
from accord.core.choices import AuditAction, Role
from accord.core.records import StaleVersion
from tests.base import events_since, last_event_id, nothing_changed
from tests.changes.factories import ChangeFactory, ReleaseFactory
from tests.factories import ServiceFactory, make_incident, person_with_role
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def manager():
    return person_with_role(Role.CHANGE_MANAGER)


def _data(**kwargs):
    return {
        "name": "Mail platform 5.2",
        "release_type": "minor",
        "owner": kwargs.pop("owner", None) or person_with_role(Role.CHANGE_MANAGER),
        "planned_date": dt.date(2027, 2, 10),
        "acceptance_criteria": "All smoke tests pass.",
        **kwargs,
    }


def test_create_numbers_the_release_and_attaches_its_changes(manager):
    changes = [ChangeFactory(), ChangeFactory(status="closed")]
    known_error = ProblemFactory(status="known_error")
    versions = [c.version for c in changes]
    mark = last_event_id()
    release = release_create(
        actor=manager,
        data=_data(changes=[c.pk for c in changes], known_errors=[known_error]),
        now=NOW,
    )
    assert re.fullmatch(r"REL-\d{6}", release.reference)
    assert (release.status, release.created_by, release.created_at) == ("planned", manager, NOW)
    assert list(release.known_errors.all()) == [known_error]
    assert set(release.changes.all()) == set(changes)
    for change, version in zip(changes, versions, strict=True):
        change.refresh_from_db()
        assert change.version == version + 1
    events = events_since(mark)
    assert events[0].action == AuditAction.CREATE
    assert events[0].changes["changes"] == [None, sorted(c.pk for c in changes)]
    assert events[0].changes["known_errors"] == [None, [known_error.pk]]
    assert sorted((e.object_type, e.changes["release"][1]) for e in events[1:]) == [
        ("changes.change", release.pk),
        ("changes.change", release.pk),
    ]
    second = release_create(actor=manager, data=_data(), now=NOW)
    assert int(second.reference[4:]) == int(release.reference[4:]) + 1


@pytest.mark.parametrize("status", ["rejected", "cancelled"])
def test_a_change_that_will_never_deploy_cannot_join(manager, status):
    change = ChangeFactory(status=status)
    with (
        nothing_changed(Release),
        nothing_changed(Change, change),
        pytest.raises(ValidationError) as exc,
    ):
        release_create(actor=manager, data=_data(changes=[change]))
    assert change.reference in exc.value.message_dict["changes"][0]


def test_a_change_in_another_release_cannot_join(manager):
    change = ChangeFactory(release=ReleaseFactory())
    with pytest.raises(ValidationError) as exc:
        release_create(actor=manager, data=_data(changes=[change]))
    assert "another release" in exc.value.message_dict["changes"][0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"release_type": "huge"}, "release_type"),
        ({"planned_date": "soon"}, "planned_date"),
        ({"planned_date": NOW}, "planned_date"),
        ({"changes": [999999]}, "changes"),
        ({"known_errors": [999999]}, "known_errors"),
        ({"status": "deployed"}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_release_is_refused(manager, data, field):
    with nothing_changed(Release), pytest.raises(ValidationError) as exc:
        release_create(actor=manager, data=_data(**data))
    assert field in exc.value.message_dict


def test_owner_must_be_provider_staff(manager, customer_org):
    customer = person_with_role(Role.CUSTOMER_USER, organisation=customer_org)
    with pytest.raises(ValidationError) as exc:
        release_create(actor=manager, data=_data(owner=customer))
    assert "owner" in exc.value.message_dict


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.CHANGE_AUTHORITY, Role.PROBLEM_MANAGER, Role.SERVICE_OWNER]
)
def test_only_change_managers_manage_releases(role):
    person = person_with_role(role)
    release = ReleaseFactory()
    with nothing_changed(Release, release):
        with pytest.raises(PermissionDenied):
            release_create(actor=person, data=_data())
        with pytest.raises(PermissionDenied):
            release_update(actor=person, release=release, data={"name": "X"})
        with pytest.raises(PermissionDenied):
            release_transition(actor=person, release=release, to_status="building")


def test_update_replaces_the_changes_and_audits_each(manager):
    staying, leaving, joining = ChangeFactory(), ChangeFactory(), ChangeFactory()
    release = release_create(actor=manager, data=_data(changes=[staying, leaving]))
    mark = last_event_id()
    updated = release_update(
        actor=manager,
        release=release,
        data={"changes": [staying, joining], "name": "Mail platform 5.3"},
        version=release.version,
    )
    assert updated.version == release.version + 1
    assert set(updated.changes.all()) == {staying, joining}
    leaving.refresh_from_db()
    assert leaving.release_id is None
    events = events_since(mark)
    assert events[0].changes["changes"] == [
        sorted([staying.pk, leaving.pk]),
        sorted([staying.pk, joining.pk]),
    ]
    assert {e.object_id: e.changes["release"] for e in events[1:]} == {
        str(joining.pk): [None, release.pk],
        str(leaving.pk): [release.pk, None],
    }
    with pytest.raises(StaleVersion):
        release_update(actor=manager, release=release, data={"name": "X"}, version=1)


def test_the_path_to_closure_with_sign_off(manager):
    release = release_create(actor=manager, data=_data(), now=NOW)
    with nothing_changed(Release, release), pytest.raises(ValidationError) as exc:
        release_transition(actor=manager, release=release, to_status="accepted")
    assert "building" in exc.value.message_dict["status"][0]
    release = release_transition(actor=manager, release=release, to_status="building", now=NOW)
    release = release_transition(actor=manager, release=release, to_status="testing", now=NOW)
    signed = NOW + dt.timedelta(days=1)
    mark = last_event_id()
    release = release_transition(
        actor=manager,
        release=release,
        to_status="accepted",
        data={"sign_off_notes": "Tested on staging."},
        now=signed,
    )
    assert (release.signed_off_by, release.signed_off_at, release.sign_off_notes) == (
        manager,
        signed,
        "Tested on staging.",
    )
    [event] = events_since(mark)
    assert event.action == AuditAction.TRANSITION
    assert event.changes["status"] == ["testing", "accepted"]
    # The criteria signed off against stay as they were.
    with pytest.raises(ValidationError) as exc:
        release_update(actor=manager, release=release, data={"acceptance_criteria": "Less."})
    assert "acceptance_criteria" in exc.value.message_dict

    deployed = NOW + dt.timedelta(days=2)
    release = release_transition(
        actor=manager,
        release=release,
        to_status="deployed",
        data={"deployed_at": deployed},
        now=deployed + dt.timedelta(hours=1),
    )
    assert release.deployed_at == deployed
    with pytest.raises(ValidationError) as exc:
        release_transition(actor=manager, release=release, to_status="closed", now=deployed)
    assert "outcome" in exc.value.message_dict
    release = release_transition(
        actor=manager,
        release=release,
        to_status="closed",
        data={"outcome": "partial", "outcome_notes": "One module rolled back."},
        now=deployed + dt.timedelta(days=14),
    )
    assert (release.status, release.outcome, release.closed_at) == (
        "closed",
        "partial",
        deployed + dt.timedelta(days=14),
    )
    with pytest.raises(ValidationError) as exc:
        release_update(actor=manager, release=release, data={"name": "Again"})
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError):
        release_transition(actor=manager, release=release, to_status="cancelled")


def test_sign_off_needs_acceptance_criteria(manager):
    release = ReleaseFactory(status="testing", acceptance_criteria="")
    with nothing_changed(Release, release), pytest.raises(ValidationError) as exc:
        release_transition(actor=manager, release=release, to_status="accepted")
    assert "acceptance_criteria" in exc.value.message_dict


def test_deployed_defaults_to_now_and_refuses_the_future(manager):
    release = ReleaseFactory(status="accepted", acceptance_criteria="Smoke tests")
    with pytest.raises(ValidationError) as exc:
        release_transition(
            actor=manager,
            release=release,
            to_status="deployed",
            data={"deployed_at": NOW + dt.timedelta(hours=1)},
            now=NOW,
        )
    assert "deployed_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        release_transition(
            actor=manager, release=release, to_status="deployed", data={"outcome": "failed"}
        )
    assert "outcome" in exc.value.message_dict
    release = release_transition(actor=manager, release=release, to_status="deployed", now=NOW)
    assert release.deployed_at == NOW


@pytest.mark.parametrize("status", ["planned", "building", "testing", "accepted"])
def test_open_releases_may_be_cancelled(manager, status):
    release = ReleaseFactory(status=status)
    release = release_transition(
        actor=manager,
        release=release,
        to_status="cancelled",
        data={"outcome_notes": "Superseded."},
        now=NOW,
    )
    assert (release.status, release.closed_at, release.outcome_notes) == (
        "cancelled",
        NOW,
        "Superseded.",
    )


def test_early_life_incidents(manager, customer_org):
    service, other = ServiceFactory(), ServiceFactory()
    release = ReleaseFactory(status="deployed", deployed_at=NOW)
    ChangeFactory(release=release, services=[service])
    assert list(early_life_incidents(ReleaseFactory())) == []

    def incident(on, at):
        return make_incident(organisation=customer_org, service=on, now=at)

    incident(service, NOW - dt.timedelta(hours=1))
    first = incident(service, NOW)
    last = incident(service, NOW + dt.timedelta(days=13, hours=23))
    incident(service, NOW + dt.timedelta(days=14))
    incident(other, NOW + dt.timedelta(days=1))
    assert list(early_life_incidents(release)) == [last, first]
    assert list(early_life_incidents(release, days=1)) == [first]
    assert list(early_life_incidents(release, viewer=manager)) == [last, first]
    customer = person_with_role(Role.CUSTOMER_USER)
    assert list(early_life_incidents(release, viewer=customer)) == []
