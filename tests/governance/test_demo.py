"""The demo's governance: a register someone can explore right after `make run`."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.governance.choices import Conformity, DocumentKind, ObjectiveStatus, VersionStatus
from accord.governance.evidence import evidence_for
from accord.governance.models import Acknowledgement, Clause, Document, Objective, Process
from accord.notifications.models import Notification, OutboundMail

pytestmark = pytest.mark.django_db


@pytest.mark.demo
def test_demo_governance_is_approved_by_top_management_and_partly_assessed():
    call_command("demo", stdout=io.StringIO())
    assert Process.objects.count() >= 20
    assert Objective.objects.filter(status=ObjectiveStatus.ACTIVE).count() == 4
    for kind in (DocumentKind.SMS_POLICY, DocumentKind.SMS_SCOPE):
        document = Document.objects.get(kind=kind)
        assert document.current_version.approved_by.username == "top"
        assert "ERP" in document.current_version.body  # generated from the demo's services
    plan = Document.objects.get(kind=DocumentKind.SM_PLAN)
    assert plan.versions.get().status == VersionStatus.IN_REVIEW
    policy = Document.objects.get(kind=DocumentKind.SMS_POLICY)
    assert Acknowledgement.objects.filter(version=policy.current_version).count() == 3
    assert Clause.objects.get(number="4.3").status == Conformity.CONFORMING
    assert Clause.objects.get(number="8.6.3").status == Conformity.GAP
    assert not Notification.objects.exists() and not OutboundMail.objects.exists()
    call_command("demo", "--if-empty", stdout=io.StringIO())
    assert Document.objects.filter(kind=DocumentKind.SMS_POLICY).count() == 1

    # The clause register's evidence on the demo: every clause answers, the live ones with
    # what the demo holds.
    now = timezone.now()
    evidence = {c.number: evidence_for(c.number, now) for c in Clause.objects.all()}
    # Every clause without sub-clauses has evidence of its own or its parent's (7.5.1 is 7.5's).
    leaves = Clause.objects.filter(children__isnull=True).select_related("parent")
    assert all(evidence[c.number] or evidence[c.parent.number] for c in leaves)
    assert "Scope DOC-" in evidence["4.3"].summary and "approved" in evidence["4.3"].summary
    assert "approved by Tina Top" in evidence["5.2"].summary
    assert "3 acknowledgements" in evidence["5.2"].summary
    assert "0 without one" in evidence["8.3.3"].summary
    assert "incidents in the last 90 days" in evidence["8.6.1"].summary
    assert "known errors" in evidence["8.6.3"].summary
