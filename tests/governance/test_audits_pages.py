"""The internal audit pages for every role: the list with its filters, one audit with its
checklist (live evidence beside each question), the answer and finding forms, starting,
cancelling and issuing the report, the report page, programmes with their coverage, the plan
and edit forms (stale versions, bad input, independence refusals) and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F

from accord.core.choices import Role
from accord.governance.choices import AuditStatus, ChecklistResult, FindingKind
from accord.governance.models import Audit, AuditProgramme, ChecklistItem, Clause, Finding
from accord.improvement.models import Nonconformity
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    assert_constant_queries,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import ServiceFactory
from tests.governance.audits_factories import (
    answer_all,
    item_of,
    make_programme,
    manager,
    plan_audit,
    raise_finding,
    reported_audit,
    rich_audit,
    staff,
    started_audit,
)

pytestmark = pytest.mark.django_db

LIST = "/governance/audits/"
PROGRAMMES = "/governance/audit-programmes/"
MANAGERS = roles_with("audits.manage")


def page(audit: Audit, suffix: str = "") -> str:
    return f"{LIST}{audit.pk}/{suffix}"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_reading_pages_by_role(role, client, customer_org):
    audit = reported_audit()
    programme = make_programme()
    client.force_login(person_for_role(role, customer_org))
    urls = [LIST, page(audit), page(audit, "report/"), PROGRAMMES, f"{PROGRAMMES}{programme.pk}/"]
    for url in urls:
        response = client.get(url)
        if role in CUSTOMER_ROLE_SET:
            assert response.status_code == 404, (role, url)
        else:
            assert response.status_code == 200, (role, url, response.status_code)
    if role not in CUSTOMER_ROLE_SET:
        assert audit.reference in client.get(LIST).content.decode()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_planning_pages_by_role(role, client, customer_org):
    audit = plan_audit()
    programme = make_programme()
    client.force_login(person_for_role(role, customer_org))
    urls = [
        f"{LIST}new/",
        page(audit, "edit/"),
        f"{PROGRAMMES}new/",
        f"{PROGRAMMES}{programme.pk}/edit/",
    ]
    for url in urls:
        status = client.get(url).status_code
        if role in CUSTOMER_ROLE_SET:
            assert status == 404, (role, url)
        elif role in MANAGERS:
            assert status == 200, (role, url)
        else:
            assert status == 403, (role, url)


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- planning -----------------------------------------------------------------------------------


def test_plan_an_audit_through_the_form(client):
    programme = make_programme()
    lead, other = staff(), staff()
    client.force_login(manager())
    response = client.post(
        f"{LIST}new/",
        {
            "title": "Incident management",
            "programme": programme.pk,
            "criteria": "",
            "planned_start": "2026-03-09",
            "planned_end": "2026-03-13",
            "lead_auditor": lead.pk,
            "auditors": [other.pk],
            "clauses": [Clause.objects.get(number="8.6").pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    audit = Audit.objects.get(title="Incident management")
    assert response["Location"] == page(audit)
    assert set(audit.auditors.values_list("pk", flat=True)) == {lead.pk, other.pk}


def test_form_shows_the_independence_conflict(client):
    owner = staff(Role.SERVICE_OWNER, first_name="Sam", last_name="Owner")
    mail = ServiceFactory(name="Email", owner=owner)
    client.force_login(manager())
    with nothing_changed(Audit):
        response = client.post(
            f"{LIST}new/",
            {
                "title": "Email",
                "planned_start": "2026-03-09",
                "planned_end": "2026-03-13",
                "lead_auditor": owner.pk,
                "services": [mail.pk],
            },
        )
    assert response.status_code == 400
    assert "Sam Owner owns the service Email (in scope)." in response.content.decode()


def test_bad_input_shows_errors_and_changes_nothing(client):
    client.force_login(manager())
    with nothing_changed(Audit):
        response = client.post(
            f"{LIST}new/",
            {"title": "", "planned_start": "2026-03-13", "planned_end": "2026-03-01"},
        )
    assert response.status_code == 400
    assert response.context["form"].errors


def test_stale_edit_is_refused_with_the_current_values(client):
    audit = plan_audit()
    client.force_login(manager())
    form = client.get(page(audit, "edit/")).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["title"] = "Mine"
    Audit.objects.filter(pk=audit.pk).update(version=F("version") + 1)
    with nothing_changed(Audit, audit):
        response = client.post(page(audit, "edit/"), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "changed by someone else" in content and 'data-testid="current-values"' in content


def test_edit_of_a_started_audit_keeps_scope_and_team(client):
    audit = started_audit()
    client.force_login(manager())
    form = client.get(page(audit, "edit/")).context["form"]
    assert form.fields["clauses"].disabled and not form.fields["title"].disabled
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(title="Renamed", clauses=[])
    response = client.post(page(audit, "edit/"), data)
    assert response.status_code == 302
    fresh = Audit.objects.get(pk=audit.pk)
    assert fresh.title == "Renamed" and fresh.clauses.count() == 1


def test_programme_form_and_its_coverage(client):
    client.force_login(manager())
    owner = staff()
    response = client.post(
        f"{PROGRAMMES}new/",
        {
            "title": "Audits 2026",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "owner": owner.pk,
        },
    )
    assert response.status_code == 302
    programme = AuditProgramme.objects.get(title="Audits 2026")
    plan_audit(programme=programme, clauses=["8.6"])
    content = client.get(f"{PROGRAMMES}{programme.pk}/").content.decode()
    assert 'data-clause="8.6.1" data-state="covered"' in content
    assert 'data-clause="9" data-state="gap"' in content
    assert 'data-testid="clause-gaps"' in content


def test_programme_with_a_reversed_period_is_refused(client):
    client.force_login(manager())
    with nothing_changed(AuditProgramme):
        response = client.post(
            f"{PROGRAMMES}new/",
            {"title": "x", "starts_on": "2026-12-01", "ends_on": "2026-01-01", "owner": staff().pk},
        )
    assert response.status_code == 400
    assert "ends_on" in response.context["form"].errors


# --- conducting ---------------------------------------------------------------------------------


def test_start_through_the_page_lists_the_checklist_with_live_evidence(client):
    lead = staff()
    audit = plan_audit(lead_auditor=lead, clauses=["4.3", "8.6"])
    client.force_login(lead)
    response = client.post(page(audit, "start/"), {"version": audit.version})
    assert response.status_code == 302
    content = client.get(page(audit)).content.decode()
    assert 'data-testid="checklist-item-4.3"' in content
    assert 'data-testid="checklist-item-8.6.1"' in content
    assert "Live services in the portfolio" in content  # 4.3's live evidence beside it
    item = item_of(audit, "4.3")
    assert f'data-testid="answer-{item.pk}"' in content
    assert 'data-testid="finding-form"' in content and 'data-testid="issue-report"' in content


@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.INCIDENT_MANAGER])
def test_staff_not_on_the_team_see_no_forms_and_are_refused(role, client):
    audit = started_audit()
    client.force_login(staff(role))
    content = client.get(page(audit)).content.decode()
    assert 'data-testid="finding-form"' not in content and "answer-" not in content
    item = item_of(audit, "8.6")
    with nothing_changed(Finding):
        answer = client.post(page(audit, f"checklist/{item.pk}/answer/"), {"result": "conforming"})
        finding = client.post(
            page(audit, "findings/"), {"kind": "observation", "title": "x", "statement": "y"}
        )
        start = client.post(page(audit, "start/"), {"version": audit.version})
    assert (answer.status_code, finding.status_code, start.status_code) == (403, 403, 403)
    assert ChecklistItem.objects.get(pk=item.pk).result == ChecklistResult.OPEN


def test_customers_cannot_act(client, customer_org):
    audit = started_audit()
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    item = item_of(audit, "8.6")
    assert (
        client.post(
            page(audit, f"checklist/{item.pk}/answer/"), {"result": "conforming"}
        ).status_code
        == 404
    )
    assert client.post(page(audit, "cancel/"), {"version": 1, "reason": "x"}).status_code == 404


def test_answer_and_a_bad_answer(client):
    audit = started_audit()
    client.force_login(audit.lead_auditor)
    item = item_of(audit, "8.6")
    bad = client.post(page(audit, f"checklist/{item.pk}/answer/"), {"result": "open"})
    assert bad.status_code == 400
    assert ChecklistItem.objects.get(pk=item.pk).result == ChecklistResult.OPEN
    good = client.post(
        page(audit, f"checklist/{item.pk}/answer/"), {"result": "not_applicable", "notes": "n/a"}
    )
    assert good.status_code == 302
    assert ChecklistItem.objects.get(pk=item.pk).result == ChecklistResult.NOT_APPLICABLE


def test_finding_answer_without_a_finding_is_refused_on_the_page(client):
    audit = started_audit()
    client.force_login(audit.lead_auditor)
    item = item_of(audit, "8.6.1")
    response = client.post(page(audit, f"checklist/{item.pk}/answer/"), {"result": "finding"})
    assert response.status_code == 400
    assert "Raise the finding on 8.6.1 first" in response.content.decode()


def test_minor_finding_through_the_page_links_its_nonconformity(client):
    audit = started_audit()
    client.force_login(audit.lead_auditor)
    item = item_of(audit, "8.6.1")
    response = client.post(
        page(audit, "findings/"),
        {
            "kind": FindingKind.MINOR,
            "title": "No resolution notes",
            "statement": "Two of five incidents sampled had none.",
            "checklist_item": item.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    nonconformity = Nonconformity.objects.get(finding__audit=audit)
    content = client.get(page(audit)).content.decode()
    assert nonconformity.reference in content
    assert 'data-testid="opened-nonconformity"' in content


def test_bad_finding_shows_errors(client):
    audit = started_audit()
    client.force_login(audit.lead_auditor)
    with nothing_changed(Finding):
        response = client.post(
            page(audit, "findings/"), {"kind": "minor", "title": "", "statement": ""}
        )
    assert response.status_code == 400
    assert response.context["finding_form"].errors


def test_report_is_refused_with_open_questions_then_issued(client):
    audit = started_audit(clauses=["8.6.1", "8.6.2"])
    client.force_login(audit.lead_auditor)
    data = {"version": audit.version, "summary": "Sampled.", "conclusion": "Conforming."}
    with nothing_changed(Audit, audit):
        response = client.post(page(audit, "report/issue/"), data)
    assert response.status_code == 400
    assert "still open for 8.6.1, 8.6.2" in response.content.decode()
    answer_all(audit)
    response = client.post(page(audit, "report/issue/"), data)
    assert response.status_code == 302
    report = client.get(page(audit, "report/")).content.decode()
    assert 'data-testid="issued"' in report and "Conforming." in report
    detail = client.get(page(audit)).content.decode()
    assert 'data-testid="issue-report"' not in detail and "answer-" not in detail


def test_preview_while_in_progress(client):
    audit = started_audit()
    client.force_login(staff(Role.AUDITOR))
    content = client.get(page(audit, "report/")).content.decode()
    assert 'data-testid="preview"' in content and audit.reference in content


def test_only_the_lead_issues_the_report_on_the_page(client):
    other = staff()
    audit = started_audit(auditors=[other])
    answer_all(audit)
    client.force_login(other)
    data = {"version": audit.version, "summary": "S", "conclusion": "C"}
    assert client.post(page(audit, "report/issue/"), data).status_code == 403
    assert Audit.objects.get(pk=audit.pk).status == AuditStatus.IN_PROGRESS


def test_cancel_through_the_page(client):
    audit = plan_audit()
    client.force_login(manager())
    refused = client.post(page(audit, "cancel/"), {"version": audit.version, "reason": ""})
    assert refused.status_code == 400
    response = client.post(page(audit, "cancel/"), {"version": audit.version, "reason": "Moved."})
    assert response.status_code == 302
    assert Audit.objects.get(pk=audit.pk).status == AuditStatus.CANCELLED


def test_stale_start_is_refused(client):
    audit = plan_audit()
    client.force_login(manager())
    Audit.objects.filter(pk=audit.pk).update(version=F("version") + 1)
    response = client.post(page(audit, "start/"), {"version": audit.version})
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
    assert not ChecklistItem.objects.filter(audit=audit).exists()


# --- list filters and query counts --------------------------------------------------------------


def test_list_filters(client):
    programme = make_programme()
    planned = plan_audit(programme=programme)
    running = started_audit()
    later = plan_audit(planned_start=dt.date(2027, 2, 1), planned_end=dt.date(2027, 2, 3))
    client.force_login(staff(Role.AUDITOR))

    def shown(query):
        rows = client.get(LIST, query).context["rows"]
        return [row["audit"].pk for row in rows]

    assert shown({"status": "in_progress"}) == [running.pk]
    assert shown({"programme": programme.pk}) == [planned.pk]
    assert shown({"year": 2027}) == [later.pk]
    assert client.get(LIST, {"year": "soon"}).status_code == 400
    assert client.get(LIST, {"programme": 2**70}).status_code == 400


def test_list_queries_do_not_grow(client):
    client.force_login(staff(Role.AUDITOR))

    def call():
        assert client.get(LIST).status_code == 200

    assert_constant_queries(call, lambda n: [rich_audit() for _ in range(n)])


def test_programme_pages_queries_do_not_grow(client):
    programme = make_programme()
    client.force_login(staff(Role.AUDITOR))

    def call():
        assert client.get(PROGRAMMES).status_code == 200
        assert client.get(f"{PROGRAMMES}{programme.pk}/").status_code == 200

    def grow(n):
        for _ in range(n):
            make_programme()
            plan_audit(programme=programme)

    assert_constant_queries(call, grow)


def test_detail_queries_do_not_grow_with_findings(client):
    audit = started_audit()
    client.force_login(audit.lead_auditor)

    def call():
        assert client.get(page(audit)).status_code == 200

    def grow(n):
        for i in range(n):
            kind = (FindingKind.MINOR, FindingKind.OPPORTUNITY, FindingKind.OBSERVATION)[i % 3]
            raise_finding(audit, kind=kind, service=ServiceFactory().pk)

    assert_constant_queries(call, grow)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.AGENT])
def test_the_issued_report_downloads_as_a_pdf_for_readers(client, role):
    import io

    import pypdf

    audit = reported_audit()
    in_progress = started_audit()
    client.force_login(staff(role))
    response = client.get(page(audit, "report.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{audit.reference}-report.pdf"' in response["Content-Disposition"]
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert audit.reference in text
    assert client.get(page(in_progress, "report.pdf")).status_code == 404


def test_customers_find_no_report_pdf(client, customer_org):
    from tests.base import person_for_role

    audit = reported_audit()
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    assert client.get(page(audit, "report.pdf")).status_code == 404
