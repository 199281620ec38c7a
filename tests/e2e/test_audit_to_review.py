"""Acceptance of internal audit and corrective action in the browser: the SMS owner runs an
internal audit from its checklist to a finding, the finding's nonconformity is driven through
its corrective action to a verified close, the next management review's pack shows it, and the
audit pack downloads with the audit's report in it."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pypdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accord.core.choices import Role
from accord.governance.services import audits, reviews
from accord.improvement.models import Nonconformity
from tests.factories import PASSWORD, PersonFactory, provider

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_audit_finding_becomes_a_verified_corrective_action_seen_by_the_review(login, page):
    provider()
    sofia = PersonFactory(username="sofia", first_name="Sofia", roles=[Role.SMS_OWNER])
    PersonFactory(username="tina", first_name="Tina", roles=[Role.TOP_MANAGEMENT])
    today = timezone.localdate()
    audit = audits.audit_create(
        actor=sofia,
        data={
            "title": "Release management",
            "planned_start": today,
            "planned_end": today + dt.timedelta(days=1),
            "lead_auditor": sofia,
            "clauses": ["8.5.3"],
        },
    )
    review = reviews.review_create(
        actor=sofia,
        title="Management review",
        planned_on=today + dt.timedelta(days=30),
        chair=sofia,
        period_start=today - dt.timedelta(days=150),
        period_end=today + dt.timedelta(days=29),
    )

    login("sofia", PASSWORD)
    page.get_by_role("link", name="Governance", exact=True).click()
    page.get_by_role("link", name="Internal audits").click()
    page.get_by_role("link", name=audit.reference).click()
    page.get_by_role("button", name="Start the audit").click()
    expect(page.get_by_test_id("status")).to_contain_text("In progress")

    # The checklist shows each question with the clause's live evidence; one gets a finding.
    checklist = page.get_by_test_id("checklist")
    expect(checklist).to_contain_text("8.5.3")
    page.locator("summary", has_text="Raise a finding").click()
    finding = page.get_by_test_id("finding-form")
    finding.locator("[name=kind]").select_option("minor")
    finding.locator("[name=title]").fill("Releases deployed without a sign-off")
    finding.locator("[name=statement]").fill(
        "Two releases of the quarter were deployed before their sign-off was recorded."
    )
    finding.locator("[name=evidence]").fill("Sampled the releases of the last quarter.")
    finding.locator("[name=checklist_item]").select_option(
        index=1  # the first question: clause 8.5.3
    )
    finding.get_by_role("button", name="Raise the finding").click()
    expect(page.get_by_test_id("findings")).to_contain_text("Minor nonconformity")
    rows = page.locator("tr[data-testid^=checklist-item-]")
    numbers = [rows.nth(i).get_attribute("data-testid") for i in range(rows.count())]
    for number in numbers:
        form = page.get_by_test_id(number).locator("form[data-testid^=answer-]")
        form.locator("[name=result]").select_option(
            "finding" if number == "checklist-item-8.5.3" else "conforming"
        )
        form.locator("[name=notes]").fill("Sampled the release records.")
        form.get_by_role("button", name="Answer").click()
        expect(page.get_by_test_id(number)).not_to_have_attribute("data-result", "open")
    report = page.get_by_test_id("report-form")
    report.locator("[name=summary]").fill("Release management sampled over the quarter.")
    report.locator("[name=conclusion]").fill("One minor nonconformity.")
    page.get_by_test_id("issue-report").click()
    expect(page.get_by_test_id("status")).to_contain_text("Reported")

    # The nonconformity the finding opened: corrective action, cause, done.
    nc = Nonconformity.objects.get()
    page.get_by_role("link", name=nc.reference).first.click()
    expect(page.get_by_test_id("reference")).to_have_text(nc.reference)
    page.locator("[data-testid=action-form] summary").click()
    action = page.get_by_test_id("action-form")
    action.locator("[name=title]").fill("Block deployment until the release is signed off")
    action.locator("[name=owner]").select_option(str(sofia.pk))
    action.locator("[name=due_on]").fill((today + dt.timedelta(days=7)).isoformat())
    action.get_by_role("button", name="Add the action").click()
    start = page.get_by_test_id("start-form")
    start.locator("[name=cause_analysis]").fill("The pipeline does not check for a sign-off.")
    start.get_by_role("button", name="Start: in progress").click()
    expect(page.get_by_test_id("status")).to_contain_text("In progress")
    page.locator("[data-testid=actions] [name=done_notes]").fill("The pipeline checks it now.")
    page.locator("[data-testid=actions]").get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("status")).to_contain_text("Awaiting effectiveness check")
    expect(page.get_by_test_id("check-due")).to_contain_text(
        (today + dt.timedelta(days=30)).isoformat()
    )

    # A month later the effectiveness check is due; top management checks it (not the owner).
    Nonconformity.objects.filter(pk=nc.pk).update(effectiveness_due_on=today)
    page.get_by_role("button", name="Sign out").click()
    login("tina", PASSWORD)
    page.goto(f"/improvements/nonconformities/{nc.pk}/")
    verify = page.get_by_test_id("verify-form")
    verify.get_by_label("Effective: close it").check()
    verify.locator("[name=notes]").fill("No release since went out without its sign-off.")
    verify.get_by_role("button", name="Record the check").click()
    expect(page.get_by_test_id("status")).to_contain_text("Closed")

    # The next management review's pack shows the audit and the closed nonconformity.
    page.goto(f"/governance/reviews/{review.pk}/")
    page.locator("button[data-action=compile]").click()
    expect(page.get_by_test_id("compiled-at")).to_be_visible()
    pack = page.locator("[data-section=audits]")
    expect(pack).to_contain_text(audit.reference)
    expect(pack).to_contain_text(nc.reference)
    expect(pack).to_contain_text("Closed")

    # The audit pack for the certification auditor: generated, downloaded, opened.
    page.get_by_role("link", name="Governance", exact=True).click()
    page.get_by_role("link", name="Audit packs").click()
    page.get_by_test_id("generate-pack").click()
    with page.expect_download() as caught:
        page.get_by_test_id("download").first.click()
    content = Path(caught.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as pack_zip:
        manifest = json.loads(pack_zip.read("manifest.json"))
        names = set(pack_zip.namelist())
        assert f"audits/{audit.reference}-report.pdf" in names
        for entry in manifest["files"]:
            assert hashlib.sha256(pack_zip.read(entry["path"])).hexdigest() == entry["sha256"]
        report = pypdf.PdfReader(io.BytesIO(pack_zip.read(f"audits/{audit.reference}-report.pdf")))
        assert audit.reference in "".join(p.extract_text() for p in report.pages)
        rows = list(csv.DictReader(io.StringIO(pack_zip.read("nonconformities.csv").decode())))
        assert [row["reference"] for row in rows] == [nc.reference]
