"""Generating an audit pack: the files inside the ZIP, their checksums in manifest.json and
SHA256SUMS, PDFs that open with the text they should hold, CSVs that parse with the expected
header and rows, formula injection guarded, gaps listed under "missing", the retention of the
last packs and the bounded number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from accord.core.choices import AuditAction, Role
from accord.core.models import AuditEvent
from accord.governance.choices import DocumentKind
from accord.governance.models import (
    Audit,
    AuditPack,
    Clause,
    DocumentVersion,
    Finding,
    ManagementReview,
)
from accord.governance.pack_contents import cell, csv_bytes
from accord.governance.services import packs
from accord.improvement.models import CorrectiveAction, Nonconformity
from tests.factories import provider
from tests.governance.clauses_factories import approved_document, staff
from tests.improvement.factories import ImprovementFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
POLICY_TEXT = {
    DocumentKind.SMS_POLICY: "We commit to services that meet agreed requirements.",
    DocumentKind.SMS_SCOPE: "The SMS covers the managed workplace service.",
    DocumentKind.SM_PLAN: "The plan sets out how the SMS is run this year.",
}


# --- Records of others, made directly ----------------------------------------------------------


def policy(kind: str, text: str | None = None):
    document = approved_document(kind)
    DocumentVersion.objects.filter(pk=document.current_version_id).update(
        body=f"# Heading of {kind}\n\n{text or POLICY_TEXT[kind]}\n"
    )
    return document


def reported_audit(reference: str, *, reported_at: dt.datetime, lead=None) -> Audit:
    lead = lead or staff(Role.SMS_OWNER)
    return Audit.objects.create(
        reference=reference,
        title=f"Audit {reference}",
        status="reported",
        planned_start=reported_at.date() - dt.timedelta(days=10),
        planned_end=reported_at.date() - dt.timedelta(days=5),
        lead_auditor=lead,
        reported_at=reported_at,
        reported_by=lead,
        report=f"# Report of {reference}\n\nThe incident process conforms in the main.\n",
    )


def finding(audit: Audit, reference: str, **kwargs) -> Finding:
    kwargs.setdefault("kind", "minor")
    kwargs.setdefault("title", "Major incidents without review")
    kwargs.setdefault("statement", "Two of five major incidents had no post-incident review.")
    return Finding.objects.create(
        audit=audit,
        reference=reference,
        clause=Clause.objects.get(number="8.6.1"),
        raised_by=audit.lead_auditor,
        **kwargs,
    )


def nonconformity(reference: str, *, finding: Finding | None = None, **kwargs) -> Nonconformity:
    kwargs.setdefault("title", "Reviews of major incidents missed")
    return Nonconformity.objects.create(
        reference=reference,
        description="Reviews were not held.",
        source="audit_finding" if finding else "other",
        finding=finding,
        clause=Clause.objects.get(number="8.6.1"),
        owner=staff(Role.INCIDENT_MANAGER),
        **kwargs,
    )


def approved_review(reference: str, *, held_on: dt.date) -> ManagementReview:
    minutes = policy(DocumentKind.MANAGEMENT_REVIEW, f"Minutes of {reference}: the SMS is fit.")
    return ManagementReview.objects.create(
        reference=reference,
        title=f"Review {reference}",
        status="approved",
        planned_on=held_on,
        held_on=held_on,
        period_start=held_on - dt.timedelta(days=180),
        period_end=held_on,
        chair=staff(Role.TOP_MANAGEMENT),
        document=minutes,
    )


def full_records() -> dict[str, object]:
    """A provider with every kind of record the pack carries, and some it must leave out."""
    provider().__class__.objects.filter(pk=provider().pk).update(name="Northwind IT")
    for kind in POLICY_TEXT:
        policy(kind)
    recent = reported_audit("AUD-000001", reported_at=NOW - dt.timedelta(days=40))
    reported_audit("AUD-000002", reported_at=NOW - dt.timedelta(days=400))  # too old
    fnd = finding(recent, "FND-000001")
    finding(recent, "FND-000002", kind="observation", title='=HYPERLINK("http://x")')
    nc = nonconformity("NC-000001", finding=fnd, cause_analysis="No reminder was set.")
    CorrectiveAction.objects.create(
        nonconformity=nc, title="@SUM(A1:A2)", owner=nc.owner, due_on=dt.date(2026, 12, 1)
    )
    approved_review("MR-000001", held_on=dt.date(2026, 6, 15))
    approved_review("MR-000002", held_on=dt.date(2024, 1, 10))  # too old
    ImprovementFactory(title="-2+3 faster resets", source_reference="PRB-000001")
    return {"nonconformity": nc}


# --- Reading a pack ----------------------------------------------------------------------------


def open_zip(pack: AuditPack) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(bytes(pack.content)))


def pdf_text(archive: zipfile.ZipFile, path: str) -> str:
    reader = PdfReader(io.BytesIO(archive.read(path)))
    assert len(reader.pages) >= 1
    return "\n".join(page.extract_text() for page in reader.pages)


def csv_rows(archive: zipfile.ZipFile, path: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(archive.read(path).decode("utf-8"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


@pytest.fixture
def full_pack() -> AuditPack:
    full_records()
    return packs.generate_pack(actor=staff(Role.SMS_OWNER), now=NOW)


def test_the_zip_holds_every_file_with_matching_checksums(full_pack):
    archive = open_zip(full_pack)
    names = set(archive.namelist())
    assert names == {
        "policy/sms-policy.pdf",
        "policy/sms-scope.pdf",
        "policy/service-management-plan.pdf",
        "clause-register.pdf",
        "clause-register.csv",
        "audits/AUD-000001-report.pdf",
        "audits/findings.csv",
        "management-reviews/MR-000001-minutes.pdf",
        "improvement-register.csv",
        "improvement-register.pdf",
        "nonconformities.csv",
        "corrective-actions.csv",
        "manifest.json",
        "SHA256SUMS",
    }
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())
    assert full_pack.reference == "PACK-000001"
    assert full_pack.filename == "accord-audit-pack-2026-11-02.zip"
    assert full_pack.size == len(full_pack.content)
    assert full_pack.sha256 == hashlib.sha256(bytes(full_pack.content)).hexdigest()

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["generated_at"] == "2026-11-02T10:00:00Z"
    assert manifest["organisation"] == "Northwind IT"
    assert manifest["accord_version"]
    assert manifest["reference"] == "PACK-000001"
    assert manifest["generated_by"]["username"] == full_pack.generated_by.username
    assert manifest["missing"] == []
    listed = {f["path"] for f in manifest["files"]}
    assert listed == names - {"manifest.json", "SHA256SUMS"}
    for entry in manifest["files"]:
        content = archive.read(entry["path"])
        assert entry["bytes"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["description"]
    assert full_pack.manifest == manifest["files"]

    sums = archive.read("SHA256SUMS").decode("ascii").splitlines()
    checked = set()
    for line in sums:
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest
        checked.add(path)
    assert checked == names - {"SHA256SUMS"}


def test_every_pdf_opens_with_the_text_it_should_hold(full_pack):
    archive = open_zip(full_pack)
    for kind, path in packs_policy_paths():
        text = pdf_text(archive, path)
        assert POLICY_TEXT[kind] in text
        assert "version 1" in text and "Ada Approver" in text and "2026-03-02" in text
        assert "Northwind IT" in text and "Page 1 of" in text
    register = pdf_text(archive, "clause-register.pdf")
    for number in ("4.3", "5.2", "8.6.1", "10.2"):
        assert number in register
    report = pdf_text(archive, "audits/AUD-000001-report.pdf")
    assert "AUD-000001" in report and "The incident process conforms in the main." in report
    minutes = pdf_text(archive, "management-reviews/MR-000001-minutes.pdf")
    assert "Minutes of MR-000001: the SMS is fit." in minutes
    improvements = pdf_text(archive, "improvement-register.pdf")
    assert "IMP-9" in improvements and "PRB-000001" in improvements


def packs_policy_paths():
    return [
        (DocumentKind.SMS_POLICY, "policy/sms-policy.pdf"),
        (DocumentKind.SMS_SCOPE, "policy/sms-scope.pdf"),
        (DocumentKind.SM_PLAN, "policy/service-management-plan.pdf"),
    ]


def test_every_csv_parses_with_its_header_and_rows(full_pack):
    archive = open_zip(full_pack)
    header, rows = csv_rows(archive, "clause-register.csv")
    assert header[:6] == ["number", "title", "conformity", "assessed_by", "assessed_on", "notes"]
    assert len(rows) == Clause.objects.count()
    policy_row = next(r for r in rows if r["number"] == "5.2")
    assert policy_row["evidence_available"] == "yes"
    assert "Approved SMS policy: DOC-" in policy_row["evidence"]
    assert next(r for r in rows if r["number"] == "4.1")["evidence_available"] == "no"

    header, rows = csv_rows(archive, "audits/findings.csv")
    assert header == list(packs_contents().FINDING_HEADER)
    assert [r["reference"] for r in rows] == ["FND-000001", "FND-000002"]
    assert rows[0]["audit"] == "AUD-000001" and rows[0]["clause"] == "8.6.1"
    assert rows[0]["nonconformity"] == "NC-000001" and rows[1]["nonconformity"] == ""

    header, rows = csv_rows(archive, "nonconformities.csv")
    assert {"reference", "severity", "status", "cause_analysis", "verified_at"} <= set(header)
    assert rows[0]["reference"] == "NC-000001" and rows[0]["finding"] == "FND-000001"
    assert rows[0]["cause_analysis"] == "No reminder was set."
    assert rows[0]["raised"].endswith("Z")

    header, rows = csv_rows(archive, "corrective-actions.csv")
    assert header == ["nonconformity", "title", "owner", "due", "done_at", "notes"]
    assert rows[0]["nonconformity"] == "NC-000001" and rows[0]["due"] == "2026-12-01"

    header, rows = csv_rows(archive, "improvement-register.csv")
    assert header == list(packs_contents().IMPROVEMENT_HEADER)
    assert rows[0]["source_reference"] == "PRB-000001"


def packs_contents():
    from accord.governance.pack_contents import PackBuilder

    return PackBuilder


def test_cells_that_start_a_formula_get_an_apostrophe(full_pack):
    archive = open_zip(full_pack)
    _, findings = csv_rows(archive, "audits/findings.csv")
    assert findings[1]["title"] == '\'=HYPERLINK("http://x")'
    _, actions = csv_rows(archive, "corrective-actions.csv")
    assert actions[0]["title"] == "'@SUM(A1:A2)"
    _, improvements = csv_rows(archive, "improvement-register.csv")
    assert improvements[0]["title"] == "'-2+3 faster resets"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (-5, "-5"),
        (None, ""),
        (True, "yes"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2026-01-02T03:04:05Z"),
    ],
)
def test_cell_formatting(value, shown):
    assert cell(value) == shown


def test_csv_quoting_is_rfc4180():
    content = csv_bytes(["a", "b"], [['say "hi"', "line\nbreak"]])
    assert content == b'a,b\r\n"say ""hi""","line\nbreak"\r\n'


