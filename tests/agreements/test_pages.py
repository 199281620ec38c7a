"""Pages of agreements and targets: the generic page bases, transitions, texts and flags."""

from __future__ import annotations

import pytest

from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.models import Agreement, AgreementText, Target
from accord.core.choices import Door, Role
from tests.agreements.helpers import agreement, manager, rich_agreement
from tests.base import (
    ALL_ROLES,
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    RecordPageTests,
    assert_form_error,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import CalendarFactory, ServiceFactory

MANAGERS = roles_with("agreements.manage")
APPROVERS = roles_with("agreements.approve")

pytestmark = pytest.mark.django_db


class TestAgreementListPage(ListPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return "/agreements/"

    def make_object(self, organisation):
        return rich_agreement(organisation)

    def make_rows(self, organisation, n):
        return [rich_agreement(organisation) for _ in range(n)]

    def shows(self, obj):
        return [obj.code, obj.name, "Active"]


TEXT = "Fees <b>apply</b> & more"


class TestAgreementDetailPage(RecordPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return f"/agreements/{obj.pk}/"

    def make_object(self, organisation):
        a = agreement(
            organisation,
            services=[ServiceFactory(name="E-mail")],
            targets=[(Metric.RESOLUTION, "P1", 4), (Metric.RESOLUTION, "", 16.5)],
        )
        AgreementText.objects.create(agreement=a, number=1, body=TEXT, organisation=organisation)
        return a

    def shows(self, obj):
        return [obj.code, "E-mail", "4 h", "16 h 30 min", "Resolution", TEXT, "Version 1"]


def _form_data(agreement_obj=None, organisation=None, **overrides):
    a = agreement_obj
    data = {
        "code": a.code if a else "SLA-NEW",
        "name": "Renamed agreement",
        "kind": a.kind if a else "sla",
        "organisation": (a.organisation_id if a else organisation.pk),
        "team": "",
        "services": [s.pk for s in a.services.all()] if a else [ServiceFactory().pk],
        "calendar": a.calendar_id if a else CalendarFactory().pk,
        "starts_on": "2026-01-01",
        "ends_on": "",
        "owner": a.owner_id if a else manager().pk,
        "review_date": "2026-10-01",
        "workload_limits": "500 tickets a month",
        "exceptions": "",
    }
    if a:
        data["version"] = a.version
    return {**data, **overrides}


AGREEMENT_INVALID = [
    Invalid("code", {"code": "two words"}),
    Invalid("name", {"name": ""}),
    Invalid("organisation", {"kind": "ola"}, "ola-with-a-customer"),
    Invalid("ends_on", {"ends_on": "2025-01-01"}, "ends-before-start"),
    Invalid("starts_on", {"starts_on": "someday"}),
]


class TestAgreementEditPage(FormPageTests):
    model = Agreement
    page_roles = MANAGERS
    invalid_form = [*AGREEMENT_INVALID, Invalid("version", {"version": "abc"}, "tampered")]

    def url(self, obj):
        return f"/agreements/{obj.pk}/edit/"

    def make_object(self, organisation):
        return agreement(organisation, status=AgreementStatus.DRAFT, services=[ServiceFactory()])

    def form_data(self, obj):
        return _form_data(obj)


class TestAgreementCreatePage(CreatePageTests):
    model = Agreement
    page_roles = MANAGERS
    create_url = "/agreements/new/"
    invalid_form = AGREEMENT_INVALID

    def form_data(self, organisation):
        return _form_data(organisation=organisation, text="")


class TestTargetEditPage(FormPageTests):
    model = Target
    page_roles = MANAGERS
    invalid_form = [
        Invalid("metric", {"metric": "speed"}),
        Invalid("duration", {"duration": "soon"}, "bad-duration"),
        Invalid("duration", {"duration": "0h"}, "zero-duration"),
        Invalid("warning_threshold", {"warning_threshold": "1.5"}),
        Invalid("percentage", {"percentage": "99"}, "percentage-for-time"),
    ]

    def url(self, obj):
        return f"/targets/{obj.pk}/edit/"

    def make_object(self, organisation):
        a = agreement(
            organisation, status=AgreementStatus.DRAFT, targets=[(Metric.RESOLUTION, "P1", 4)]
        )
        return a.targets.get()

    def form_data(self, obj):
        return {
            "metric": "resolution",
            "priority": "P1",
            "duration": "6h 30m",
            "percentage": "",
            "warning_threshold": "0.9",
            "version": obj.version,
        }


def test_an_active_agreements_form_fixes_its_terms(client, customer_org):
    a = agreement(customer_org, services=[ServiceFactory()])
    client.force_login(manager())
    page = client.get(f"/agreements/{a.pk}/edit/").content.decode()
    assert "Fixed once the agreement is in force" in page
    # A tampered POST cannot change a fixed field: disabled fields keep the stored value.
    data = _form_data(a, kind="uc", name="Still gold")
    response = client.post(f"/agreements/{a.pk}/edit/", data)
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.kind, a.name) == (AgreementKind.SLA, "Still gold")


def test_add_and_delete_a_target_through_the_pages(client, customer_org):
    a = agreement(customer_org, status=AgreementStatus.DRAFT)
    person = manager()
    client.force_login(person)
    mark = last_event_id()
    response = client.post(
        f"/agreements/{a.pk}/targets/new/",
        {"metric": "availability", "priority": "", "percentage": "99.9", "warning_threshold": "1"},
    )
    assert response.status_code == 302
    target = a.targets.get()
    assert str(target.percentage) == "99.900"
    page = client.get(response["Location"]).content.decode()
    assert "99.9 %" in page
    response = client.post(f"/targets/{target.pk}/delete/")
    assert response.status_code == 302
    assert not a.targets.exists()
    assert [(e.action, e.door) for e in events_since(mark)] == [
        ("create", Door.UI),
        ("delete", Door.UI),
    ]


def test_target_pages_refuse_non_managers_and_strangers(client, customer_org, other_customer_org):
    a = agreement(customer_org, status=AgreementStatus.DRAFT, targets=[(Metric.RESOLUTION, "", 4)])
    target = a.targets.get()
    client.force_login(person_for_role(Role.AGENT, customer_org))
    assert client.get(f"/agreements/{a.pk}/targets/new/").status_code == 403
    with nothing_changed(Target, target):
        assert client.post(f"/targets/{target.pk}/delete/").status_code == 403
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    with nothing_changed(Target, target):
        assert client.post(f"/targets/{target.pk}/delete/").status_code == 404


def test_duplicate_target_is_a_form_error(client, customer_org):
    a = agreement(customer_org, status=AgreementStatus.DRAFT, targets=[(Metric.RESOLUTION, "", 4)])
    client.force_login(manager())
    with nothing_changed(Target):
        response = client.post(
            f"/agreements/{a.pk}/targets/new/",
            {"metric": "resolution", "priority": "", "duration": "2h", "warning_threshold": "0.8"},
        )
    assert_form_error(response, "priority")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_activate_page_action_by_role(role, client, customer_org):
    a = agreement(
        customer_org,
        status=AgreementStatus.DRAFT,
        services=[ServiceFactory()],
        targets=[(Metric.RESOLUTION, "", 8)],
    )
    client.force_login(person_for_role(role, customer_org))
    if role not in APPROVERS:
        with nothing_changed(Agreement, a):
            response = client.post(f"/agreements/{a.pk}/activate/", {"version": a.version})
        assert response.status_code in (403, 404)
        return
    response = client.post(f"/agreements/{a.pk}/activate/", {"version": a.version})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == AgreementStatus.ACTIVE
    assert "is now active" in client.get(response["Location"]).content.decode()


def test_refused_activation_shows_the_reason(client, customer_org):
    service = ServiceFactory()
    agreement(customer_org, services=[service], code="SLA-OLD")
    a = agreement(
        customer_org,
        status=AgreementStatus.DRAFT,
        services=[service],
        targets=[(Metric.RESOLUTION, "", 8)],
    )
    client.force_login(manager())
    page = client.get(f"/agreements/{a.pk}/").content.decode()
    assert 'data-testid="overlaps"' in page
    response = client.post(f"/agreements/{a.pk}/activate/", {"version": a.version}, follow=True)
    assert "At most one active SLA per customer and service" in response.content.decode()
    a.refresh_from_db()
    assert a.status == AgreementStatus.DRAFT


def test_stale_terminate_is_refused(client, customer_org):
    a = agreement(customer_org)
    client.force_login(manager())
    with nothing_changed(Agreement, a):
        response = client.post(
            f"/agreements/{a.pk}/terminate/", {"version": a.version + 1}, follow=True
        )
    assert "changed by someone else" in response.content.decode()


def test_text_versions_through_the_page(client, customer_org):
    a = agreement(customer_org)
    client.force_login(manager())
    for body in ("One\nTwo <script>", "Three"):
        response = client.post(f"/agreements/{a.pk}/texts/new/", {"body": body})
        assert response.status_code == 302
    page = client.get(f"/agreements/{a.pk}/").content.decode()
    assert "One<br>Two &lt;script&gt;" in page
    assert "Version 2" in page and "Version 1" in page
    response = client.post(f"/agreements/{a.pk}/texts/new/", {"body": ""})
    assert_form_error(response, "body")


def test_looseness_flag_on_both_pages_for_staff_only(client, customer_org):
    service = ServiceFactory()
    sla = agreement(customer_org, services=[service], targets=[(Metric.RESOLUTION, "", 4)])
    ola = agreement(
        kind=AgreementKind.OLA, services=[service], targets=[(Metric.RESOLUTION, "", 8)]
    )
    client.force_login(manager())
    for a in (sla, ola):
        page = client.get(f"/agreements/{a.pk}/").content.decode()
        assert 'data-testid="flags"' in page and "longer than" in page
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    assert 'data-testid="flags"' not in client.get(f"/agreements/{sla.pk}/").content.decode()


def test_calendar_page_lists_its_agreements_in_scope(client, customer_org, other_customer_org):
    cal = CalendarFactory()
    mine = agreement(customer_org, calendar=cal)
    theirs = agreement(other_customer_org, calendar=cal)
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    page = client.get(f"/calendars/{cal.pk}/").content.decode()
    assert mine.code in page and theirs.code not in page
