"""The command-line door of service reports: print, export, save a draft version, deliver."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from accord.core.choices import Role
from accord.reports.models import ServiceReport
from tests.factories import PersonFactory, provider
from tests.reports.factories import report_sla

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("service_report", *args, stdout=out)
    return out.getvalue()


def test_a_report_is_printed_and_written_as_json_and_pdf(tmp_path):
    sla, _svcs, _customer = report_sla()
    pdf, data = tmp_path / "r.pdf", tmp_path / "r.json"
    out = run(
        "--agreement", sla.code, "--period", "2026-10", "--pdf", str(pdf), "--json", str(data)
    )
    assert f"{sla.code} {sla.name} · 2026-10 · Europe/Berlin" in out
    assert "1. Service level attainment" in out
    report = json.loads(data.read_text())
    assert report["meta"]["agreement_code"] == sla.code and len(report["sections"]) == 11
    assert sla.code in "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert not ServiceReport.objects.exists()


def test_save_records_a_draft_with_the_rights_of_the_person_named():
    sla, _svcs, _customer = report_sla()
    agent = PersonFactory(organisation=provider(), roles=[Role.AGENT])
    with pytest.raises(CommandError, match="permission"):
        run("--agreement", sla.code, "--period", "2026-10", "--save", "--as", agent.username)
    assert not ServiceReport.objects.exists()
    slm = PersonFactory(organisation=provider(), roles=[Role.SERVICE_LEVEL_MANAGER])
    out = run("--agreement", sla.code, "--period", "2026-10", "--save", "--as", slm.username)
    saved = ServiceReport.objects.get()
    assert f"Saved {saved.reference} revision 1 (draft)." in out
    assert saved.created_by == slm


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agreement", "NOPE"], "No agreement NOPE."),
        (["--service", "NOPE"], "No service NOPE."),
        (["--period", "2026-13"], "Give a month as YYYY-MM"),
        (["--period", "2999-01"], "has not started yet"),
        (["--start", "2026-10-10", "--end", "2026-10-01"], "end on or after"),
        (["--save", "--as", "ghost"], "No active person ghost."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ServiceReport.objects.exists()


def test_deliver_reports_says_what_it_did():
    out = io.StringIO()
    call_command("deliver_reports", stdout=out)
    assert out.getvalue().strip() == "Reports sent: 0. Drafts compiled: 0. Awaiting sign-off: 0."