def test_what_is_missing_is_listed_with_the_reason():
    policy(DocumentKind.SMS_POLICY)
    pack = packs.generate_pack(actor=None, now=NOW)
    archive = open_zip(pack)
    manifest = json.loads(archive.read("manifest.json"))
    missing = {m["what"]: m["reason"] for m in manifest["missing"]}
    assert "SMS scope (policy/sms-scope.pdf)" in missing
    assert "approved version" in missing["SMS scope (policy/sms-scope.pdf)"]
    assert "Service management plan (policy/service-management-plan.pdf)" in missing
    assert "Internal audit reports (audits/)" in missing
    assert "Management review minutes (management-reviews/)" in missing
    assert "policy/sms-policy.pdf" in archive.namelist()
    assert "policy/sms-scope.pdf" not in archive.namelist()
    assert manifest["generated_by"]["name"] == "Accord (system)"
    # The files that are always there still are, empty but with their header.
    header, rows = csv_rows(archive, "audits/findings.csv")
    assert header and rows == []


def test_a_draft_or_unapproved_policy_does_not_count():
    document = policy(DocumentKind.SMS_SCOPE)
    DocumentVersion.objects.filter(pk=document.current_version_id).update(status="withdrawn")
    pack = packs.generate_pack(actor=None, now=NOW)
    assert "policy/sms-scope.pdf" not in open_zip(pack).namelist()


