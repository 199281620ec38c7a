"""Release pages: staff read the list and a release with its changes, known errors and early
life incidents; the change manager plans, edits and moves releases (sign-off on acceptance,
outcome on closure); customers do not find the pages; lists stay in constant queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.changes.models import Release
from accord.core.choices import Door, Role
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    STALE_TEXT,
    assert_constant_queries,
    assert_form_error,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.changes.factories import ChangeFactory, ReleaseFactory
from tests.factories import ServiceFactory, make_incident, person_with_role
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

READERS = roles_with("changes.view")
MANAGERS = roles_with("changes.manage")
LIST = "/changes/releases/"


def release_data(owner, **overrides):
    return {
        "name": "Spring release",
        "release_type": "minor",
        "owner": owner.pk,
        "planned_date": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
        "acceptance_criteria": "All regression tests pass.",
        **overrides,
    }


@pytest.mark.parametrize("role", ALL_ROLES)
def test_list_and_detail_by_role(role, client, customer_org):
    release = ReleaseFactory(name="Winter release")
    change = ChangeFactory(release=release, title="Ship the new login")
    client.force_login(person_for_role(role, customer_org))
    for url in (LIST, f"{LIST}{release.pk}/"):
        response = client.get(url)
        if role not in READERS:
            assert role in CUSTOMER_ROLE_SET and response.status_code == 404
            continue
        assert response.status_code == 200
        content = response.content.decode()
        assert release.reference in content and "Winter release" in content
    if role in READERS:
        detail = client.get(f"{LIST}{release.pk}/").content.decode()
        assert change.reference in detail and "Ship the new login" in detail
        assert ('data-testid="actions"' in detail) == (role in MANAGERS)


def test_change_manager_plans_and_edits_a_release(client):
    manager = person_with_role(Role.CHANGE_MANAGER)
    change = ChangeFactory(title="Deploy search")
    known_error = ProblemFactory(known_error_at=timezone.now(), title="Slow export")
    client.force_login(manager)
    assert client.get(f"{LIST}new/").status_code == 200
    mark = last_event_id()
    response = client.post(
        f"{LIST}new/",
        release_data(manager, changes=[change.pk], known_errors=[known_error.pk]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    release = Release.objects.get()
    assert response["Location"] == f"{LIST}{release.pk}/"
    assert release.reference.startswith("REL-")
    change.refresh_from_db()
    assert change.release == release
    assert list(release.known_errors.all()) == [known_error]
    created = [e for e in events_since(mark) if e.object_type == "changes.release"]
    assert [(e.action, e.door) for e in created] == [("create", Door.UI)]
    page = client.get(response["Location"]).content.decode()
    assert "Deploy search" in page and "Slow export" in page

    edit = f"{LIST}{release.pk}/edit/"
    assert client.get(edit).context["form"].initial["changes"] == [change.pk]
    response = client.post(
        edit, release_data(manager, name="Spring release 2", version=release.version)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    release.refresh_from_db()
    assert (release.name, release.version) == ("Spring release 2", 2)


def test_bad_input_and_stale_edits_change_nothing(client):
    manager = person_with_role(Role.CHANGE_MANAGER)
    release = ReleaseFactory()
    client.force_login(manager)
    with nothing_changed(Release):
        response = client.post(f"{LIST}new/", release_data(manager, name=""))
    assert_form_error(response, "name")
    with nothing_changed(Release):
        response = client.post(f"{LIST}new/", release_data(manager, planned_date="someday"))
    assert_form_error(response, "planned_date")
    Release.objects.filter(pk=release.pk).update(version=3)
    with nothing_changed(Release, release):
        response = client.post(f"{LIST}{release.pk}/edit/", release_data(manager, version=1))
    assert response.status_code == 400
    content = response.content.decode()
    assert STALE_TEXT in content and 'data-testid="current-values"' in content


def move(client, release, to, **data):
    release.refresh_from_db()
    return client.post(
        f"{LIST}{release.pk}/transition/", {"version": release.version, "to": to, **data}
    )


def test_release_moves_with_sign_off_outcome_and_early_life(client):
    manager = person_with_role(Role.CHANGE_MANAGER)
    service = ServiceFactory(name="Portal")
    release = ReleaseFactory(acceptance_criteria="", status="testing")
    ChangeFactory(release=release, services=[service])
    client.force_login(manager)
    with nothing_changed(Release, release):
        refused = move(client, release, "accepted", sign_off_notes="Looks good")
    assert refused.status_code == 400
    assert "acceptance criteria" in refused.content.decode()
    Release.objects.filter(pk=release.pk).update(acceptance_criteria="Smoke tests pass.")
    assert move(client, release, "accepted", sign_off_notes="Smoke tests green").status_code == 302
    release.refresh_from_db()
    assert (release.status, release.signed_off_by, release.sign_off_notes) == (
        "accepted",
        manager,
        "Smoke tests green",
    )
    assert move(client, release, "deployed").status_code == 302
    release.refresh_from_db()
    assert release.deployed_at is not None
    incident = make_incident(service=service, title="Portal login loops")
    page = client.get(f"{LIST}{release.pk}/").content.decode()
    assert incident.reference in page and "Portal login loops" in page
    refused = move(client, release, "closed")
    assert_form_error(refused, "outcome", form_name="transition_form")
    response = move(client, release, "closed", outcome="partial", outcome_notes="One rollback")
    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.status, release.outcome) == ("closed", "partial")


@pytest.mark.parametrize("role", sorted((READERS - MANAGERS) | CUSTOMER_ROLE_SET))
def test_only_the_change_manager_writes(role, client, customer_org):
    release = ReleaseFactory()
    person = person_for_role(role, customer_org)
    client.force_login(person)
    expected = 404 if role in CUSTOMER_ROLE_SET else 403
    assert client.get(f"{LIST}new/").status_code == expected
    assert client.get(f"{LIST}{release.pk}/edit/").status_code == expected
    with nothing_changed(Release, release):
        assert client.post(f"{LIST}new/", release_data(person)).status_code == expected
        assert move(client, release, "building").status_code == expected


def test_list_and_detail_queries_do_not_grow(client):
    client.force_login(person_with_role(Role.AUDITOR))
    release = ReleaseFactory()

    def grow(n):
        for _ in range(n):
            other = ReleaseFactory()
            ChangeFactory(release=other)
            ChangeFactory(release=release, services=[ServiceFactory()])

    def call():
        assert client.get(LIST).status_code == 200
        assert client.get(f"{LIST}{release.pk}/").status_code == 200

    assert_constant_queries(call, grow)
