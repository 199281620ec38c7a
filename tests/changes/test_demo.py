"""The demo's change management: a week of changes loaded through the services, with the
approvals, conflict, emergency deadline, failed change review, freeze and release that a change
manager expects to find, no mail, and nothing added by loading twice."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accord.changes.choices import ChangeStatus, ChangeType, Outcome, TemplateStatus
from accord.changes.models import (
    Change,
    ChangeApproval,
    ChangeProblem,
    ChangeTemplate,
    FreezeWindow,
    Release,
)
from accord.changes.selectors.schedule import conflicts_for
from accord.changes.services.changes import documentation_missing
from accord.core.models import AuditEvent
from accord.notifications.models import Notification, OutboundMail
from accord.problems.models import Problem

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def demo():
    call_command("demo", stdout=io.StringIO())


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Change,
            ChangeTemplate,
            ChangeApproval,
            ChangeProblem,
            FreezeWindow,
            Release,
            AuditEvent,
        )
    }


def check_a_week_of_changes_of_every_type_and_status():
    by_type = {t: Change.objects.filter(change_type=t).count() for t in ChangeType.values}
    assert by_type == {"standard": 2, "normal": 4, "emergency": 1}
    assert set(ChangeTemplate.objects.values_list("name", "status")) == {
        ("Patch a Linux server", TemplateStatus.PUBLISHED),
        ("Renew a TLS certificate", TemplateStatus.PUBLISHED),
    }
    # Standard changes are scheduled without anybody approving them.
    for change in Change.objects.filter(change_type=ChangeType.STANDARD):
        assert change.status == ChangeStatus.SCHEDULED
        assert not change.approvals.exists()
    assert Change.objects.filter(status=ChangeStatus.SCHEDULED).count() == 4
    assert not Notification.objects.exists() and not OutboundMail.objects.exists()


def check_the_cab_change_is_approved_and_the_conflicting_one_awaits_approval():
    upgrade = Change.objects.get(title__startswith="Upgrade the ERP database")
    assert upgrade.status == ChangeStatus.SCHEDULED
    decision = upgrade.approvals.get()
    assert decision.decision == "approve" and decision.approver_id != upgrade.requester_id
    storage = Change.objects.get(title__startswith="Grow the ERP database storage")
    assert storage.status == ChangeStatus.AWAITING_APPROVAL
    assert storage.approval_steps.filter(status="pending", role="change_authority").exists()
    overlaps = [c for c in conflicts_for(storage) if c.kind == "overlap"]
    assert [c.change_reference for c in overlaps] == [upgrade.reference]


def check_the_emergency_change_is_implemented_with_its_documentation_due_tomorrow():
    hotfix = Change.objects.get(change_type=ChangeType.EMERGENCY)
    now = timezone.now()
    assert hotfix.status == ChangeStatus.IMPLEMENTED
    # "Yesterday" in the office's zone, as the demo plans it (not the server's zone).
    yesterday = timezone.localdate(now, BERLIN) - dt.timedelta(days=1)
    assert timezone.localdate(hotfix.actual_end, BERLIN) == yesterday
    assert hotfix.documented_at is None
    assert documentation_missing(hotfix) == ["backout_plan"]
    assert hotfix.documentation_due_at == hotfix.approved_at + dt.timedelta(
        hours=settings.ACCORD_CHANGE_EMERGENCY_DOC_HOURS
    )
    due_in = hotfix.documentation_due_at - now
    assert dt.timedelta(hours=23) < due_in <= dt.timedelta(hours=24)


def check_the_failed_change_was_backed_out_reviewed_and_closed():
    failed = Change.objects.get(outcome=Outcome.BACKED_OUT)
    assert failed.status == ChangeStatus.CLOSED
    assert failed.pir_completed_at is not None and failed.pir_lessons
    assert failed.actual_end < timezone.now()


def check_the_printing_problem_names_its_fix_freeze_and_release():
    fix = Change.objects.get(reference="CHG-000001")
    problem = Problem.objects.get(title__startswith="Printing from")
    assert problem.change_reference == fix.reference
    assert fix.problem_links.get().problem == problem
    assert fix.status == ChangeStatus.SCHEDULED
    freeze = FreezeWindow.objects.get()
    assert freeze.name == "Month-end closing"
    assert list(freeze.services.values_list("code", flat=True)) == ["ERP"]
    assert timezone.localtime(freeze.ends_at, BERLIN).day == 2
    release = Release.objects.get()
    assert sorted(release.changes.values_list("change_type", flat=True)) == [
        "standard",
        "standard",
    ]


@pytest.mark.demo
def test_the_demo_week_of_changes_and_loading_twice_adds_nothing(demo):
    # One test, because loading the whole demo is the expensive part.
    check_a_week_of_changes_of_every_type_and_status()
    check_the_cab_change_is_approved_and_the_conflicting_one_awaits_approval()
    check_the_emergency_change_is_implemented_with_its_documentation_due_tomorrow()
    check_the_failed_change_was_backed_out_reviewed_and_closed()
    check_the_printing_problem_names_its_fix_freeze_and_release()
    first = counts()
    call_command("demo", stdout=io.StringIO())
    assert counts() == first
