"""The API of stored service report versions: who reads which version (a customer's manager
their organisation's signed ones, never a draft; everyone else out of reach gets 404), who acts
(the service level manager compiles, comments, signs off and sends; the customer's manager
acknowledges), If-Match and ETag, bad input answered with field errors and nothing changed, a
signed report that no door can change (its PDF byte for byte the same), lists whose queries do
not grow with their rows, and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.reports.models import ReportDelivery, ServiceReport
from tests.base import (
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    nothing_changed,
    result_ids,
    row_state,
)
from tests.factories import OrganisationFactory, PersonFactory, ServiceFactory, person_with_role
from tests.reports.version_factories import (
    COMMENTARY,
    customer_manager,
    draft_report,
    period,
    signed_report,
    sla,
    slm,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/reports/service/versions/"


def url(report: ServiceReport, tail: str = "") -> str:
    return f"/api/v1/reports/service/{report.pk}/{tail}"


def month() -> str:
    first, _ = period()
    return f"{first:%Y-%m}"


@pytest.fixture
def world():
    """An SLA with a signed report of last month and a draft of the month before; the people
    around it."""
    agreement = sla()
    manager = slm()
    signed = signed_report(agreement, actor=manager)
    first, _ = period()
    before_last = (first - dt.timedelta(days=1)).replace(day=1)
    draft = draft_report(
        agreement,
        actor=manager,
        start=before_last,
        end=first - dt.timedelta(days=1),
        commentary="Draft thoughts.",
    )
    other = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    return {
        "sla": agreement,
        "signed": signed,
        "draft": draft,
        "slm": manager,
        "agent": person_with_role(Role.AGENT),
        "auditor": person_with_role(Role.AUDITOR),
        "customer": customer_manager(agreement.organisation),
        "other_customer": customer_manager(other),
        "customer_user": PersonFactory(
            organisation=agreement.organisation, roles=[Role.CUSTOMER_USER]
        ),
    }


# --- who reads what ---------------------------------------------------------------------------


def test_anonymous_is_refused_everywhere(world):
    client = api_client_for(None)
    for path in (LIST, url(world["signed"]), url(world["signed"], "pdf/")):
        assert client.get(path).status_code in (401, 403)
    with nothing_changed(ServiceReport, world["draft"]):
        assert client.post(LIST, {"period": month()}, format="json").status_code in (401, 403)
        response = client.patch(url(world["draft"]), {"commentary": "x"}, format="json")
        assert response.status_code in (401, 403)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("slm", {"signed", "draft"}),
        ("agent", {"signed", "draft"}),
        ("auditor", {"signed", "draft"}),
        ("customer", {"signed"}),
        ("other_customer", set()),
        ("customer_user", set()),
    ],
)
def test_list_and_detail_by_person(world, who, sees):
    client = api_client_for(world[who])
    ids = set(result_ids(client.get(LIST)))
    assert ids == {world[name].pk for name in sees}
    for name in ("signed", "draft"):
        response = client.get(url(world[name]))
        if name in sees:
            assert response.status_code == 200
            assert response["ETag"] == f'"{world[name].version}"'
            body = response.json()
            assert body["reference"] == world[name].reference
            assert body["content"]["meta"]["agreement_code"] == world["sla"].code
        else:
            assert_error_body(response, 404, "not_found")
        pdf = client.get(url(world[name], "pdf/"))
        assert pdf.status_code == (200 if name in sees else 404)


def test_filters(world):
    client = api_client_for(world["auditor"])
    first, _ = period()
    assert result_ids(client.get(LIST, {"status": "signed"})) == [world["signed"].pk]
    assert result_ids(client.get(LIST, {"period_start": first.isoformat()})) == [world["signed"].pk]
    assert set(result_ids(client.get(LIST, {"agreement": world["sla"].pk}))) == {
        world["signed"].pk,
        world["draft"].pk,
    }
    assert result_ids(client.get(LIST, {"agreement": world["sla"].pk + 1000})) == []
    for bad in ({"status": "lost"}, {"agreement": "x"}, {"period_start": "May"}):
        assert_error_body(client.get(LIST, bad), 400, "invalid")


# --- compile ----------------------------------------------------------------------------------


def test_service_level_manager_compiles_then_refreshes_the_same_draft():
    agreement = sla()
    client = api_client_for(slm())
    response = client.post(LIST, {"agreement": agreement.pk, "period": month()}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["revision"] == 1 and body["version"] == 1
    assert body["reference"].startswith("RPT-")
    assert body["content"]["meta"]["period"] == month()
    again = client.post(LIST, {"agreement": agreement.pk, "period": month()}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["version"] == 2
    assert ServiceReport.objects.count() == 1


def test_provider_wide_and_service_reports_compile():
    client = api_client_for(slm())
    service = ServiceFactory(status="live")
    first, last = period()
    wide = client.post(LIST, {"start": first.isoformat(), "end": last.isoformat()}, format="json")
    assert wide.status_code == 201 and wide.json()["kind"] == "provider"
    one = client.post(LIST, {"service": service.pk}, format="json")
    assert one.status_code == 201 and one.json()["kind"] == "service"
    assert one.json()["period_start"] == first.isoformat()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "3000-01"}, "start"),
        ({"start": "2026-05-10", "end": "2026-05-01"}, "end"),
        ({"start": "yesterday"}, "start"),
        ({"agreement": 987654321}, "agreement"),
        ({"agreement": "abc"}, "agreement"),
        ({"agreement": 2**70}, "agreement"),
    ],
)
def test_compile_refuses_bad_input(payload, field):
    client = api_client_for(slm())
    with nothing_changed(ServiceReport):
        response = client.post(LIST, payload, format="json")
    assert_error_body(response, 400, "invalid", [field])


def test_compile_agreement_and_service_together_is_refused():
    agreement = sla()
    client = api_client_for(slm())
    with nothing_changed(ServiceReport):
        response = client.post(
            LIST,
            {"agreement": agreement.pk, "service": agreement.services.first().pk},
            format="json",
        )
    assert_error_body(response, 400, "invalid", ["service"])


@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.ADMINISTRATOR])
def test_only_the_service_level_manager_compiles(role):
    agreement = sla()
    with nothing_changed(ServiceReport):
        response = api_client_for(person_with_role(role)).post(
            LIST, {"agreement": agreement.pk}, format="json"
        )
    assert_error_body(response, 403, "permission_denied")


def test_customer_manager_cannot_compile():
    agreement = sla()
    client = api_client_for(customer_manager(agreement.organisation))
    with nothing_changed(ServiceReport):
        response = client.post(LIST, {"agreement": agreement.pk}, format="json")
    assert response.status_code == 403


# --- commentary, If-Match ---------------------------------------------------------------------


def test_commentary_with_if_match(world):
    draft, client = world["draft"], api_client_for(world["slm"])
    response = client.patch(
        url(draft),
        {"commentary": "## Review\nAll good."},
        format="json",
        HTTP_IF_MATCH=f'"{draft.version}"',
    )
    assert response.status_code == 200, response.json()
    assert response.json()["commentary"] == "## Review\nAll good."
    assert response["ETag"] == f'"{draft.version + 1}"'


def test_stale_if_match_is_412_and_changes_nothing(world):
    draft, client = world["draft"], api_client_for(world["slm"])
    with nothing_changed(ServiceReport, draft):
        response = client.patch(
            url(draft), {"commentary": "Late edit"}, format="json", HTTP_IF_MATCH='"999"'
        )
    assert_error_body(response, 412, "stale_version")
    assert response["ETag"] == f'"{draft.version}"'
    with nothing_changed(ServiceReport, draft):
        response = client.post(url(draft, "sign-off/"), HTTP_IF_MATCH='"0"')
    assert_error_body(response, 412, "stale_version")


def test_without_if_match_the_write_goes_through_as_everywhere_in_the_api(world):
    """If-Match is honoured when sent (412 when stale), as on every other record of Accord."""
    response = api_client_for(world["slm"]).patch(
        url(world["draft"]), {"commentary": "No header"}, format="json"
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "commentary"), ({"commentary": "x" * 20_001}, "commentary")],
)
def test_bad_commentary_is_400_and_changes_nothing(world, payload, field):
    draft = world["draft"]
    with nothing_changed(ServiceReport, draft):
        response = api_client_for(world["slm"]).patch(url(draft), payload, format="json")
    assert_error_body(response, 400, "invalid", [field])


@pytest.mark.parametrize("who", ["agent", "auditor"])
def test_readers_cannot_act(world, who):
    client = api_client_for(world[who])
    draft = world["draft"]
    with nothing_changed(ServiceReport, draft):
        for response in (
            client.patch(url(draft), {"commentary": "mine"}, format="json"),
            client.post(url(draft, "refresh/")),
            client.post(url(draft, "sign-off/")),
            client.post(url(world["signed"], "send/"), {"recipients": [world["customer"].pk]}),
            client.post(url(world["signed"], "acknowledge/"), {"comment": "ok"}),
        ):
            assert_error_body(response, 403, "permission_denied")


@pytest.mark.parametrize("who", ["other_customer", "customer_user"])
def test_people_out_of_reach_get_404_for_every_action(world, who):
    client = api_client_for(world[who])
    for report in (world["draft"], world["signed"]):
        with nothing_changed(ServiceReport, report):
            for response in (
                client.patch(url(report), {"commentary": "mine"}, format="json"),
                client.post(url(report, "refresh/")),
                client.post(url(report, "sign-off/")),
                client.post(url(report, "acknowledge/"), {"comment": "ok"}),
                client.post(url(report, "send/"), {"recipients": []}, format="json"),
            ):
                assert_error_body(response, 404, "not_found")


def test_customer_manager_never_reaches_a_draft(world):
    client = api_client_for(world["customer"])
    draft = world["draft"]
    with nothing_changed(ServiceReport, draft):
        assert client.get(url(draft)).status_code == 404
        assert client.post(url(draft, "acknowledge/")).status_code == 404
        assert client.patch(url(draft), {"commentary": "x"}, format="json").status_code == 404


# --- sign-off and the frozen report -----------------------------------------------------------


def test_sign_off_needs_the_commentary():
    agreement, manager = sla(), slm()
    draft = draft_report(agreement, actor=manager)
    with nothing_changed(ServiceReport, draft):
        response = api_client_for(manager).post(url(draft, "sign-off/"))
    assert_error_body(response, 400, "invalid", ["commentary"])


def test_sign_off_freezes_the_pdf_and_supersedes_the_earlier_revision(world):
    client = api_client_for(world["slm"])
    signed = world["signed"]
    # A correction: compiled again for the same subject and period, a new revision.
    response = client.post(LIST, {"agreement": world["sla"].pk, "period": month()}, format="json")
    assert response.status_code == 201
    correction = response.json()
    assert correction["revision"] == 2 and correction["commentary"] == COMMENTARY
    fix = ServiceReport.objects.get(pk=correction["id"])
    response = client.post(url(fix, "sign-off/"), HTTP_IF_MATCH=f'"{fix.version}"')
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "signed" and len(body["pdf_sha256"]) == 64
    assert body["signed_by"]["id"] == world["slm"].pk
    old = client.get(url(signed)).json()
    assert old["status"] == "superseded" and old["superseded_by"] == fix.pk
    pdf = client.get(url(fix, "pdf/"))
    assert pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == body["pdf_sha256"]
    assert pdf["X-Content-SHA256"] == body["pdf_sha256"]


def test_a_signed_report_never_changes_through_any_door(world):
    signed, client = world["signed"], api_client_for(world["slm"])
    before = client.get(url(signed, "pdf/")).content
    assert hashlib.sha256(before).hexdigest() == signed.pdf_sha256
    with nothing_changed(ServiceReport, signed):
        for response in (
            client.patch(
                url(signed),
                {"commentary": "Rewritten"},
                format="json",
                HTTP_IF_MATCH=f'"{signed.version}"',
            ),
            client.post(url(signed, "refresh/"), HTTP_IF_MATCH=f'"{signed.version}"'),
            client.post(url(signed, "sign-off/"), HTTP_IF_MATCH=f'"{signed.version}"'),
        ):
            assert_error_body(response, 400, "invalid")
        assert client.put(url(signed), {"commentary": "x"}, format="json").status_code == 405
        assert client.delete(url(signed)).status_code == 405
    after = client.get(url(signed, "pdf/"))
    assert after.content == before
    assert after["X-Content-SHA256"] == signed.pdf_sha256


def test_a_drafts_pdf_is_rendered_now_and_marked_as_draft(world):
    response = api_client_for(world["auditor"]).get(url(world["draft"], "pdf/"))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["X-Accord-Draft"] == "true"
    assert "-draft.pdf" in response["Content-Disposition"]
    assert "X-Content-SHA256" not in response


def test_refresh_compiles_the_figures_again(world):
    draft = world["draft"]
    response = api_client_for(world["slm"]).post(
        url(draft, "refresh/"), HTTP_IF_MATCH=f'"{draft.version}"'
    )
    assert response.status_code == 200
    assert response.json()["version"] == draft.version + 1
    assert response.json()["compiled_at"] > draft.compiled_at.isoformat()[:19]


# --- acknowledge and send ---------------------------------------------------------------------


def test_customer_manager_acknowledges_once(world):
    signed, client = world["signed"], api_client_for(world["customer"])
    response = client.post(
        url(signed, "acknowledge/"),
        {"comment": "Agreed, thanks."},
        format="json",
        HTTP_IF_MATCH=f'"{signed.version}"',
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "acknowledged" and body["acknowledgement"] == "Agreed, thanks."
    assert body["acknowledged_by"]["id"] == world["customer"].pk
    fresh = ServiceReport.objects.get(pk=signed.pk)
    assert bytes(fresh.pdf) == bytes(signed.pdf)
    with nothing_changed(ServiceReport, fresh):
        again = client.post(url(signed, "acknowledge/"), {"comment": "Again"}, format="json")
    assert_error_body(again, 400, "invalid")


def test_service_level_manager_sends_to_readers_only(world):
    signed, client = world["signed"], api_client_for(world["slm"])
    response = client.post(
        url(signed, "send/"),
        {"recipients": [world["customer"].pk, world["auditor"].pk], "attach_pdf": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["report"] == signed.pk and body["attach_pdf"] is True
    assert {r["email"] for r in body["recipients"]} == {
        world["customer"].email,
        world["auditor"].email,
    }
    detail = client.get(url(signed)).json()
    assert [d["id"] for d in detail["deliveries"]] == [body["id"]]


@pytest.mark.parametrize(
    "recipients",
    [[], "other_customer", "customer_user", [987654321], ["x"]],
    ids=["none", "other-organisation", "customer-user", "unknown", "not-an-id"],
)
def test_send_refuses_bad_recipients(world, recipients):
    if isinstance(recipients, str):
        recipients = [world[recipients].pk]
    with nothing_changed(ReportDelivery):
        response = api_client_for(world["slm"]).post(
            url(world["signed"], "send/"), {"recipients": recipients}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["recipients"])


def test_a_draft_is_not_sent(world):
    with nothing_changed(ReportDelivery):
        response = api_client_for(world["slm"]).post(
            url(world["draft"], "send/"), {"recipients": [world["agent"].pk]}, format="json"
        )
    assert_error_body(response, 400, "invalid")


# --- queries and schema -----------------------------------------------------------------------


def test_list_queries_do_not_grow_with_versions():
    manager = slm()
    client = api_client_for(person_with_role(Role.AUDITOR))
    first, _ = period()
    made = []

    def grow(n: int) -> None:
        for _ in range(n):
            day = first + dt.timedelta(days=len(made))
            made.append(draft_report(sla(), actor=manager, start=day, end=day, commentary="c"))

    def call() -> None:
        assert len(result_ids(client.get(LIST))) == len(made)

    assert_constant_queries(call, grow, rows=3, factor=4)


def test_customer_list_queries_do_not_grow():
    agreement = sla()
    manager = slm()
    client = api_client_for(customer_manager(agreement.organisation))
    first, _ = period()
    count = [0]

    def grow(n: int) -> None:
        for _ in range(n):
            day = first + dt.timedelta(days=count[0])
            draft_report(agreement, actor=manager, start=day, end=day)
            count[0] += 1

    def call() -> None:
        assert client.get(LIST).status_code == 200

    assert_constant_queries(call, grow, rows=3, factor=4)


def test_schema_generates_without_warnings_and_documents_the_operations(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/v1/reports/service/versions/:",
        "/api/v1/reports/service/{id}/:",
        "/api/v1/reports/service/{id}/pdf/:",
        "/api/v1/reports/service/{id}/sign-off/:",
        "/api/v1/reports/service/{id}/acknowledge/:",
        "/api/v1/reports/service/{id}/send/:",
        "/api/v1/report-schedules/{id}/deliveries/:",
    ):
        assert path in text
    assert "X-Content-SHA256" in text and "If-Match" in text


def test_times_are_instants(world):
    body = api_client_for(world["slm"]).get(url(world["signed"])).json()
    signed_at = dt.datetime.fromisoformat(body["signed_at"])
    assert signed_at.tzinfo is not None and signed_at <= timezone.now()
    assert row_state(world["signed"])["status"] == "signed"
