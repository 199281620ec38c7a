"""Monthly service report schedules, through their pages and /api/v1/report-schedules/: staff
and auditors read them, the service level manager alone creates, changes and removes them,
customers find none (404); recipients must be able to read the report; If-Match and the form's
version refuse a stale change; a schedule that sent a report is not removed; lists keep a
constant number of queries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.reports import services
from accord.reports.models import ReportSchedule
from tests.base import (
    STALE_TEXT,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    nothing_changed,
    result_ids,
)
from tests.factories import OrganisationFactory, PersonFactory, person_with_role
from tests.reports.version_factories import customer_manager, schedule, signed_report, sla, slm

pytestmark = pytest.mark.django_db

API = "/api/v1/report-schedules/"
PAGES = "/reports/schedules/"


@pytest.fixture
def world():
    agreement = sla()
    manager = slm()
    customer = customer_manager(agreement.organisation)
    made = schedule(agreement, actor=manager, recipients=[customer])
    return {
        "sla": agreement,
        "schedule": made,
        "slm": manager,
        "agent": person_with_role(Role.AGENT),
        "auditor": person_with_role(Role.AUDITOR),
        "customer": customer,
        "other_customer": customer_manager(OrganisationFactory(kind=OrganisationKind.CUSTOMER)),
        "customer_user": PersonFactory(
            organisation=agreement.organisation, roles=[Role.CUSTOMER_USER]
        ),
    }


def detail(made: ReportSchedule, tail: str = "") -> str:
    return f"{API}{made.pk}/{tail}"


# --- API --------------------------------------------------------------------------------------


def test_api_anonymous_is_refused(world):
    client = api_client_for(None)
    assert client.get(API).status_code in (401, 403)
    with nothing_changed(ReportSchedule, world["schedule"]):
        assert client.delete(detail(world["schedule"])).status_code in (401, 403)


@pytest.mark.parametrize(
    ("who", "reads"),
    [
        ("slm", True),
        ("agent", True),
        ("auditor", True),
        ("customer", False),
        ("other_customer", False),
        ("customer_user", False),
    ],
)
def test_api_reads_by_person(world, who, reads):
    client = api_client_for(world[who])
    made = world["schedule"]
    assert result_ids(client.get(API)) == ([made.pk] if reads else [])
    response = client.get(detail(made))
    if reads:
        body = response.json()
        assert response["ETag"] == f'"{made.version}"'
        assert body["reference"] == made.reference and body["agreement"] == world["sla"].pk
        assert body["recipients"] == [world["customer"].pk] and body["kind"] == "agreement"
        assert client.get(detail(made, "deliveries/")).status_code == 200
    else:
        assert_error_body(response, 404, "not_found")
        assert client.get(detail(made, "deliveries/")).status_code == 404


def test_api_create(world):
    client = api_client_for(world["slm"])
    response = client.post(
        API,
        {
            "name": "Board pack",
            "agreement": world["sla"].pk,
            "recipients": [world["customer"].pk, world["auditor"].pk],
            "attach_pdf": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("RPS-") and body["owner"] == world["slm"].pk
    assert body["attach_pdf"] is False and body["organisation"] == world["sla"].organisation_id
    wide = client.post(API, {"name": "All", "recipients": [world["auditor"].pk]}, format="json")
    assert wide.status_code == 201 and wide.json()["kind"] == "provider"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"recipients": []}, "recipients"),
        ({"recipients": "other_customer"}, "recipients"),
        ({"recipients": [987654321]}, "recipients"),
        ({"agreement": 987654321}, "agreement"),
        ({"agreement": "x"}, "agreement"),
        ({"service": "both"}, "service"),
        ({"owner": "agent"}, "owner"),
    ],
)
def test_api_create_refuses_bad_input(world, payload, field):
    data = {"name": "Monthly", "agreement": world["sla"].pk, "recipients": [world["customer"].pk]}
    data.update(payload)
    if data.get("recipients") == "other_customer":
        data["recipients"] = [world["other_customer"].pk]
    if data.get("service") == "both":
        data["service"] = world["sla"].services.first().pk
    if data.get("owner") == "agent":
        data["owner"] = world["agent"].pk
    with nothing_changed(ReportSchedule):
        response = api_client_for(world["slm"]).post(API, data, format="json")
    assert_error_body(response, 400, "invalid", [field])


@pytest.mark.parametrize("who", ["agent", "auditor"])
def test_api_readers_cannot_write(world, who):
    client = api_client_for(world[who])
    made = world["schedule"]
    with nothing_changed(ReportSchedule, made):
        assert_error_body(
            client.post(API, {"name": "x", "recipients": [world["agent"].pk]}, format="json"),
            403,
        )
        assert_error_body(client.patch(detail(made), {"name": "x"}, format="json"), 403)
        assert_error_body(client.delete(detail(made)), 403)


@pytest.mark.parametrize("who", ["customer", "other_customer"])
def test_api_customers_write_nothing(world, who):
    client = api_client_for(world[who])
    made = world["schedule"]
    with nothing_changed(ReportSchedule, made):
        assert client.patch(detail(made), {"name": "x"}, format="json").status_code == 404
        assert client.delete(detail(made)).status_code == 404
        assert client.post(API, {"name": "x", "recipients": []}, format="json").status_code == 403


def test_api_update_with_if_match(world):
    made, client = world["schedule"], api_client_for(world["slm"])
    with nothing_changed(ReportSchedule, made):
        stale = client.patch(detail(made), {"name": "Renamed"}, format="json", HTTP_IF_MATCH='"9"')
    assert_error_body(stale, 412, "stale_version")
    response = client.patch(
        detail(made),
        {"name": "Renamed", "is_active": False},
        format="json",
        HTTP_IF_MATCH=f'"{made.version}"',
    )
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Renamed" and response.json()["is_active"] is False
    assert response["ETag"] == f'"{made.version + 1}"'
    fresh = ReportSchedule.objects.get(pk=made.pk)
    put = client.put(
        detail(made),
        {"name": "Whole", "recipients": [world["auditor"].pk], "attach_pdf": True},
        format="json",
        HTTP_IF_MATCH=f'"{fresh.version}"',
    )
    assert put.status_code == 200 and put.json()["recipients"] == [world["auditor"].pk]


def test_api_subject_never_changes(world):
    made = world["schedule"]
    with nothing_changed(ReportSchedule, made):
        response = api_client_for(world["slm"]).patch(
            detail(made), {"agreement": None}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["agreement"])


def test_api_delete_with_if_match_and_only_without_deliveries(world):
    made, client = world["schedule"], api_client_for(world["slm"])
    with nothing_changed(ReportSchedule, made):
        assert_error_body(client.delete(detail(made), HTTP_IF_MATCH='"7"'), 412)
    response = client.delete(detail(made), HTTP_IF_MATCH=f'"{made.version}"')
    assert response.status_code == 204
    assert not ReportSchedule.objects.filter(pk=made.pk).exists()
    sent = schedule(world["sla"], actor=world["slm"], recipients=[world["auditor"]], name="Sent")
    report = signed_report(world["sla"], actor=world["slm"])
    # Signing sends it by the schedule once this month's first working day has come; on the
    # days before, the schedule job's delivery is made here.
    services._deliver(sent, report, timezone.now())
    with nothing_changed(ReportSchedule, sent):
        assert_error_body(client.delete(detail(sent)), 400, "invalid")
    listed = client.get(detail(sent, "deliveries/")).json()["results"]
    assert [d["report"] for d in listed] == [report.pk]


def test_api_list_queries_do_not_grow(world):
    client = api_client_for(world["auditor"])

    def grow(n: int) -> None:
        for _ in range(n):
            schedule(world["sla"], actor=world["slm"], recipients=[world["customer"]])

    def call() -> None:
        assert client.get(API).status_code == 200

    assert_constant_queries(call, grow, rows=3, factor=4)


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("slm", 200),
        ("agent", 200),
        ("auditor", 200),
        ("customer", 404),
        ("other_customer", 404),
        ("customer_user", 404),
    ],
)
def test_pages_by_person(client, world, who, status):
    client.force_login(world[who])
    made = world["schedule"]
    assert client.get(PAGES).status_code == status
    response = client.get(f"{PAGES}{made.pk}/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert made.reference in html and world["customer"].email in html
        assert ('data-testid="schedule-form"' in html) == (who == "slm")
        new = client.get(f"{PAGES}new/").status_code
        assert new == (200 if who == "slm" else 403)


def test_anonymous_pages_redirect(client, world):
    for path in (PAGES, f"{PAGES}new/", f"{PAGES}{world['schedule'].pk}/"):
        assert client.get(path).status_code == 302


def test_page_create(client, world):
    client.force_login(world["slm"])
    response = client.post(
        f"{PAGES}new/",
        {
            "name": "Customer monthly",
            "subject": f"agreement:{world['sla'].pk}",
            "recipients": [world["customer"].pk],
            "attach_pdf": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    made = ReportSchedule.objects.get(name="Customer monthly")
    assert response["Location"] == f"{PAGES}{made.pk}/"
    assert made.owner == world["slm"] and list(made.recipients.all()) == [world["customer"]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"recipients": []}, "This field is required"),
        ({"recipients": "other_customer"}, "may not read this report"),
        ({"subject": "agreement:987654321"}, "Select a valid choice"),
        ({"recipients": [str(2**70)]}, "is not a valid value"),
    ],
)
def test_page_create_refuses_bad_input(client, world, change, message):
    client.force_login(world["slm"])
    data = {
        "name": "Customer monthly",
        "subject": f"agreement:{world['sla'].pk}",
        "recipients": [world["customer"].pk],
    }
    data.update(change)
    if data["recipients"] == "other_customer":
        data["recipients"] = [world["other_customer"].pk]
    with nothing_changed(ReportSchedule):
        response = client.post(f"{PAGES}new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_page_edit_and_stale_version(client, world):
    made = world["schedule"]
    client.force_login(world["slm"])
    data = {
        "version": made.version,
        "name": "Renamed",
        "recipients": [world["customer"].pk, world["auditor"].pk],
        "attach_pdf": "on",
    }
    response = client.post(f"{PAGES}{made.pk}/", data)
    assert response.status_code == 302
    fresh = ReportSchedule.objects.get(pk=made.pk)
    assert fresh.name == "Renamed" and not fresh.is_active and fresh.recipients.count() == 2
    with nothing_changed(ReportSchedule, fresh):
        response = client.post(f"{PAGES}{made.pk}/", {**data, "name": "Late"})
    assert response.status_code == 400
    html = response.content.decode()
    assert STALE_TEXT in html and 'data-testid="current-values"' in html


def test_page_readers_cannot_change_or_remove(client, world):
    made = world["schedule"]
    client.force_login(world["agent"])
    with nothing_changed(ReportSchedule, made):
        data = {"version": made.version, "name": "Mine", "recipients": [world["agent"].pk]}
        assert client.post(f"{PAGES}{made.pk}/", data).status_code == 403
        assert client.post(f"{PAGES}{made.pk}/delete/", {"version": 1}).status_code == 403
        assert client.post(f"{PAGES}new/", data).status_code == 403


def test_page_delete(client, world):
    made = world["schedule"]
    client.force_login(world["slm"])
    with nothing_changed(ReportSchedule, made):
        response = client.post(f"{PAGES}{made.pk}/delete/", {"version": made.version + 3})
    assert response.status_code == 400 and STALE_TEXT in response.content.decode()
    response = client.post(f"{PAGES}{made.pk}/delete/", {"version": made.version})
    assert response.status_code == 302 and response["Location"] == PAGES
    assert not ReportSchedule.objects.filter(pk=made.pk).exists()


def test_page_list_queries_do_not_grow(client, world):
    client.force_login(world["slm"])

    def grow(n: int) -> None:
        for _ in range(n):
            schedule(world["sla"], actor=world["slm"], recipients=[world["customer"]])

    def call() -> None:
        assert client.get(PAGES).status_code == 200

    assert_constant_queries(call, grow, rows=3, factor=4)
