"""Nonconformity pages: the log and one nonconformity for the provider's staff and the auditor
(customers find nothing), recording and changing, the moves and the effectiveness check through
the pages with their refusals shown on the page, filters and the list's query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accord.core.choices import Door, Role
from accord.governance.choices import FindingKind
from accord.improvement.models import CorrectiveAction, Nonconformity
from accord.improvement.services import nonconformities as services
from tests.base import (
    ALL_ROLES,
    CURRENT_VALUES_MARK,
    CUSTOMER_ROLE_SET,
    FORBIDDEN_TEXT,
    STALE_TEXT,
    assert_constant_queries,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import ServiceFactory, person_with_role
from tests.improvement.nonconformity_factories import clause, make_finding, staff

pytestmark = pytest.mark.django_db

LIST = "/improvements/nonconformities/"
NEW = f"{LIST}new/"
READERS = roles_with("improvement.view")
RAISERS = roles_with("improvement.raise")
MANAGERS = roles_with("improvement.manage")


def detail(obj) -> str:
    return f"{LIST}{obj.pk}/"


def today() -> dt.date:
    return timezone.localdate()


def make_nc(owner=None, **data) -> Nonconformity:
    owner = owner or staff()
    payload = {"title": "Changes without approval", "description": "CHG-000101", **data}
    return services.nonconformity_create(actor=owner, data=payload)


def with_action(owner=None, **data) -> Nonconformity:
    nc = make_nc(owner, **data)
    services.corrective_action_add(
        actor=nc.owner,
        nonconformity=nc,
        title="Approval step",
        owner=nc.owner,
        due_on=today() + dt.timedelta(days=7),
    )
    return Nonconformity.objects.get(pk=nc.pk)


def awaiting_check(owner=None, due_on=None) -> Nonconformity:
    nc = with_action(owner)
    services.nonconformity_start(actor=nc.owner, nonconformity=nc, cause_analysis="No step")
    services.corrective_action_complete(
        actor=nc.owner, action=nc.actions.get(), done_notes="Step added"
    )
    if due_on is not None:
        Nonconformity.objects.filter(pk=nc.pk).update(effectiveness_due_on=due_on)
    return Nonconformity.objects.get(pk=nc.pk)


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_pages_by_role(role, client, customer_org):
    nc = make_nc()
    client.force_login(person_for_role(role, customer_org))
    for url in (LIST, detail(nc), NEW, f"{detail(nc)}edit/"):
        response = client.get(url)
        if role in CUSTOMER_ROLE_SET or role not in READERS:
            assert response.status_code == 404, (role, url)
        elif url == NEW:
            assert response.status_code == (200 if role in RAISERS else 403), (role, url)
        elif url.endswith("edit/"):
            # Someone else owns it: only the register's managers may change it.
            assert response.status_code == (200 if role in MANAGERS else 403), (role, url)
        else:
            assert response.status_code == 200, (role, url)
            assert nc.reference in response.content.decode()


@pytest.mark.parametrize("role", sorted(CUSTOMER_ROLE_SET))
def test_customers_cannot_post_anything(role, client, customer_org):
    nc = awaiting_check(due_on=today())
    [action] = nc.actions.all()
    client.force_login(person_for_role(role, customer_org))
    with nothing_changed(Nonconformity, nc), nothing_changed(CorrectiveAction, action):
        for path, data in (
            ("start/", {"cause_analysis": "x"}),
            ("verify/", {"effective": "yes", "notes": "x"}),
            ("actions/", {"title": "x", "owner": nc.owner_id, "due_on": "2099-01-01"}),
            (f"actions/{action.pk}/complete/", {"done_notes": "x", "version": 1}),
            ("edit/", {"title": "x", "description": "y", "severity": "minor"}),
        ):
            assert client.post(f"{detail(nc)}{path}", data).status_code == 404, path
        assert client.post(NEW, {"title": "x", "description": "y"}).status_code == 404


def test_anonymous_is_sent_to_login(client):
    nc = make_nc()
    for url in (LIST, detail(nc), NEW):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_auditor_reads_but_changes_nothing(client):
    nc = awaiting_check(due_on=today())
    [action] = nc.actions.all()
    client.force_login(person_with_role(Role.AUDITOR))
    page = client.get(detail(nc)).content.decode()
    assert 'data-testid="verify-form"' not in page
    assert "Add a corrective action" not in page
    assert "Before it can close" in page
    with nothing_changed(Nonconformity, nc), nothing_changed(CorrectiveAction, action):
        for path, data in (
            ("start/", {"cause_analysis": "x"}),
            ("verify/", {"effective": "yes", "notes": "x", "version": nc.version}),
            ("actions/", {"title": "x", "owner": nc.owner_id, "due_on": "2099-01-01"}),
            (f"actions/{action.pk}/complete/", {"done_notes": "x", "version": 1}),
        ):
            response = client.post(f"{detail(nc)}{path}", data)
            assert response.status_code == 403, path
            assert FORBIDDEN_TEXT in response.content.decode()


# --- record and change --------------------------------------------------------------------------


def test_record_through_the_page(client):
    person = staff(Role.INCIDENT_MANAGER)
    client.force_login(person)
    service = ServiceFactory()
    page = client.get(f"{NEW}?source=complaint&source_reference=CMP-000004&clause=8.6.1")
    assert page.status_code == 200
    assert 'value="CMP-000004"' in page.content.decode()
    mark = last_event_id()
    response = client.post(
        NEW,
        {
            "title": "Incidents closed without agreement",
            "description": "Three incidents closed without the caller's word.",
            "source": "complaint",
            "source_reference": "CMP-000004",
            "clause": "8.6.1",
            "service": service.pk,
            "severity": "major",
            "correction": "Reopened them",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    nc = Nonconformity.objects.get(title="Incidents closed without agreement")
    assert response["Location"] == detail(nc)
    assert (nc.clause.number, nc.severity, nc.owner) == ("8.6.1", "major", person)
    [event] = [e for e in events_since(mark) if e.object_type == "improvement.nonconformity"]
    assert (event.action, event.door) == ("create", Door.UI)


def test_bad_input_shows_errors_and_changes_nothing(client):
    client.force_login(staff())
    with nothing_changed(Nonconformity):
        response = client.post(
            NEW, {"title": "x", "description": "", "source": "other", "severity": "minor"}
        )
    assert response.status_code == 400
    assert response.context["form"].errors["description"]
    with nothing_changed(Nonconformity):
        response = client.post(
            NEW, {"title": "x", "description": "y", "severity": "fatal", "clause": "99.9"}
        )
    assert response.status_code == 400
    assert {"severity", "clause"} <= set(response.context["form"].errors)


def test_edit_with_a_stale_version_is_refused(client):
    nc = make_nc()
    client.force_login(nc.owner)
    data = {
        "version": nc.version,
        "title": "Renamed",
        "description": nc.description,
        "severity": "minor",
        "owner": nc.owner_id,
    }
    Nonconformity.objects.filter(pk=nc.pk).update(version=F("version") + 1)
    nc.refresh_from_db()
    with nothing_changed(Nonconformity, nc):
        response = client.post(f"{detail(nc)}edit/", data)
    assert response.status_code == 400
    content = response.content.decode()
    assert STALE_TEXT in content and CURRENT_VALUES_MARK in content
    data["version"] = nc.version
    response = client.post(f"{detail(nc)}edit/", {**data, "cause_analysis": "No step"})
    assert response.status_code == 302, response.content.decode()[:2000]
    nc.refresh_from_db()
    assert (nc.title, nc.cause_analysis) == ("Renamed", "No step")


def test_a_closed_one_is_not_edited(client):
    nc = awaiting_check(due_on=today())
    services.nonconformity_verify(
        actor=staff(Role.SMS_OWNER), nonconformity=nc, effective=True, notes="Held"
    )
    client.force_login(nc.owner)
    response = client.get(f"{detail(nc)}edit/")
    assert response.status_code == 302 and response["Location"] == detail(nc)
    page = client.get(detail(nc)).content.decode()
    assert 'data-testid="verified"' in page
    assert "Add a corrective action" not in page


# --- moves through the pages --------------------------------------------------------------------


def test_the_walk_through_the_pages(client):
    owner = staff(Role.AGENT)
    nc = make_nc(owner, clause="8.5.1")
    client.force_login(owner)
    page = client.get(detail(nc)).content.decode()
    assert "Analyse the cause" in page and 'data-testid="start-form"' in page

    with nothing_changed(Nonconformity, nc):
        response = client.post(f"{detail(nc)}start/", {"version": nc.version})
    assert response.status_code == 400
    assert "Analyse the cause first" in response.content.decode()

    response = client.post(
        f"{detail(nc)}actions/",
        {"title": "Approval step", "owner": owner.pk, "due_on": today().isoformat()},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    nc.refresh_from_db()
    response = client.post(
        f"{detail(nc)}start/", {"version": nc.version, "cause_analysis": "No step in the form"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    action = nc.actions.get()

    with nothing_changed(CorrectiveAction, action):
        response = client.post(
            f"{detail(nc)}actions/{action.pk}/complete/",
            {"version": action.version, "done_notes": ""},
        )
    assert response.status_code == 400
    assert "Say what was done" in response.content.decode()
    response = client.post(
        f"{detail(nc)}actions/{action.pk}/complete/",
        {"version": action.version, "done_notes": "Step added"},
    )
    assert response.status_code == 302
    nc.refresh_from_db()
    assert nc.status == "verifying"
    page = client.get(detail(nc)).content.decode()
    assert f"The effectiveness check is due on {nc.effectiveness_due_on:%Y-%m-%d}" in page
    assert 'data-testid="verify-form"' not in page  # the owner does not check their own

    manager = staff(Role.SMS_OWNER)
    client.force_login(manager)
    assert 'data-testid="verify-form"' in client.get(detail(nc)).content.decode()
    with nothing_changed(Nonconformity, nc):
        response = client.post(
            f"{detail(nc)}verify/", {"version": nc.version, "effective": "yes", "notes": "Held"}
        )
    assert response.status_code == 400
    assert "The effectiveness check is due on" in response.content.decode()

    Nonconformity.objects.filter(pk=nc.pk).update(effectiveness_due_on=today())
    response = client.post(
        f"{detail(nc)}verify/", {"version": nc.version, "effective": "yes", "notes": "Held"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    nc.refresh_from_db()
    assert (nc.status, nc.verified_by) == ("closed", manager)


def test_verify_by_a_manager_who_owns_it_is_403(client):
    owner = staff(Role.TOP_MANAGEMENT)
    nc = awaiting_check(owner, due_on=today())
    client.force_login(owner)
    with nothing_changed(Nonconformity, nc):
        response = client.post(
            f"{detail(nc)}verify/", {"version": nc.version, "effective": "yes", "notes": "Mine"}
        )
    assert response.status_code == 403


def test_not_effective_goes_back_and_the_page_says_new_actions_are_needed(client):
    nc = awaiting_check(due_on=today())
    client.force_login(staff(Role.SMS_OWNER))
    response = client.post(
        f"{detail(nc)}verify/",
        {"version": nc.version, "effective": "no", "notes": "Happened again"},
    )
    assert response.status_code == 302
    nc.refresh_from_db()
    assert (nc.status, nc.checks_failed) == ("in_progress", 1)
    page = client.get(detail(nc)).content.decode()
    assert "add a new corrective action" in page
    assert 'data-testid="ready-form"' not in page


# --- the log ------------------------------------------------------------------------------------


def test_list_filters_badges_and_source_links(client):
    owner = staff()
    finding = make_finding(FindingKind.MAJOR, clause=clause("8.5.1"))
    from_finding = services.nonconformity_from_finding(actor=owner, finding=finding)
    late = with_action(owner, clause="8.6.1")
    CorrectiveAction.objects.create(
        nonconformity=late, title="Late", owner=owner, due_on=today() - dt.timedelta(days=1)
    )
    plain = make_nc(owner)
    client.force_login(person_with_role(Role.AUDITOR))
    full = client.get(LIST).content.decode()
    for nc in (from_finding, late, plain):
        assert nc.reference in full
    assert finding.reference in full
    assert 'data-testid="overdue"' in full
    page = client.get(LIST, {"overdue": "on"}).content.decode()
    assert late.reference in page and plain.reference not in page
    page = client.get(LIST, {"severity": "major"}).content.decode()
    assert from_finding.reference in page and plain.reference not in page
    page = client.get(LIST, {"clause": "8.6.1"}).content.decode()
    assert late.reference in page and from_finding.reference not in page
    page = client.get(LIST, {"recurring": "on"}).content.decode()
    assert "No nonconformity." in page
    response = client.get(LIST, {"status": "someday"})
    assert response.status_code == 400
    detail_page = client.get(detail(from_finding)).content.decode()
    assert 'data-testid="finding"' in detail_page and finding.statement in detail_page
    try:
        audit_page = reverse("audit-detail", args=[finding.audit_id])
    except NoReverseMatch:
        audit_page = None
    if audit_page is not None:
        assert f'href="{audit_page}"' in full and f'href="{audit_page}"' in detail_page


def test_recurrence_is_flagged_and_chained(client):
    first = awaiting_check(due_on=today())
    Nonconformity.objects.filter(pk=first.pk).update(clause=clause("8.5.1"))
    services.nonconformity_verify(
        actor=staff(Role.SMS_OWNER), nonconformity=first, effective=True, notes="Held"
    )
    again = make_nc(clause="8.5.1")
    client.force_login(person_with_role(Role.AUDITOR))
    page = client.get(LIST, {"recurring": "on"}).content.decode()
    assert first.reference in page and again.reference in page
    assert 'data-testid="recurring"' in page
    page = client.get(detail(again)).content.decode()
    assert f'Recurs <a href="{detail(first)}">{first.reference}</a>' in page
    page = client.get(detail(first)).content.decode()
    assert f'Recurred by <a href="{detail(again)}">{again.reference}</a>' in page


def test_list_queries_do_not_grow_with_rows(client):
    client.force_login(person_with_role(Role.SMS_OWNER))

    def grow(n):
        for index in range(n):
            owner = staff(Role.CHANGE_MANAGER)
            nc = with_action(owner, clause="8.5.1", service=ServiceFactory(), title=f"NC {index}")
            CorrectiveAction.objects.create(
                nonconformity=nc, title="Late", owner=owner, due_on=today() - dt.timedelta(days=2)
            )
            finding = make_finding(FindingKind.MINOR, clause=clause("8.6.1"))
            services.nonconformity_from_finding(actor=owner, finding=finding)

    def call():
        assert client.get(LIST).status_code == 200

    assert_constant_queries(call, grow)
