"""Live evidence of clauses 9.2 (internal audits), 9.3 (management reviews) and 10.1
(nonconformity and corrective action), from records written directly."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.governance.evidence import evidence_for
from accord.governance.models import (
    Audit,
    AuditProgramme,
    Finding,
    ManagementReview,
    ReviewDecision,
)
from accord.improvement.models import CorrectiveAction, Nonconformity
from tests.governance.clauses_factories import staff

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def values(evidence):
    return {item.label: item.value for item in evidence.items}


def gap_labels(evidence):
    return [gap.label for gap in evidence.gaps]


def audit(reference, status, *, reported_at=None, planned_end=TODAY, programme=None):
    lead = staff()
    return Audit.objects.create(
        reference=reference,
        title=f"Audit {reference}",
        status=status,
        planned_start=planned_end - dt.timedelta(days=2),
        planned_end=planned_end,
        lead_auditor=lead,
        reported_at=reported_at,
        programme=programme,
    )


def test_internal_audits_count_reported_audits_and_their_findings_of_the_last_year():
    evidence = evidence_for("9.2", NOW)
    assert evidence.available
    assert "No audit programme covers today" in gap_labels(evidence)

    owner = staff()
    programme = AuditProgramme.objects.create(
        reference="APG-000001",
        title="2026",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        owner=owner,
    )
    recent = audit(
        "AUD-1", "reported", reported_at=NOW - dt.timedelta(days=20), programme=programme
    )
    old = audit("AUD-2", "reported", reported_at=NOW - dt.timedelta(days=400))
    audit("AUD-3", "planned", planned_end=TODAY - dt.timedelta(days=1))
    audit("AUD-4", "in_progress")
    for number, kind in enumerate(["major", "minor", "minor", "observation", "opportunity"]):
        Finding.objects.create(
            reference=f"FND-{number}",
            audit=recent,
            kind=kind,
            title="t",
            statement="s",
            raised_by=owner,
        )
    Finding.objects.create(
        reference="FND-old", audit=old, kind="major", title="t", statement="s", raised_by=owner
    )

    evidence = evidence_for("9.2", NOW)
    shown = values(evidence)
    assert shown["Audit programme in force"].startswith("APG-000001 2026-01-01 to 2026-12-31")
    assert shown["Audits reported (last year)"] == 1
    assert shown["Audits planned"] == 1
    assert shown["Audits in progress"] == 1
    assert shown["Major nonconformities found (last year)"] == 1
    assert shown["Minor nonconformities found (last year)"] == 2
    assert shown["Opportunities for improvement (last year)"] == 1
    assert gap_labels(evidence) == ["Planned audits past their dates"]
    assert evidence.summary.startswith("1 internal audits reported in the last year (1 major")


def test_management_reviews_show_the_latest_approved_the_next_planned_and_overdue_decisions():
    assert "No management review planned" in gap_labels(evidence_for("9.3", NOW))
    chair = staff()

    def review(reference, status, planned_on, held_on=None):
        return ManagementReview.objects.create(
            reference=reference,
            title=reference,
            status=status,
            planned_on=planned_on,
            held_on=held_on,
            period_start=planned_on - dt.timedelta(days=180),
            period_end=planned_on,
            chair=chair,
        )

    approved = review("MR-1", "approved", dt.date(2026, 6, 1), dt.date(2026, 6, 2))
    review("MR-0", "approved", dt.date(2025, 6, 1), dt.date(2025, 6, 2))  # over a year ago
    upcoming = review("MR-2", "planned", dt.date(2026, 12, 1))
    ReviewDecision.objects.create(review=approved, text="Hire", due_on=TODAY - dt.timedelta(days=1))
    ReviewDecision.objects.create(
        review=approved, text="Done", due_on=TODAY - dt.timedelta(days=1), done_at=NOW
    )

    evidence = evidence_for("9.3", NOW)
    shown = values(evidence)
    assert shown["Reviews approved (last year)"] == 1
    assert shown["Latest approved review"] == "MR-1 held 2026-06-02"
    assert shown["Next review planned"] == f"{upcoming.reference} on 2026-12-01"
    assert gap_labels(evidence) == ["Review decisions overdue"]
    assert evidence.gaps[0].value == 1


def test_nonconformities_count_by_status_recurrence_and_overdue_corrective_actions():
    owner = staff()

    def nc(reference, status, **extra):
        return Nonconformity.objects.create(
            reference=reference,
            title=reference,
            description="d",
            status=status,
            owner=owner,
            **extra,
        )

    first = nc("NC-1", "closed", verified_at=NOW, closed_at=NOW - dt.timedelta(days=10))
    nc("NC-2", "open", severity="major", recurrence_of=first)
    progressing = nc("NC-3", "in_progress")
    nc("NC-4", "verifying")
    CorrectiveAction.objects.create(
        nonconformity=progressing, title="Fix", owner=owner, due_on=TODAY - dt.timedelta(days=3)
    )
    CorrectiveAction.objects.create(
        nonconformity=progressing, title="Later", owner=owner, due_on=TODAY + dt.timedelta(days=3)
    )

    evidence = evidence_for("10.1", NOW)
    shown = values(evidence)
    assert (shown["Open"], shown["Corrective action in progress"]) == (1, 1)
    assert shown["Awaiting effectiveness check"] == 1
    assert shown["Closed as effective (last year)"] == 1
    assert shown["Recurred (last year)"] == 1
    assert gap_labels(evidence) == [
        "Major nonconformities not closed",
        "Corrective actions overdue",
    ]
    assert evidence.summary.startswith("3 nonconformities open (1 awaiting")
