"""Evidence of change and release management on the clause register (8.5.1 and 8.5.3), computed
from change records built with factories."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.changes.choices import ChangeStatus, ChangeType, Outcome, ReleaseOutcome, RiskClass
from accord.changes.models import ApprovalRule, ChangeApproval, ChangeApprovalStep, RiskQuestion
from accord.governance.choices import DocumentKind
from accord.governance.evidence import evidence_for
from tests.changes.factories import ChangeFactory, ReleaseFactory
from tests.governance.clauses_factories import approved_document, staff

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def values(evidence):
    return {item.label: item.value for item in evidence.items}


def gaps(evidence):
    return {item.label: item.value for item in evidence.gaps}


def implemented(now, **kwargs):
    """A change implemented yesterday (actual window set), with ``kwargs`` overriding."""
    fields = {
        "status": ChangeStatus.IMPLEMENTED,
        "actual_start": now - 2 * DAY,
        "actual_end": now - DAY,
        "outcome": Outcome.SUCCESSFUL,
    }
    return ChangeFactory(**{**fields, **kwargs})


def test_change_management_counts_policy_types_approvals_overrides_and_reviews():
    now = timezone.now()
    policy = approved_document(DocumentKind.CHANGE_POLICY)
    ChangeFactory(change_type=ChangeType.STANDARD)
    normal = ChangeFactory(conflict_override_at=now - DAY, conflict_override_justification="ok")
    ChangeFactory(change_type=ChangeType.NORMAL, created_at=now - 91 * DAY)  # too old
    implemented(now, status=ChangeStatus.FAILED, outcome=Outcome.BACKED_OUT)  # review missing
    implemented(now, risk_class=RiskClass.HIGH, pir_completed_at=now)  # reviewed
    implemented(now, risk_class=RiskClass.LOW)  # no review needed
    implemented(
        now,
        change_type=ChangeType.EMERGENCY,
        documentation_due_at=now - DAY,
        pir_completed_at=now,
    )  # reviewed, but its documentation is overdue
    step = ChangeApprovalStep.objects.create(
        change=normal, label="CAB", authority="role", role="change_authority", mode="all"
    )
    for decision in ("approve", "approve", "reject"):
        ChangeApproval.objects.create(
            change=normal, step=step, approver=staff(), decision=decision, decided_at=now - DAY
        )

    evidence = evidence_for("8.5.1", now)

    questions = RiskQuestion.objects.filter(active=True).count()
    rules = ApprovalRule.objects.filter(active=True).count()
    assert evidence.available
    assert evidence.summary == (
        f"Change policy {policy.reference} approved; {questions} risk questions, {rules} "
        "approval rules. 6 changes in the last 90 days (1 standard, 4 normal, 1 emergency); "
        "approvals: 2 given, 1 refused; 1 conflicts overridden; 2 of 3 required reviews done."
    )
    shown = values(evidence)
    assert shown["Approved change management policy"].startswith(f"{policy.reference} v1")
    assert shown["Emergency changes"] == 1 and shown["Reviews done"] == 2
    assert gaps(evidence) == {
        "Failed, emergency or high-risk changes without a review": 1,
        "Emergency changes past their documentation deadline": 1,
    }


def test_change_management_on_an_empty_register_says_the_policy_document_is_missing():
    evidence = evidence_for("8.5.1", timezone.now())
    assert evidence.available and evidence.gaps == []
    assert evidence.summary.startswith("No approved change policy document; ")
    assert values(evidence)["Approved change management policy"] == "none approved"


def test_releases_count_preparation_deployment_sign_off_and_outcome():
    now = timezone.now()
    ReleaseFactory()  # planned
    signed = ReleaseFactory(
        status="closed",
        deployed_at=now - 5 * DAY,
        signed_off_at=now - 6 * DAY,
        outcome=ReleaseOutcome.SUCCESSFUL,
    )
    ReleaseFactory(status="deployed", deployed_at=now - DAY)  # never signed off
    ReleaseFactory(status="closed", deployed_at=now - 100 * DAY, outcome=ReleaseOutcome.FAILED)
    ChangeFactory.create_batch(2, release=signed)

    evidence = evidence_for("8.5.3", now)

    assert evidence.available
    assert evidence.summary == (
        "1 releases in preparation; 2 deployed in the last 90 days (1 signed off, 2 changes); "
        "outcomes: 1 successful, 0 partly or not successful."
    )
    assert gaps(evidence) == {"Releases deployed without a sign-off": 1}
