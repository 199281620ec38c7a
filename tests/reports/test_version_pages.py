"""Pages of stored service report versions: who opens them (provider staff and auditors read,
the service level manager alone acts, customers and everyone else get 404), saving a live
report as a version, the commentary, sign-off and sending through the forms, refusals shown on
the page with status 400 (a stale version with a clear message), a signed report that no form
can change, and a list whose queries do not grow with its rows."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from accord.core.choices import OrganisationKind, Role
from accord.reports.models import ReportDelivery, ServiceReport
from tests.base import (
    STALE_TEXT,
    assert_constant_queries,
    nothing_changed,
)
from tests.factories import OrganisationFactory, PersonFactory, person_with_role
from tests.reports.version_factories import (
    customer_manager,
    draft_report,
    period,
    signed_report,
    sla,
    slm,
)

pytestmark = pytest.mark.django_db

LIST = "/reports/versions/"
COMPILE = "/reports/versions/compile/"


def page(report: ServiceReport, tail: str = "") -> str:
    return f"/reports/versions/{report.pk}/{tail}"


@pytest.fixture
def world():
    """An SLA with a draft of last month (commentary written) and the people around it."""
    agreement = sla()
    manager = slm()
    draft = draft_report(agreement, actor=manager, commentary="Figures look *fine*.")
    return {
        "sla": agreement,
        "draft": draft,
        "slm": manager,
        "agent": person_with_role(Role.AGENT),
        "auditor": person_with_role(Role.AUDITOR),
        "customer": customer_manager(agreement.organisation),
        "other_customer": customer_manager(OrganisationFactory(kind=OrganisationKind.CUSTOMER)),
        "customer_user": PersonFactory(
            organisation=agreement.organisation, roles=[Role.CUSTOMER_USER]
        ),
    }


def month() -> str:
    return f"{period()[0]:%Y-%m}"


# --- who opens what ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, world):
    for path in (LIST, page(world["draft"]), page(world["draft"], "pdf/")):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    with nothing_changed(ServiceReport, world["draft"]):
        response = client.post(page(world["draft"], "comment/"), {"version": 1})
    assert response.status_code == 302


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
    draft = world["draft"]
    for path in (LIST, page(draft), page(draft, "pdf/"), "/reports/schedules/"):
        assert client.get(path).status_code == status, path
    if status == 200:
        html = client.get(page(draft)).content.decode()
        assert draft.reference in html and world["sla"].code in html
        assert "<em>fine</em>" in html  # the commentary's Markdown
        assert 'data-section="' in html  # the report's sections, as on the live page
        actions = ('data-testid="sign-off"', 'data-testid="comment-form"', "Refresh figures")
        for text in actions:
            assert (text in html) == (who == "slm"), (who, text)


@pytest.mark.parametrize("who", ["agent", "auditor"])
def test_readers_cannot_act(client, world, who):
    client.force_login(world[who])
    draft = world["draft"]
    with nothing_changed(ServiceReport, draft):
        for tail, data in (
            ("comment/", {"version": draft.version, "commentary": "mine"}),
            ("refresh/", {"version": draft.version}),
            ("sign-off/", {"version": draft.version}),
            ("send/", {"recipients": [world["agent"].pk]}),
        ):
            assert client.post(page(draft, tail), data).status_code == 403
        assert client.post(COMPILE, {"agreement": world["sla"].pk}).status_code == 403


def test_customers_get_404_on_staff_actions(client, world):
    draft = world["draft"]
    for who in ("customer", "other_customer", "customer_user"):
        client.force_login(world[who])
        with nothing_changed(ServiceReport, draft):
            for tail in ("comment/", "refresh/", "sign-off/", "send/"):
                response = client.post(page(draft, tail), {"version": draft.version})
                assert response.status_code == 404


# --- the list ---------------------------------------------------------------------------------


def test_list_filters_and_badges(client, world):
    client.force_login(world["auditor"])
    html = client.get(LIST).content.decode()
    assert world["draft"].reference in html and 'class="badge badge-grey"' in html
    assert world["draft"].reference not in client.get(LIST, {"status": "signed"}).content.decode()
    assert world["draft"].reference in client.get(LIST, {"period": month()}).content.decode()
    subject = f"agreement:{world['sla'].pk}"
    assert world["draft"].reference in client.get(LIST, {"subject": subject}).content.decode()
    response = client.get(LIST, {"period": "May"})
    assert response.status_code == 400 and "YYYY-MM" in response.content.decode()
    assert client.get(LIST, {"status": "lost"}).status_code == 400


def test_list_queries_do_not_grow(client):
    manager = slm()
    client.force_login(manager)
    first, _ = period()
    made: list[ServiceReport] = []

    def grow(n: int) -> None:
        for _ in range(n):
            day = first + dt.timedelta(days=len(made))
            made.append(draft_report(sla(), actor=manager, start=day, end=day))

    def call() -> None:
        assert client.get(LIST).status_code == 200

    assert_constant_queries(call, grow, rows=3, factor=4)


# --- saving a live report, commentary, sign-off, sending -------------------------------------


def test_live_report_offers_saving_to_the_service_level_manager_only(client, world):
    query = {"agreement": world["sla"].pk, "period": month()}
    client.force_login(world["agent"])
    assert "Save as a report version" not in client.get("/reports/service/", query).content.decode()
    client.force_login(world["slm"])
    html = client.get("/reports/service/", query).content.decode()
    assert "Save as a report version" in html and 'action="/reports/versions/compile/"' in html
    assert 'href="/reports/versions/"' in client.get("/reports/").content.decode()


def test_saving_a_live_report_compiles_a_draft(client):
    agreement, manager = sla(), slm()
    client.force_login(manager)
    first, last = period()
    response = client.post(
        COMPILE, {"agreement": agreement.pk, "start": first.isoformat(), "end": last.isoformat()}
    )
    assert response.status_code == 302
    report = ServiceReport.objects.get()
    assert response["Location"] == page(report)
    assert (report.status, report.revision, report.period_start) == ("draft", 1, first)
    assert report.created_by == manager
    follow = client.get(response["Location"]).content.decode()
    assert "saved as a draft" in follow


@pytest.mark.parametrize(
    "data",
    [{"period": "2026-13"}, {"start": "2026-05-10", "end": "2026-05-01"}, {"agreement": "x"}],
)
def test_saving_bad_input_shows_the_chooser_with_errors(client, data):
    client.force_login(slm())
    with nothing_changed(ServiceReport):
        response = client.post(COMPILE, data)
    assert response.status_code == 400
    assert 'data-testid="report-chooser"' in response.content.decode()


def test_commentary_is_saved_and_a_stale_form_is_refused(client, world):
    draft = world["draft"]
    client.force_login(world["slm"])
    response = client.post(
        page(draft, "comment/"), {"version": draft.version, "commentary": "## Period\nStable."}
    )
    assert response.status_code == 302
    assert ServiceReport.objects.get(pk=draft.pk).commentary == "## Period\nStable."
    fresh = ServiceReport.objects.get(pk=draft.pk)
    with nothing_changed(ServiceReport, fresh):
        response = client.post(
            page(draft, "comment/"), {"version": draft.version, "commentary": "Old view"}
        )
    assert response.status_code == 400
    html = response.content.decode()
    assert STALE_TEXT in html and 'data-testid="current-values"' in html
    assert "Stable." in html  # what is stored now


def test_bad_commentary_is_shown_on_the_form(client, world):
    draft = world["draft"]
    client.force_login(world["slm"])
    with nothing_changed(ServiceReport, draft):
        response = client.post(
            page(draft, "comment/"), {"version": draft.version, "commentary": "x" * 20_001}
        )
    assert response.status_code == 400
    assert "Keep the commentary under" in response.content.decode()
    with nothing_changed(ServiceReport, draft):
        response = client.post(page(draft, "comment/"), {"version": "abc", "commentary": "x"})
    assert response.status_code == 400


def test_sign_off_without_commentary_is_refused_on_the_page(client):
    agreement, manager = sla(), slm()
    draft = draft_report(agreement, actor=manager)
    client.force_login(manager)
    with nothing_changed(ServiceReport, draft):
        response = client.post(page(draft, "sign-off/"), {"version": draft.version})
    assert response.status_code == 400
    assert "Write the commentary" in response.content.decode()


def test_sign_off_send_and_the_frozen_report(client, world):
    draft, manager = world["draft"], world["slm"]
    client.force_login(manager)
    response = client.post(page(draft, "sign-off/"), {"version": draft.version})
    assert response.status_code == 302
    signed = ServiceReport.objects.get(pk=draft.pk)
    assert signed.status == "signed" and signed.signed_by == manager
    html = client.get(page(signed)).content.decode()
    assert "Signed off" in html and signed.pdf_sha256 in html
    assert 'data-testid="comment-form"' not in html and 'data-testid="send-form"' in html
    assert "Compile a new revision" in html
    pdf = client.get(page(signed, "pdf/"))
    assert pdf.content == bytes(signed.pdf)
    assert hashlib.sha256(pdf.content).hexdigest() == pdf["X-Content-SHA256"]

    # No form changes a signed report.
    with nothing_changed(ServiceReport, signed):
        for tail in ("comment/", "refresh/", "sign-off/"):
            response = client.post(
                page(signed, tail), {"version": signed.version, "commentary": "Rewritten"}
            )
            assert response.status_code == 400, tail
    assert client.get(page(signed, "pdf/")).content == pdf.content

    # Sending: recipients who may read it; a refused one is named on the page.
    with nothing_changed(ReportDelivery):
        response = client.post(page(signed, "send/"), {"recipients": [world["other_customer"].pk]})
    assert response.status_code == 400
    response = client.post(
        page(signed, "send/"), {"recipients": [world["customer"].pk], "attach_pdf": "on"}
    )
    assert response.status_code == 302
    delivery = ReportDelivery.objects.get()
    assert delivery.attach_pdf and delivery.recipients[0]["email"] == world["customer"].email
    assert world["customer"].email in client.get(page(signed)).content.decode()

    # A correction: a new revision compiled from the frozen one's page.
    first, last = period()
    response = client.post(
        COMPILE,
        {"agreement": world["sla"].pk, "start": first.isoformat(), "end": last.isoformat()},
    )
    assert response.status_code == 302
    correction = ServiceReport.objects.exclude(pk=signed.pk).get()
    assert correction.revision == 2 and correction.commentary == signed.commentary


def test_send_offers_only_people_who_may_read(client, world):
    signed = signed_report(world["sla"], actor=world["slm"])
    client.force_login(world["slm"])
    html = client.get(page(signed)).content.decode()
    assert world["customer"].email in html and world["auditor"].email in html
    assert world["other_customer"].email not in html
    assert world["customer_user"].email not in html
    with nothing_changed(ReportDelivery):
        response = client.post(page(signed, "send/"), {"recipients": [str(2**70)]})
    assert response.status_code == 400


def test_a_drafts_pdf_is_a_marked_preview(client, world):
    client.force_login(world["agent"])
    response = client.get(page(world["draft"], "pdf/"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "-draft.pdf" in response["Content-Disposition"]


def test_unknown_version_is_404(client, world):
    client.force_login(world["slm"])
    assert client.get("/reports/versions/987654321/").status_code == 404
    assert client.post("/reports/versions/987654321/sign-off/", {"version": 1}).status_code == 404