def test_only_the_sms_owner_and_top_management_generate():
    for role in (Role.AUDITOR, Role.AGENT, Role.SERVICE_OWNER):
        with pytest.raises(PermissionDenied):
            packs.generate_pack(actor=staff(role), now=NOW)
    assert not AuditPack.objects.exists()


def small_contents(monkeypatch):
    """Pack contents without the PDFs, for the tests about keeping packs."""
    from accord.governance.pack_contents import Contents, PackFile

    monkeypatch.setattr(
        packs,
        "build_contents",
        lambda *, now, provider: Contents(
            files=[PackFile("a.csv", b"a\r\n", "A file")], missing=[]
        ),
    )


def test_the_last_twenty_packs_are_kept_and_deletions_are_audited(monkeypatch):
    small_contents(monkeypatch)
    owner = staff(Role.SMS_OWNER)
    for day in range(packs.KEEP):
        AuditPack.objects.create(
            reference=f"PACK-9{day:05d}",
            generated_at=NOW - dt.timedelta(days=30 - day),
            filename="old.zip",
            content=b"zip",
            size=3,
            sha256="0" * 64,
        )
    oldest = AuditPack.objects.order_by("generated_at").first()
    pack = packs.generate_pack(actor=owner, now=NOW)
    assert AuditPack.objects.count() == packs.KEEP
    assert not AuditPack.objects.filter(pk=oldest.pk).exists()
    assert AuditPack.objects.filter(pk=pack.pk).exists()
    deleted = AuditEvent.objects.get(action=AuditAction.DELETE, object_id=str(oldest.pk))
    assert deleted.actor_id == owner.pk
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(pack.pk))
    assert created.changes["reference"] == [None, pack.reference]


def test_generating_runs_a_bounded_number_of_queries():
    full_records()
    owner = staff(Role.SMS_OWNER)
    with CaptureQueriesContext(connection) as few:
        packs.generate_pack(actor=owner, now=NOW)
    # Many more records of every kind cost no more queries.
    for n in range(5):
        extra = reported_audit(f"AUD-10000{n}", reported_at=NOW - dt.timedelta(days=n + 1))
        nc = nonconformity(f"NC-10000{n}", finding=finding(extra, f"FND-10000{n}"))
        CorrectiveAction.objects.create(
            nonconformity=nc, title="Fix", owner=nc.owner, due_on=dt.date(2026, 12, 1)
        )
        ImprovementFactory()
    with CaptureQueriesContext(connection) as many:
        packs.generate_pack(actor=owner, now=NOW)
    assert len(few) <= 150, len(few)
    assert len(many) <= len(few) + 2, (len(few), len(many))
