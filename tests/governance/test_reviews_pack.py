"""The management review pack: each of its ten sections against records made for it, the same
figures as the live measures, its Markdown, its cost in queries (constant as services and tickets
grow), and the pack compiled on the demo data."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.agreements.choices import AgreementKind, ClockState
from accord.agreements.models import Agreement
from accord.capacity.choices import Level
from accord.capacity.models import ThresholdState
from accord.changes.choices import ChangeType, Outcome, RiskClass
from accord.core.choices import OrganisationKind
from accord.feedback.models import Complaint
from accord.governance import measures
from accord.governance.choices import AuditStatus, FindingKind, ReviewStatus
from accord.governance.models import ManagementReview
from accord.governance.review_pack import compile_pack, pack_markdown
from accord.improvement.choices import Decision, NonconformityStatus, Severity, Stage
from accord.improvement.models import Improvement, Nonconformity
from accord.problems.choices import ProblemStatus
from tests.base import assert_constant_queries
from tests.capacity.factories import MetricFactory
from tests.changes.factories import ChangeFactory
from tests.factories import AgreementFactory, OrganisationFactory, ServiceFactory
from tests.governance.objectives_factories import (
    clock,
    complaint_row,
    incident_row,
    make_measurement,
    make_objective,
)
from tests.governance.reviews_factories import (
    NOW,
    ManagementReviewFactory,
    ReviewDecisionFactory,
    sms_owner,
    utc,
)
from tests.improvement.factories import ImprovementFactory
from tests.improvement.nonconformity_factories import (
    NonconformityFactory,
    make_audit,
    make_finding,
)
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


def part(pack: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in pack["sections"] if s["key"] == key)


def figure(section: dict[str, Any], label: str) -> Any:
    return dict(section["figures"])[label]


def rows(section: dict[str, Any], index: int = 0) -> list[list[Any]]:
    return section["tables"][index]["rows"]


def in_period(nc: Nonconformity, at: dt.datetime) -> None:
    Nonconformity.objects.filter(pk=nc.pk).update(created_at=at)


@pytest.fixture
def review() -> ManagementReview:
    return ManagementReviewFactory(title="H1 2026")


def test_actions_from_previous_reviews(review):
    owner = sms_owner()
    earlier = ManagementReviewFactory(
        planned_on=dt.date(2026, 1, 10),
        period_start=dt.date(2025, 7, 1),
        period_end=dt.date(2026, 1, 9),
        status=ReviewStatus.APPROVED,
    )
    ReviewDecisionFactory(
        review=earlier, text="Renew the storage contract", owner=owner, due_on=dt.date(2026, 3, 31)
    )
    ReviewDecisionFactory(review=earlier, text="Train the desk", due_on=dt.date(2026, 12, 31))
    ReviewDecisionFactory(review=earlier, text="Publish the catalogue", done_at=utc(2026, 2, 1))
    ReviewDecisionFactory(review=earlier, text="Long done", done_at=utc(2025, 12, 1))
    ReviewDecisionFactory(review=review, text="This review's own")
    cancelled = ManagementReviewFactory(
        planned_on=dt.date(2026, 3, 1), status=ReviewStatus.CANCELLED
    )
    ReviewDecisionFactory(review=cancelled, text="Of a cancelled review")

    actions = part(compile_pack(review, NOW), "actions")
    assert figure(actions, "Open") == 2
    assert figure(actions, "Overdue") == 1
    assert figure(actions, "Done since the period began") == 1
    assert rows(actions) == [
        [earlier.reference, "Renew the storage contract", str(owner), "2026-03-31", "overdue"],
        [earlier.reference, "Train the desk", "—", "2026-12-31", "open"],
        [earlier.reference, "Publish the catalogue", "—", "—", "done 2026-02-01"],
    ]


def test_issues_and_risks(review):
    ProblemFactory(priority="P1", status=ProblemStatus.KNOWN_ERROR)
    ProblemFactory(priority="P2")
    ProblemFactory(priority="P2", status=ProblemStatus.RESOLVED)
    service = ServiceFactory()
    major = incident_row(service, is_major=True, major_declared_at=utc(2026, 3, 3, 9))
    incident_row(service, is_major=True, major_declared_at=utc(2025, 12, 3, 9))
    emergency = ChangeFactory(change_type=ChangeType.EMERGENCY, created_at=utc(2026, 2, 1))
    failed = ChangeFactory(
        outcome=Outcome.FAILED, actual_end=utc(2026, 4, 1), created_at=utc(2025, 12, 1)
    )
    risky = ChangeFactory(risk_class=RiskClass.HIGH, created_at=utc(2026, 5, 1))
    ChangeFactory(created_at=utc(2026, 5, 2))
    ChangeFactory(change_type=ChangeType.EMERGENCY, created_at=utc(2025, 12, 1))

    issues = part(compile_pack(review, NOW), "issues")
    assert figure(issues, "Open problems") == 2
    assert figure(issues, "Known errors") == 1
    assert rows(issues, 0)[:2] == [["P1 Critical", 1, 1], ["P2 High", 1, 0]]
    assert figure(issues, "Major incidents in the period") == 1
    assert [r[0] for r in rows(issues, 1)] == [major.reference]
    assert figure(issues, "Changes raised in the period") == 3
    assert figure(issues, "Failed or backed-out changes") == 1
    assert figure(issues, "Emergency changes") == 1
    assert figure(issues, "High-risk changes") == 1
    listed = {r[0]: r[3] for r in rows(issues, 2)}
    assert listed == {
        emergency.reference: "emergency",
        failed.reference: "failed",
        risky.reference: "high risk",
    }


def test_objectives_with_their_current_value(review):
    inside = make_objective(period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31))
    make_measurement(inside, "95", dt.date(2026, 6, 1))
    make_objective(period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))

    objectives = part(compile_pack(review, NOW), "objectives")
    assert figure(objectives, "Objectives") == 1
    assert figure(objectives, "Meeting their target") == 1
    assert rows(objectives) == [
        [
            inside.reference,
            inside.title,
            "Recorded by the owner",
            "at least 90 %",
            "95 %",
            "on track",
            "Active",
        ]
    ]


def test_sla_attainment_and_breaches_per_service_match_the_measures(review):
    mail = ServiceFactory(name="Mail")
    erp = ServiceFactory(name="ERP")
    for state, stopped, due in (
        (ClockState.MET, utc(2026, 2, 1), utc(2026, 2, 2)),
        (ClockState.MET, utc(2026, 3, 1), utc(2026, 3, 2)),
        (ClockState.BREACHED, utc(2026, 4, 2), utc(2026, 4, 1)),
        (ClockState.MET, utc(2025, 12, 1), utc(2025, 12, 2)),  # before the period
    ):
        clock(incident_row(mail), state=state, stopped_at=stopped, due_at=due)
    clock(incident_row(None), state=ClockState.BREACHED, stopped_at=utc(2026, 2, 2))

    sla = part(compile_pack(review, NOW), "sla")
    table = {r[0]: r[1:] for r in rows(sla)}
    assert table == {"ERP": ["—", 0, 0], "Mail": ["66.6 %", 3, 1]}
    start, end = review.period_start, review.period_end
    assert measures.sla_attainment(start=start, end=end, service=mail).value.to_eng_string() == (
        "66.6"
    )
    assert measures.sla_breaches(start=start, end=end, service=mail).count == 1
    assert measures.sla_attainment(start=start, end=end, service=erp).value is None
    assert figure(sla, "Clocks measured") == 4
    assert figure(sla, "SLA attainment (all services)") == "50 %"


def test_availability_capacity_and_suppliers(review):
    service = ServiceFactory(name="Mail")
    metric = MetricFactory(service=service, code="MAIL-STORE")
    ThresholdState.objects.create(metric=metric, level=Level.WARNING, value=1.7, since=NOW)
    calm = MetricFactory(code="CALM")
    ThresholdState.objects.create(metric=calm, level=Level.NORMAL, value=0.2)
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER, name="Telco")
    uc = AgreementFactory(organisation=supplier, kind=AgreementKind.UC, code="UC-TELCO")
    ticket = incident_row(service)
    clock(
        ticket,
        agreement=uc,
        kind=AgreementKind.UC,
        state=ClockState.MET,
        stopped_at=utc(2026, 2, 1),
    )
    clock(
        ticket,
        agreement=uc,
        kind=AgreementKind.UC,
        state=ClockState.BREACHED,
        stopped_at=utc(2026, 2, 3),
    )

    pack = compile_pack(review, NOW)
    availability = part(pack, "availability")
    names = [r[0] for r in rows(availability)]
    assert "Mail" in names and figure(availability, "Live services") == len(names)
    capacity = part(pack, "capacity")
    assert figure(capacity, "At warning or critical") == 1
    assert rows(capacity)[0][:4] == ["MAIL-STORE", metric.name, str(service), "Warning"]
    suppliers = part(pack, "suppliers")
    assert rows(suppliers) == [
        ["UC-TELCO", uc.name, "Telco", "Active", 0, 2, "50 %"],
    ]
    assert suppliers["note"] == ""


def test_suppliers_say_when_nothing_was_measured(review):
    suppliers = part(compile_pack(review, NOW), "suppliers")
    assert "no underpinning contract targets measured" in suppliers["note"].lower()


def test_satisfaction_and_complaints(review):
    service = ServiceFactory(name="Mail")
    complaint_row(utc(2026, 4, 1), service)
    complaint_row(utc(2026, 5, 1), None)
    closed = complaint_row(utc(2025, 11, 1), service)
    type(closed).objects.filter(pk=closed.pk).update(status="closed", closed_at=utc(2026, 2, 1))

    section = part(compile_pack(review, NOW), "satisfaction")
    assert figure(section, "Complaints raised") == 2
    assert figure(section, "Complaints closed") == 1
    assert figure(section, "Complaints open now") == 2
    assert figure(section, "Mean satisfaction score") == "—"
    assert sorted(rows(section)) == [["(no service)", 1], ["Mail", 1]]


def test_audits_and_nonconformities(review):
    audit = make_audit()
    type(audit).objects.filter(pk=audit.pk).update(
        status=AuditStatus.REPORTED, reported_at=utc(2026, 5, 1)
    )
    make_finding(FindingKind.MAJOR, audit=audit)
    make_finding(FindingKind.MINOR, audit=audit)
    make_finding(FindingKind.MINOR, audit=audit)
    make_finding(FindingKind.OBSERVATION, audit=audit)
    make_finding(FindingKind.MAJOR)  # of an audit not reported

    old = NonconformityFactory(
        status=NonconformityStatus.CLOSED, verified_at=utc(2026, 2, 1), closed_at=utc(2026, 2, 1)
    )
    in_period(old, utc(2025, 10, 1))
    major = NonconformityFactory(severity=Severity.MAJOR)
    in_period(major, utc(2026, 3, 1))
    recurring = NonconformityFactory(recurrence_of=old)
    in_period(recurring, utc(2026, 4, 1))

    section = part(compile_pack(review, NOW), "audits")
    assert figure(section, "Audits reported") == 1
    assert figure(section, "Findings: major nonconformity") == 1
    assert figure(section, "Findings: minor nonconformity") == 2
    assert figure(section, "Findings: observation") == 1
    assert rows(section)[0][:3] == [audit.reference, audit.title, "2026-05-01"]
    assert figure(section, "Nonconformities opened") == 2
    assert figure(section, "Open minor nonconformities") == 1
    assert figure(section, "Open major nonconformities") == 1
    assert figure(section, "Nonconformities closed") == 1
    assert figure(section, "Recurring nonconformities") == 1


def test_improvement_register(review):
    ImprovementFactory()
    ImprovementFactory(stage=Stage.DO)
    adopted = ImprovementFactory(
        stage=Stage.CLOSED, decision=Decision.ADOPT, closed_at=utc(2026, 5, 5)
    )
    ImprovementFactory(stage=Stage.CLOSED, decision=Decision.ABANDON, closed_at=utc(2026, 5, 6))

    section = part(compile_pack(review, NOW), "improvements")
    assert figure(section, "Plan") == 1 and figure(section, "Do") == 1
    assert figure(section, "Closed") == 2
    assert figure(section, "Adopted in the period") == 1
    assert rows(section, 1) == [[adopted.reference, adopted.title, "2026-05-05"]]


def test_pack_is_json_and_renders_as_markdown_tables(review):
    ReviewDecisionFactory(review=review, text="Fix | the pipe")
    pack = compile_pack(review, NOW)
    assert json.loads(json.dumps(pack)) == pack
    assert pack["period_start"] == "2026-01-01" and pack["compiled_at"] == NOW.isoformat()
    text = pack_markdown(review, pack, list(review.decisions.all()), [])
    for s in pack["sections"]:
        assert f"### {s['number']}. {s['title']}" in text
        assert s["definition"] in text
    assert "| Figure | Value |" in text
    assert "Fix \\| the pipe" in text


def test_compiling_costs_the_same_queries_however_many_services_and_tickets(review):
    def grow(n: int) -> None:
        for _ in range(n):
            service = ServiceFactory()
            ticket = incident_row(service)
            clock(ticket, state=ClockState.BREACHED, stopped_at=utc(2026, 2, 1))
            clock(ticket, state=ClockState.MET, stopped_at=utc(2026, 2, 2))
            complaint_row(utc(2026, 3, 1), service)
            ChangeFactory(change_type=ChangeType.EMERGENCY, created_at=utc(2026, 2, 1))
            MetricFactory(service=service)

    queries = assert_constant_queries(lambda: compile_pack(review, NOW), grow)
    assert len(queries) < 60


@pytest.mark.demo
def test_pack_on_the_demo_data_has_every_section_with_content():
    call_command("demo", stdout=io.StringIO())
    now = timezone.now()
    today = timezone.localdate(now)
    review = ManagementReviewFactory(
        planned_on=today,
        period_start=today - dt.timedelta(days=180),
        period_end=today,
    )
    pack = compile_pack(review, now)
    assert [s["number"] for s in pack["sections"]] == list(range(1, 11))
    for s in pack["sections"]:
        assert s["title"] and s["definition"] and s["source"] and s["figures"], s["key"]
    assert rows(part(pack, "objectives")), "the demo's objectives are measured"
    assert rows(part(pack, "sla")), "the demo's live services are listed"
    assert any(r[2] for r in rows(part(pack, "sla"))), "the demo's clocks are counted"
    assert rows(part(pack, "availability")), "the demo's services have availability figures"
    issues = part(pack, "issues")
    assert figure(issues, "Open problems") + figure(issues, "Changes raised in the period") > 0
    # Where the demo holds records of a kind, its section counts them.
    if Improvement.objects.exists():
        improvements = part(pack, "improvements")
        assert sum(v for _, v in improvements["figures"] if isinstance(v, int)) > 0
    if ThresholdState.objects.exclude(level=Level.NORMAL).exists():
        assert rows(part(pack, "capacity"))
    if Agreement.objects.filter(kind=AgreementKind.UC).exists():
        assert rows(part(pack, "suppliers"))
    first = timezone.make_aware(dt.datetime.combine(review.period_start, dt.time.min), dt.UTC)
    if Complaint.objects.filter(raised_at__gte=first).exists():
        assert figure(part(pack, "satisfaction"), "Complaints raised") > 0
    json.dumps(pack)
