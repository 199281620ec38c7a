"""Live evidence of the clause register, computed from records built with factories."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.governance.choices import DocumentKind
from accord.governance.evidence import EVIDENCE, evidence_for
from accord.governance.models import Clause
from accord.incidents.models import Incident, PostIncidentReview
from accord.portfolio.choices import ServiceStatus
from tests.factories import AgreementFactory, ServiceFactory, make_incident
from tests.governance.clauses_factories import acknowledge, approved_document, staff

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
UNAVAILABLE = [
    "4.1", "4.2", "6.1", "7.1", "7.2", "7.3", "7.4", "7.6", "8.2.5", "8.4.1", "8.4.2",
    "8.5.2", "8.7.2", "8.7.3", "9.4",
]  # fmt: skip


def values(evidence):
    return {item.label: item.value for item in evidence.items}


def test_scope_shows_the_approved_scope_and_live_services():
    assert evidence_for("4.3", NOW).summary == "No approved SMS scope yet; 0 live services."
    scope = approved_document(DocumentKind.SMS_SCOPE)
    ServiceFactory.create_batch(2)
    ServiceFactory(status=ServiceStatus.PIPELINE)
    evidence = evidence_for("4.3", NOW)
    assert evidence.available
    assert evidence.summary == f"Scope {scope.reference} approved; 2 live services."
    shown = values(evidence)
    assert shown["Live services in the portfolio"] == 2
    assert shown["Approved SMS scope"].startswith(f"{scope.reference} v1 approved on 2026-03-02")


def test_policy_names_its_approver_and_counts_acknowledgements_of_the_version_in_force():
    assert evidence_for("5.2", NOW).summary == "No approved SMS policy yet."
    policy = approved_document(DocumentKind.SMS_POLICY, versions=2)
    acknowledge(policy.current_version, 3)
    acknowledge(policy.versions.get(number=1), 2)  # of the superseded version: not counted
    evidence = evidence_for("5.2", NOW)
    assert evidence.summary == (
        f"Policy {policy.reference} v2 approved by Ada Approver on 2026-03-02; 3 acknowledgements."
    )
    assert values(evidence)["Acknowledgements of the version in force"] == 3


def test_service_levels_list_live_services_without_an_active_sla_as_gaps():
    covered, bare = ServiceFactory(code="MAIL"), ServiceFactory(code="WIKI", name="Wiki")
    drafted = ServiceFactory(code="CRM", name="CRM")
    ServiceFactory(code="OLD", status=ServiceStatus.RETIRED)
    AgreementFactory(services=[covered])
    AgreementFactory(services=[drafted], status=AgreementStatus.DRAFT)
    AgreementFactory(services=[bare], kind=AgreementKind.OLA)  # an OLA is not an SLA
    evidence = evidence_for("8.3.3", NOW)
    assert evidence.summary == "1 active SLAs cover 1 of 3 live services; 2 without one."
    assert [gap.label for gap in evidence.gaps] == ["CRM CRM", "WIKI Wiki"]
    assert evidence.gaps[1].link == f"/services/{bare.pk}/"
    assert values(evidence_for("8.3.4", NOW))["Active OLAs"] == 1


def test_incidents_count_the_last_90_days_and_reviews_of_major_ones():
    recent = [make_incident() for _ in range(3)]
    old = make_incident()
    Incident.objects.filter(pk=old.pk).update(opened_at=timezone.now() - dt.timedelta(days=91))
    Incident.objects.filter(pk__in=[recent[0].pk, recent[1].pk]).update(is_major=True)
    PostIncidentReview.objects.create(
        incident=recent[0],
        organisation=recent[0].organisation,
        summary="Learned.",
        reviewed_by=staff(),
        reviewed_at=timezone.now(),
    )
    evidence = evidence_for("8.6.1", timezone.now())
    assert evidence.summary == ("3 incidents in the last 90 days; 2 major, 1 of them reviewed.")
    assert [(g.label, g.value) for g in evidence.gaps] == [("Major incidents without a review", 1)]
    assert values(evidence)["Incidents opened (90 days)"] == 3


@pytest.mark.parametrize("number", UNAVAILABLE)
def test_clauses_whose_records_are_not_in_accord_yet_say_so(number):
    evidence = evidence_for(number, NOW)
    assert evidence.available is False and evidence.items == []
    assert evidence.summary.endswith(
        "; until then record evidence in the notes and linked documents."
    )


def test_every_clause_with_its_own_evidence_runs_on_an_empty_database():
    numbers = set(Clause.objects.values_list("number", flat=True))
    assert set(EVIDENCE) <= numbers
    for number in EVIDENCE:
        evidence = evidence_for(number, NOW)
        assert evidence.summary
        for item in evidence.items:
            assert item.link == "" or item.link.startswith("/")
