"""Live evidence for the clause register: what Accord's records show for each clause.

``EVIDENCE`` maps a clause number to a function of ``now`` that counts what the other apps hold
(approved documents, live services, SLAs, incidents, ...). Evidence is computed when it is
read, never stored, so the register cannot drift from the records; each function runs a few
aggregate queries and never loops over rows. Clauses whose records Accord does not hold yet say
so plainly (``available=False``), so an auditor knows to look at the notes and the documents
linked to the clause instead.

The counts are the provider's own: the register is read by provider staff and auditors only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Avg, Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accord.agreements.choices import AgreementKind, AgreementStatus, ClockState
from accord.agreements.models import Agreement, TicketClock
from accord.changes.choices import (
    ChangeStatus,
    ChangeType,
    Decision,
    Outcome,
    ReleaseOutcome,
    ReleaseStatus,
)
from accord.changes.choices import RiskClass as ChangeRiskClass
from accord.changes.models import ApprovalRule, Change, ChangeApproval, Release, RiskQuestion
from accord.core.choices import Role
from accord.core.models import RoleAssignment
from accord.feedback.choices import OPEN_STATUSES as COMPLAINT_OPEN
from accord.feedback.choices import ComplaintStatus
from accord.feedback.models import Complaint, Survey
from accord.governance.choices import (
    DocumentKind,
    ObjectiveMeasure,
    ObjectiveStatus,
    VersionStatus,
)
from accord.governance.models import Document, Objective, Process
from accord.incidents.models import Incident
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import CatalogueItem, CIRelationship, ConfigurationItem, Service
from accord.problems.choices import KNOWN_ERROR_STATUSES
from accord.problems.choices import OPEN_STATUSES as PROBLEM_OPEN
from accord.problems.models import Problem, ProblemIncident
from accord.service_requests.choices import ApprovalDecision
from accord.service_requests.models import Approval, ServiceRequest

#: How far back the operational records are counted (incidents, requests, clocks).
RECENT = dt.timedelta(days=90)
#: Configuration items verified within this many days count as verified.
VERIFIED_WITHIN = dt.timedelta(days=365)
#: Live services without an active SLA listed by name on the register (the count is exact).
GAP_NAMES = 10


class EvidenceItem(NamedTuple):
    """One line of evidence: what is counted, the count (or a short text), where to look."""

    label: str
    value: int | str
    link: str = ""


@dataclass(frozen=True)
class Evidence:
    """What Accord shows for one clause.

    ``available`` is False while the app that will hold the evidence does not exist yet; then
    ``summary`` says what will hold it and what to do meanwhile. ``gaps`` are hints of missing
    evidence (e.g. a live service without an SLA), not a judgement: the assessor decides.
    """

    available: bool
    summary: str
    items: list[EvidenceItem] = field(default_factory=list)
    gaps: list[EvidenceItem] = field(default_factory=list)


EvidenceFunction = Callable[[dt.datetime], Evidence]


def link(name: str, *args: object) -> str:
    """The address of a page, or "" while the page does not exist (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _today(now: dt.datetime) -> dt.date:
    return timezone.localdate(now)


def _in_force(kind: str) -> Document | None:
    """The document of ``kind`` with an approved version in force (the newest if several)."""
    return (
        Document.objects.filter(kind=kind, current_version__status=VersionStatus.APPROVED)
        .select_related("current_version")
        .order_by("-current_version__approved_at", "-pk")
        .first()
    )


def _document_item(label: str, document: Document | None) -> EvidenceItem:
    if document is None:
        return EvidenceItem(label, "none approved", link("document-list"))
    version = document.current_version
    when = f" on {version.approved_at:%Y-%m-%d}" if version and version.approved_at else ""
    return EvidenceItem(
        label,
        f"{document.reference} v{version.number if version else '?'} approved{when}",
        link("document-detail", document.pk),
    )


def unavailable(text: str) -> EvidenceFunction:
    """Evidence for a clause whose records arrive with a later app."""

    def evidence(now: dt.datetime) -> Evidence:
        return Evidence(available=False, summary=text)

    evidence.__doc__ = text
    return evidence


def _then(holds: str) -> str:
    return f"{holds}; until then record evidence in the notes and linked documents."


# --- 4 Context ----------------------------------------------------------------------------------


def scope(now: dt.datetime) -> Evidence:
    """4.3: the approved scope document and the live services it covers."""
    document = _in_force(DocumentKind.SMS_SCOPE)
    live = Service.objects.filter(status=ServiceStatus.LIVE).count()
    summary = (
        f"Scope {document.reference} approved; {live} live services."
        if document
        else f"No approved SMS scope yet; {live} live services."
    )
    return Evidence(
        True,
        summary,
        [
            _document_item("Approved SMS scope", document),
            EvidenceItem("Live services in the portfolio", live, link("service-list")),
        ],
    )


def process_register(now: dt.datetime) -> Evidence:
    """4.4: the processes of the SMS and whether each has an owner."""
    counts = Process.objects.filter(is_active=True).aggregate(
        total=Count("pk"), owned=Count("pk", filter=Q(owner__isnull=False))
    )
    return Evidence(
        True,
        f"{counts['total']} active processes, {counts['owned']} with an owner.",
        [
            EvidenceItem("Active processes", counts["total"], link("process-list")),
            EvidenceItem("Processes with an owner", counts["owned"], link("process-list")),
        ],
    )


# --- 5 Leadership -------------------------------------------------------------------------------


def leadership(now: dt.datetime) -> Evidence:
    """5.1: what top management approved: documents in force and agreements."""
    documents = Document.objects.filter(
        current_version__status=VersionStatus.APPROVED,
        current_version__approver_role=Role.TOP_MANAGEMENT,
    ).count()
    agreements = Agreement.objects.filter(approved_at__isnull=False).count()
    return Evidence(
        True,
        f"{documents} documents in force approved by top management; "
        f"{agreements} agreements approved.",
        [
            EvidenceItem(
                "Documents in force approved by top management", documents, link("document-list")
            ),
            EvidenceItem("Agreements approved", agreements, link("agreement-list")),
        ],
    )


def policy(now: dt.datetime) -> Evidence:
    """5.2: the approved SMS policy, who approved it when, and who has read it."""
    document = _in_force(DocumentKind.SMS_POLICY)
    if document is None:
        return Evidence(
            True,
            "No approved SMS policy yet.",
            [_document_item("Approved SMS policy", None)],
        )
    version = document.current_version
    acknowledged = version.acknowledgements.count()
    approver = version.approver_name or str(version.approved_by or "")
    return Evidence(
        True,
        f"Policy {document.reference} v{version.number} approved by {approver} on "
        f"{version.approved_at:%Y-%m-%d}; {acknowledged} acknowledgements.",
        [
            _document_item("Approved SMS policy", document),
            EvidenceItem("Approved by", approver or "—"),
            EvidenceItem(
                "Acknowledgements of the version in force",
                acknowledged,
                link("document-acknowledgements", document.pk),
            ),
        ],
    )


def roles(now: dt.datetime) -> Evidence:
    """5.3: role assignments per role and the processes with a RACI matrix."""
    per_role = dict(
        RoleAssignment.objects.values_list("role").annotate(n=Count("pk")).order_by("role")
    )
    with_raci = (
        Process.objects.filter(is_active=True, activities__raci__isnull=False)
        .values("pk")
        .distinct()
        .count()
    )
    items = [
        EvidenceItem(f"Holders of the role {Role(r).label}", per_role[r], link("roles"))
        for r in Role.values
        if per_role.get(r)
    ]
    items.append(EvidenceItem("Processes with RACI rows", with_raci, link("process-list")))
    return Evidence(
        True,
        f"{sum(per_role.values())} role assignments over {len(per_role)} roles; "
        f"{with_raci} processes with a RACI matrix.",
        items,
    )


# --- 6 Planning ---------------------------------------------------------------------------------


def objectives(now: dt.datetime) -> Evidence:
    """6.2: active objectives and how many have progress (live measure or recorded value)."""
    counts = Objective.objects.filter(status=ObjectiveStatus.ACTIVE).aggregate(
        active=Count("pk"),
        live=Count("pk", filter=~Q(measure=ObjectiveMeasure.MANUAL)),
        recorded=Count("pk", filter=Q(measure=ObjectiveMeasure.MANUAL, measurements__isnull=False)),
    )
    return Evidence(
        True,
        f"{counts['active']} active objectives; {counts['live']} measured live, "
        f"{counts['recorded']} with a recorded value.",
        [
            EvidenceItem("Active objectives", counts["active"], link("objective-list")),
            EvidenceItem("Measured live by Accord", counts["live"], link("objective-list")),
            EvidenceItem("With a value recorded by the owner", counts["recorded"]),
        ],
    )


def plan(now: dt.datetime) -> Evidence:
    """6.3: the approved service management plan."""
    document = _in_force(DocumentKind.SM_PLAN)
    return Evidence(
        True,
        f"Plan {document.reference} approved." if document else "No approved plan yet.",
        [_document_item("Approved service management plan", document)],
    )


# --- 7 Support ----------------------------------------------------------------------------------


def documents(now: dt.datetime) -> Evidence:
    """7.5: the document register: documents, how many are in force, how many overdue."""
    counts = Document.objects.aggregate(
        total=Count("pk"),
        approved=Count("pk", filter=Q(current_version__status=VersionStatus.APPROVED)),
        overdue=Count("pk", filter=Q(next_review_on__lt=_today(now))),
    )
    return Evidence(
        True,
        f"{counts['total']} documents, {counts['approved']} with an approved version, "
        f"{counts['overdue']} overdue for review.",
        [
            EvidenceItem("Documents registered", counts["total"], link("document-list")),
            EvidenceItem("With an approved version in force", counts["approved"]),
            EvidenceItem("Overdue for review", counts["overdue"], link("document-list")),
        ],
    )


# --- 8 Operation --------------------------------------------------------------------------------


def operational_control(now: dt.datetime) -> Evidence:
    """8.1: processes with performance indicators to control them by."""
    counts = Process.objects.filter(is_active=True).aggregate(
        total=Count("pk"), with_kpis=Count("pk", filter=~Q(kpis=""))
    )
    return Evidence(
        True,
        f"{counts['with_kpis']} of {counts['total']} active processes define KPIs.",
        [EvidenceItem("Processes with KPIs", counts["with_kpis"], link("process-list"))],
    )


def portfolio(now: dt.datetime) -> Evidence:
    """8.2.1-8.2.4: the services by lifecycle status and the catalogue items offered."""
    by_status = dict(
        Service.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
    )
    offered = CatalogueItem.objects.filter(
        is_active=True, service__status=ServiceStatus.LIVE
    ).count()
    items = [
        EvidenceItem(f"{s.label} services", by_status.get(s.value, 0), link("service-list"))
        for s in ServiceStatus
    ]
    items.append(EvidenceItem("Catalogue items offered", offered, link("catalogue-list")))
    return Evidence(
        True,
        f"{by_status.get(ServiceStatus.LIVE, 0)} live, "
        f"{by_status.get(ServiceStatus.PIPELINE, 0)} in the pipeline, "
        f"{by_status.get(ServiceStatus.RETIRED, 0)} retired; {offered} catalogue items offered.",
        items,
    )


def configuration(now: dt.datetime) -> Evidence:
    """8.2.6: configuration items, their relationships and recent verification."""
    since = _today(now) - VERIFIED_WITHIN
    counts = ConfigurationItem.objects.aggregate(
        total=Count("pk"), verified=Count("pk", filter=Q(last_verified__gte=since))
    )
    relationships = CIRelationship.objects.count()
    return Evidence(
        True,
        f"{counts['total']} configuration items, {relationships} relationships, "
        f"{counts['verified']} verified in the last year.",
        [
            EvidenceItem("Configuration items", counts["total"], link("ci-list")),
            EvidenceItem("Relationships between them", relationships),
            EvidenceItem("Verified in the last year", counts["verified"], link("ci-list")),
        ],
    )


def business_relationship(now: dt.datetime) -> Evidence:
    """8.3.2: satisfaction surveys answered, their mean score, complaints open and closed."""
    surveys = Survey.objects.filter(answered_at__isnull=False).aggregate(
        answered=Count("pk"), mean=Avg("score")
    )
    complaints = Complaint.objects.aggregate(
        open=Count("pk", filter=Q(status__in=COMPLAINT_OPEN)),
        closed=Count("pk", filter=Q(status=ComplaintStatus.CLOSED)),
    )
    mean = f"{surveys['mean']:.2f}" if surveys["mean"] is not None else "—"
    return Evidence(
        True,
        f"{surveys['answered']} surveys answered (mean score {mean}); "
        f"{complaints['open']} complaints open, {complaints['closed']} closed.",
        [
            EvidenceItem("Surveys answered", surveys["answered"], link("feedback-results")),
            EvidenceItem("Mean satisfaction score (1-5)", mean, link("feedback-results")),
            EvidenceItem("Complaints open", complaints["open"], link("complaint-list")),
            EvidenceItem("Complaints closed", complaints["closed"], link("complaint-list")),
        ],
    )


def _active(kind: str) -> Q:
    return Q(kind=kind, status=AgreementStatus.ACTIVE)


def service_levels(now: dt.datetime) -> Evidence:
    """8.3.3: active SLAs and the live services they cover; live services without one are
    listed as gap hints."""
    slas = Agreement.objects.filter(_active(AgreementKind.SLA))
    covered = slas.filter(services__isnull=False).values("services")
    live = Service.objects.filter(status=ServiceStatus.LIVE)
    counts = live.aggregate(total=Count("pk"), covered=Count("pk", filter=Q(pk__in=covered)))
    uncovered = live.exclude(pk__in=covered).order_by("code")
    names = list(uncovered.values_list("pk", "code", "name")[:GAP_NAMES])
    missing = counts["total"] - counts["covered"]
    active = slas.count()
    gaps = [
        EvidenceItem(f"{code} {name}", "live without an active SLA", link("service-detail", pk))
        for pk, code, name in names
    ]
    if missing > len(gaps):
        gaps.append(EvidenceItem("More live services without an active SLA", missing - len(gaps)))
    return Evidence(
        True,
        f"{active} active SLAs cover {counts['covered']} of {counts['total']} live "
        f"services; {missing} without one.",
        [
            EvidenceItem("Active SLAs", active, link("agreement-list")),
            EvidenceItem("Live services covered by an active SLA", counts["covered"]),
            EvidenceItem("Live services without an active SLA", missing, link("service-list")),
        ],
        gaps,
    )


def suppliers(now: dt.datetime) -> Evidence:
    """8.3.4: the operational level agreements and underpinning contracts in force."""
    counts = Agreement.objects.aggregate(
        olas=Count("pk", filter=_active(AgreementKind.OLA)),
        ucs=Count("pk", filter=_active(AgreementKind.UC)),
    )
    return Evidence(
        True,
        f"{counts['olas']} active OLAs, {counts['ucs']} active underpinning contracts.",
        [
            EvidenceItem("Active OLAs", counts["olas"], link("agreement-list")),
            EvidenceItem("Active underpinning contracts", counts["ucs"], link("agreement-list")),
        ],
    )


def change_management(now: dt.datetime) -> Evidence:
    """8.5.1: the change policy (document and rules as data), changes of the last 90 days per
    type, approval decisions, conflicts overridden, and the reviews that were required."""
    since = now - RECENT
    document = _in_force(DocumentKind.CHANGE_POLICY)
    questions = RiskQuestion.objects.filter(active=True).count()
    rules = ApprovalRule.objects.filter(active=True).count()
    raised = Q(created_at__gte=since)
    # A review is required for failed, emergency and high-risk changes (see the change
    # services); counted for the changes implemented, one way or the other, in the period.
    needs_review = Q(actual_end__gte=since) & (
        Q(status=ChangeStatus.FAILED)
        | Q(outcome__in=[Outcome.FAILED, Outcome.BACKED_OUT])
        | Q(change_type=ChangeType.EMERGENCY)
        | Q(risk_class=ChangeRiskClass.HIGH)
    )
    counts = Change.objects.aggregate(
        raised=Count("pk", filter=raised),
        standard=Count("pk", filter=raised & Q(change_type=ChangeType.STANDARD)),
        normal=Count("pk", filter=raised & Q(change_type=ChangeType.NORMAL)),
        emergency=Count("pk", filter=raised & Q(change_type=ChangeType.EMERGENCY)),
        overridden=Count("pk", filter=Q(conflict_override_at__gte=since)),
        needs_review=Count("pk", filter=needs_review),
        reviewed=Count("pk", filter=needs_review & Q(pir_completed_at__isnull=False)),
        overdue=Count(
            "pk",
            filter=Q(
                change_type=ChangeType.EMERGENCY,
                documentation_due_at__lt=now,
                documented_at__isnull=True,
            )
            & ~Q(status__in=[ChangeStatus.CANCELLED, ChangeStatus.REJECTED]),
        ),
    )
    decisions = ChangeApproval.objects.filter(decided_at__gte=since).aggregate(
        approved=Count("pk", filter=Q(decision=Decision.APPROVE)),
        rejected=Count("pk", filter=Q(decision=Decision.REJECT)),
    )
    policy_text = (
        f"Change policy {document.reference} approved"
        if document
        else ("No approved change policy document")
    )
    gaps = []
    if counts["needs_review"] > counts["reviewed"]:
        gaps.append(
            EvidenceItem(
                "Failed, emergency or high-risk changes without a review",
                counts["needs_review"] - counts["reviewed"],
                link("change-list"),
            )
        )
    if counts["overdue"]:
        gaps.append(
            EvidenceItem(
                "Emergency changes past their documentation deadline",
                counts["overdue"],
                link("change-list"),
            )
        )
    return Evidence(
        True,
        f"{policy_text}; {questions} risk questions, {rules} approval rules. "
        f"{counts['raised']} changes in the last 90 days ({counts['standard']} standard, "
        f"{counts['normal']} normal, {counts['emergency']} emergency); approvals: "
        f"{decisions['approved']} given, {decisions['rejected']} refused; "
        f"{counts['overridden']} conflicts overridden; {counts['reviewed']} of "
        f"{counts['needs_review']} required reviews done.",
        [
            _document_item("Approved change management policy", document),
            EvidenceItem("Active risk questions", questions, link("change-policy")),
            EvidenceItem("Active approval rules", rules, link("change-policy")),
            EvidenceItem("Changes raised (90 days)", counts["raised"], link("change-list")),
            EvidenceItem("Standard changes", counts["standard"], link("change-list")),
            EvidenceItem("Normal changes", counts["normal"], link("change-list")),
            EvidenceItem("Emergency changes", counts["emergency"], link("change-list")),
            EvidenceItem("Approvals given", decisions["approved"], link("change-cab")),
            EvidenceItem("Approvals refused", decisions["rejected"]),
            EvidenceItem("Conflicts overridden with a justification", counts["overridden"]),
            EvidenceItem("Reviews required (failed, emergency, high risk)", counts["needs_review"]),
            EvidenceItem("Reviews done", counts["reviewed"], link("change-metrics")),
        ],
        gaps,
    )


#: Releases not yet deployed, closed or cancelled.
_RELEASE_OPEN = [
    ReleaseStatus.PLANNED,
    ReleaseStatus.BUILDING,
    ReleaseStatus.TESTING,
    ReleaseStatus.ACCEPTED,
]


def releases(now: dt.datetime) -> Evidence:
    """8.5.3: releases in preparation, those deployed in the last 90 days with their sign-off,
    the changes they deployed, and the outcomes recorded."""
    since = now - RECENT
    deployed = Q(deployed_at__gte=since)
    counts = Release.objects.aggregate(
        open=Count("pk", filter=Q(status__in=_RELEASE_OPEN)),
        deployed=Count("pk", filter=deployed),
        signed=Count("pk", filter=deployed & Q(signed_off_at__isnull=False)),
        successful=Count("pk", filter=deployed & Q(outcome=ReleaseOutcome.SUCCESSFUL)),
        failed=Count(
            "pk", filter=deployed & Q(outcome__in=[ReleaseOutcome.PARTIAL, ReleaseOutcome.FAILED])
        ),
    )
    changes = Change.objects.filter(release__deployed_at__gte=since).count()
    unsigned = counts["deployed"] - counts["signed"]
    return Evidence(
        True,
        f"{counts['open']} releases in preparation; {counts['deployed']} deployed in the last "
        f"90 days ({counts['signed']} signed off, {changes} changes); outcomes: "
        f"{counts['successful']} successful, {counts['failed']} partly or not successful.",
        [
            EvidenceItem("Releases in preparation", counts["open"], link("change-releases")),
            EvidenceItem(
                "Releases deployed (90 days)", counts["deployed"], link("change-releases")
            ),
            EvidenceItem("Signed off before deployment", counts["signed"]),
            EvidenceItem("Changes deployed in them", changes, link("change-list")),
            EvidenceItem("Successful", counts["successful"]),
            EvidenceItem("Partly or not successful", counts["failed"]),
        ],
        [EvidenceItem("Releases deployed without a sign-off", unsigned, link("change-releases"))]
        if unsigned
        else [],
    )


def improvement(now: dt.datetime) -> Evidence:
    """10.2: the improvement register: opportunities open by PDCA stage, those closed in the
    last year (adopted or abandoned), and actions overdue."""
    from accord.improvement.choices import Decision, Stage
    from accord.improvement.models import Action, Improvement

    year = now - dt.timedelta(days=365)
    counts = Improvement.objects.aggregate(
        open=Count("pk", filter=~Q(stage=Stage.CLOSED)),
        plan=Count("pk", filter=Q(stage=Stage.PLAN)),
        do=Count("pk", filter=Q(stage=Stage.DO)),
        check=Count("pk", filter=Q(stage__in=[Stage.CHECK, Stage.ACT])),
        adopted=Count("pk", filter=Q(closed_at__gte=year, decision=Decision.ADOPT)),
        abandoned=Count("pk", filter=Q(closed_at__gte=year, decision=Decision.ABANDON)),
    )
    overdue = Action.objects.filter(done_at__isnull=True, due_on__lt=now.date()).count()
    return Evidence(
        True,
        f"{counts['open']} improvements open ({counts['plan']} in plan, {counts['do']} in do, "
        f"{counts['check']} in check or act); in the last year {counts['adopted']} adopted and "
        f"{counts['abandoned']} abandoned.",
        [
            EvidenceItem("Improvements open", counts["open"], link("improvement-list")),
            EvidenceItem("In plan", counts["plan"]),
            EvidenceItem("In do", counts["do"]),
            EvidenceItem("In check or act", counts["check"]),
            EvidenceItem("Adopted (last year)", counts["adopted"]),
            EvidenceItem("Abandoned (last year)", counts["abandoned"]),
        ],
        [EvidenceItem("Improvement actions overdue", overdue, link("improvement-list"))]
        if overdue
        else [],
    )


def capacity(now: dt.datetime) -> Evidence:
    """8.4.3: capacity metrics of the live services, where they stand against their thresholds,
    and the scrape targets that feed them."""
    from accord.capacity.choices import Level as CapacityLevel
    from accord.capacity.models import Metric, ScrapeTarget

    metrics = Metric.objects.filter(is_active=True).aggregate(
        total=Count("pk"),
        warning=Count("pk", filter=Q(state__level=CapacityLevel.WARNING)),
        critical=Count("pk", filter=Q(state__level=CapacityLevel.CRITICAL)),
    )
    services = Service.objects.filter(status=ServiceStatus.LIVE).aggregate(
        live=Count("pk", distinct=True),
        measured=Count("pk", filter=Q(capacity_metrics__is_active=True), distinct=True),
    )
    failing = ScrapeTarget.objects.filter(is_active=True).exclude(last_error="").count()
    unmeasured = services["live"] - services["measured"]
    gaps = []
    if unmeasured:
        gaps.append(
            EvidenceItem(
                "Live services without a capacity metric", unmeasured, link("capacity-overview")
            )
        )
    if failing:
        gaps.append(EvidenceItem("Scrape targets failing", failing))
    return Evidence(
        True,
        f"{metrics['total']} capacity metrics on {services['measured']} of {services['live']} "
        f"live services; {metrics['warning']} in warning, {metrics['critical']} critical.",
        [
            EvidenceItem("Capacity metrics", metrics["total"], link("capacity-overview")),
            EvidenceItem("Live services measured", services["measured"]),
            EvidenceItem("Metrics in warning", metrics["warning"]),
            EvidenceItem("Metrics critical", metrics["critical"]),
        ],
        gaps,
    )


def availability(now: dt.datetime) -> Evidence:
    """8.7.1: availability targets agreed for live services, outages recorded in the last 90
    days, and the investigations of unplanned outages."""
    from accord.availability.choices import InvestigationStatus, OutageKind
    from accord.availability.models import Outage

    since = now - RECENT
    with_target = Q(
        agreements__status=AgreementStatus.ACTIVE,
        agreements__kind=AgreementKind.SLA,
        agreements__targets__metric="availability",
    )
    services = Service.objects.filter(status=ServiceStatus.LIVE).aggregate(
        live=Count("pk", distinct=True),
        targeted=Count("pk", filter=with_target, distinct=True),
    )
    live_count, targeted_count = services["live"], services["targeted"]
    kept = Q(cancelled_at__isnull=True)
    counts = Outage.objects.filter(start__gte=since).aggregate(
        total=Count("pk", filter=kept),
        unplanned=Count("pk", filter=kept & Q(kind=OutageKind.UNPLANNED)),
        planned=Count("pk", filter=kept & Q(kind=OutageKind.PLANNED)),
        ongoing=Count("pk", filter=kept & Q(end__isnull=True, start__lte=now)),
        investigated=Count("investigation"),
        completed=Count(
            "investigation", filter=Q(investigation__status=InvestigationStatus.COMPLETED)
        ),
    )
    investigations = {"total": counts["investigated"], "completed": counts["completed"]}
    untargeted = live_count - targeted_count
    open_investigations = investigations["total"] - investigations["completed"]
    gaps = []
    if untargeted:
        gaps.append(
            EvidenceItem(
                "Live services without an agreed availability target",
                untargeted,
                link("availability-overview"),
            )
        )
    if open_investigations:
        gaps.append(
            EvidenceItem(
                "Unplanned outages still under investigation",
                open_investigations,
                link("outage-list"),
            )
        )
    return Evidence(
        True,
        f"{targeted_count} of {live_count} live services have an agreed availability target; "
        f"{counts['total']} outages recorded in the last 90 days ({counts['unplanned']} "
        f"unplanned, {counts['planned']} planned); {investigations['completed']} of "
        f"{investigations['total']} investigations completed.",
        [
            EvidenceItem(
                "Live services with an availability target",
                targeted_count,
                link("availability-overview"),
            ),
            EvidenceItem("Outages recorded (90 days)", counts["total"], link("outage-list")),
            EvidenceItem("Unplanned", counts["unplanned"]),
            EvidenceItem("Planned maintenance", counts["planned"]),
            EvidenceItem("Ongoing now", counts["ongoing"]),
            EvidenceItem("Investigations completed", investigations["completed"]),
        ],
        gaps,
    )


def incidents(now: dt.datetime) -> Evidence:
    """8.6.1: incidents of the last 90 days, the major ones and their reviews."""
    counts = Incident.objects.filter(opened_at__gte=now - RECENT).aggregate(
        total=Count("pk"),
        major=Count("pk", filter=Q(is_major=True)),
        reviewed=Count("pk", filter=Q(is_major=True, review__isnull=False)),
    )
    return Evidence(
        True,
        f"{counts['total']} incidents in the last 90 days; {counts['major']} major, "
        f"{counts['reviewed']} of them reviewed.",
        [
            EvidenceItem("Incidents opened (90 days)", counts["total"], link("incident-list")),
            EvidenceItem("Major incidents", counts["major"], link("incident-list")),
            EvidenceItem("Major incidents with a post-incident review", counts["reviewed"]),
        ],
        [EvidenceItem("Major incidents without a review", counts["major"] - counts["reviewed"])]
        if counts["major"] > counts["reviewed"]
        else [],
    )


def problems(now: dt.datetime) -> Evidence:
    """8.6.3: problems open and resolved, the known errors with their workarounds, the
    incidents linked to problems in the last 90 days, and the fixes carried by changes."""
    since = now - RECENT
    counts = Problem.objects.aggregate(
        open=Count("pk", filter=Q(status__in=PROBLEM_OPEN)),
        known_errors=Count("pk", filter=Q(status__in=KNOWN_ERROR_STATUSES)),
        without_workaround=Count("pk", filter=Q(status__in=KNOWN_ERROR_STATUSES, workaround="")),
        resolved=Count("pk", filter=Q(resolved_at__gte=since)),
        fixed_by_change=Count(
            "pk", filter=Q(resolved_at__gte=since) & ~Q(change_reference=""), distinct=True
        ),
    )
    linked = ProblemIncident.objects.filter(linked_at__gte=since).count()
    return Evidence(
        True,
        f"{counts['open']} problems open, {counts['known_errors']} of them known errors; "
        f"{counts['resolved']} resolved in the last 90 days ({counts['fixed_by_change']} by a "
        f"change); {linked} incidents linked to problems.",
        [
            EvidenceItem("Problems open", counts["open"], link("problem-list")),
            EvidenceItem("Known errors", counts["known_errors"], link("known-error-list")),
            EvidenceItem("Problems resolved (90 days)", counts["resolved"], link("problem-list")),
            EvidenceItem("Resolved by a change", counts["fixed_by_change"], link("change-list")),
            EvidenceItem("Incidents linked to problems (90 days)", linked),
        ],
        [EvidenceItem("Known errors without a workaround", counts["without_workaround"])]
        if counts["without_workaround"]
        else [],
    )


def requests(now: dt.datetime) -> Evidence:
    """8.6.2: service requests of the last 90 days and the approvals decided on them."""
    since = now - RECENT
    opened = ServiceRequest.objects.filter(opened_at__gte=since).count()
    decisions = Approval.objects.filter(requested_at__gte=since).aggregate(
        approved=Count("pk", filter=Q(decision=ApprovalDecision.APPROVED)),
        rejected=Count("pk", filter=Q(decision=ApprovalDecision.REJECTED)),
        pending=Count("pk", filter=Q(decision=ApprovalDecision.PENDING)),
    )
    return Evidence(
        True,
        f"{opened} service requests in the last 90 days; approvals: {decisions['approved']} "
        f"given, {decisions['rejected']} refused, {decisions['pending']} pending.",
        [
            EvidenceItem("Service requests opened (90 days)", opened, link("request-list")),
            EvidenceItem("Approvals given", decisions["approved"], link("approval-queue")),
            EvidenceItem("Approvals refused", decisions["rejected"]),
            EvidenceItem("Approvals pending", decisions["pending"], link("approval-queue")),
        ],
    )


# --- 9 Performance evaluation -------------------------------------------------------------------


def measurement(now: dt.datetime) -> Evidence:
    """9.1: SLA clocks measured over the last 90 days: met, breached, still running."""
    counts = TicketClock.objects.filter(started_at__gte=now - RECENT).aggregate(
        total=Count("pk"),
        met=Count("pk", filter=Q(state=ClockState.MET)),
        breached=Count("pk", filter=Q(breached=True)),
        running=Count("pk", filter=Q(state__in=[ClockState.RUNNING, ClockState.PAUSED])),
    )
    return Evidence(
        True,
        f"{counts['total']} SLA clocks started in the last 90 days: {counts['met']} met, "
        f"{counts['breached']} breached, {counts['running']} running.",
        [
            EvidenceItem("SLA clocks started (90 days)", counts["total"]),
            EvidenceItem("Met", counts["met"]),
            EvidenceItem("Breached", counts["breached"]),
            EvidenceItem("Running or paused", counts["running"]),
        ],
    )


def internal_audits(now: dt.datetime) -> Evidence:
    """9.2: the audit programme in force, audits planned, under way and reported in the last
    year, their findings by grade, and the clauses no programme of the year reaches."""
    from accord.governance.choices import AuditStatus, FindingKind
    from accord.governance.models import Audit, AuditProgramme, Finding

    today = _today(now)
    year = now - dt.timedelta(days=365)
    programme = (
        AuditProgramme.objects.filter(starts_on__lte=today, ends_on__gte=today)
        .order_by("-starts_on", "-pk")
        .first()
    )
    audits = Audit.objects.aggregate(
        planned=Count("pk", filter=Q(status=AuditStatus.PLANNED)),
        running=Count("pk", filter=Q(status=AuditStatus.IN_PROGRESS)),
        reported=Count("pk", filter=Q(status=AuditStatus.REPORTED, reported_at__gte=year)),
        overdue=Count("pk", filter=Q(status=AuditStatus.PLANNED, planned_end__lt=today)),
    )
    findings = Finding.objects.filter(
        audit__status=AuditStatus.REPORTED, audit__reported_at__gte=year
    ).aggregate(
        major=Count("pk", filter=Q(kind=FindingKind.MAJOR)),
        minor=Count("pk", filter=Q(kind=FindingKind.MINOR)),
        observations=Count("pk", filter=Q(kind=FindingKind.OBSERVATION)),
        opportunities=Count("pk", filter=Q(kind=FindingKind.OPPORTUNITY)),
    )
    items = [
        EvidenceItem(
            "Audit programme in force",
            f"{programme.reference} {programme.starts_on:%Y-%m-%d} to {programme.ends_on:%Y-%m-%d}"
            if programme
            else "none",
            link("audit-programme-detail", programme.pk)
            if programme
            else link("internal-audit-list"),
        ),
        EvidenceItem("Audits planned", audits["planned"], link("internal-audit-list")),
        EvidenceItem("Audits in progress", audits["running"], link("internal-audit-list")),
        EvidenceItem(
            "Audits reported (last year)", audits["reported"], link("internal-audit-list")
        ),
        EvidenceItem("Major nonconformities found (last year)", findings["major"]),
        EvidenceItem("Minor nonconformities found (last year)", findings["minor"]),
        EvidenceItem("Observations (last year)", findings["observations"]),
        EvidenceItem("Opportunities for improvement (last year)", findings["opportunities"]),
    ]
    gaps = []
    if programme is None:
        gaps.append(
            EvidenceItem("No audit programme covers today", "plan one", link("internal-audit-list"))
        )
    if audits["overdue"]:
        gaps.append(EvidenceItem("Planned audits past their dates", audits["overdue"]))
    return Evidence(
        True,
        f"{audits['reported']} internal audits reported in the last year "
        f"({findings['major']} major and {findings['minor']} minor nonconformities found); "
        f"{audits['planned']} planned, {audits['running']} in progress.",
        items,
        gaps,
    )


def management_reviews(now: dt.datetime) -> Evidence:
    """9.3: management reviews held and approved in the last year, the next one planned, and
    decisions of past reviews still open past their due date."""
    from accord.governance.choices import ReviewStatus
    from accord.governance.models import ManagementReview, ReviewDecision

    today = _today(now)
    year = today - dt.timedelta(days=365)
    counts = ManagementReview.objects.aggregate(
        approved=Count("pk", filter=Q(status=ReviewStatus.APPROVED, held_on__gte=year)),
        held=Count("pk", filter=Q(status=ReviewStatus.HELD)),
    )
    latest = (
        ManagementReview.objects.filter(status=ReviewStatus.APPROVED)
        .order_by("-held_on", "-pk")
        .first()
    )
    upcoming = (
        ManagementReview.objects.filter(status=ReviewStatus.PLANNED)
        .order_by("planned_on", "pk")
        .first()
    )
    overdue = ReviewDecision.objects.filter(done_at__isnull=True, due_on__lt=today).count()
    items = [
        EvidenceItem("Reviews approved (last year)", counts["approved"], link("review-list")),
        EvidenceItem(
            "Latest approved review",
            f"{latest.reference} held {latest.held_on:%Y-%m-%d}"
            if latest and latest.held_on
            else "none",
            link("review-detail", latest.pk) if latest else "",
        ),
        EvidenceItem(
            "Next review planned",
            f"{upcoming.reference} on {upcoming.planned_on:%Y-%m-%d}" if upcoming else "none",
            link("review-detail", upcoming.pk) if upcoming else "",
        ),
        EvidenceItem("Held, awaiting approval", counts["held"]),
    ]
    gaps = []
    if upcoming is None:
        gaps.append(EvidenceItem("No management review planned", "plan one", link("review-list")))
    if overdue:
        gaps.append(EvidenceItem("Review decisions overdue", overdue, link("review-list")))
    return Evidence(
        True,
        f"{counts['approved']} management reviews approved in the last year; next planned: "
        + (f"{upcoming.planned_on:%Y-%m-%d}." if upcoming else "none."),
        items,
        gaps,
    )


def nonconformities(now: dt.datetime) -> Evidence:
    """10.1: nonconformities open by status, closed after a verified effectiveness check in
    the last year, recurring ones, and corrective actions overdue."""
    from accord.improvement.choices import NonconformityStatus as NC
    from accord.improvement.models import CorrectiveAction, Nonconformity

    year = now - dt.timedelta(days=365)
    counts = Nonconformity.objects.aggregate(
        open=Count("pk", filter=Q(status=NC.OPEN)),
        progress=Count("pk", filter=Q(status=NC.IN_PROGRESS)),
        verifying=Count("pk", filter=Q(status=NC.VERIFYING)),
        closed=Count("pk", filter=Q(status=NC.CLOSED, closed_at__gte=year)),
        recurring=Count("pk", filter=Q(recurrence_of__isnull=False, created_at__gte=year)),
        major=Count("pk", filter=~Q(status=NC.CLOSED) & Q(severity="major")),
    )
    overdue = CorrectiveAction.objects.filter(done_at__isnull=True, due_on__lt=_today(now)).count()
    gaps = []
    if counts["major"]:
        gaps.append(
            EvidenceItem(
                "Major nonconformities not closed", counts["major"], link("nonconformity-list")
            )
        )
    if overdue:
        gaps.append(EvidenceItem("Corrective actions overdue", overdue, link("nonconformity-list")))
    return Evidence(
        True,
        f"{counts['open'] + counts['progress'] + counts['verifying']} nonconformities open "
        f"({counts['verifying']} awaiting their effectiveness check); {counts['closed']} closed "
        f"as effective in the last year; {counts['recurring']} recurred.",
        [
            EvidenceItem("Open", counts["open"], link("nonconformity-list")),
            EvidenceItem("Corrective action in progress", counts["progress"]),
            EvidenceItem("Awaiting effectiveness check", counts["verifying"]),
            EvidenceItem("Closed as effective (last year)", counts["closed"]),
            EvidenceItem("Recurred (last year)", counts["recurring"]),
        ],
        gaps,
    )


#: Clause number -> what shows its evidence. A clause missing here shows the evidence of its
#: sub-clauses (or of the clause it belongs to) and its assessment only.
EVIDENCE: dict[str, EvidenceFunction] = {
    "4.1": unavailable(_then("Issues of context arrive with the context register")),
    "4.2": unavailable(_then("Interested parties arrive with the stakeholder register")),
    "4.3": scope,
    "4.4": process_register,
    "5.1": leadership,
    "5.2": policy,
    "5.3": roles,
    "6.1": unavailable(_then("Risks and opportunities arrive with the risk register")),
    "6.2": objectives,
    "6.3": plan,
    "7.1": unavailable(_then("Resources arrive with resource and skills records")),
    "7.2": unavailable(_then("Competence records arrive with skills per person")),
    "7.3": unavailable(_then("Awareness records arrive with skills per person")),
    "7.4": unavailable(_then("A communication log arrives with the communication plan")),
    "7.5": documents,
    "7.6": unavailable(_then("Knowledge articles arrive with the knowledge base")),
    "8.1": operational_control,
    "8.2.1": portfolio,
    "8.2.2": portfolio,
    "8.2.3": portfolio,
    "8.2.4": portfolio,
    "8.2.5": unavailable(_then("Asset and licence records arrive with asset management")),
    "8.2.6": configuration,
    "8.3.1": service_levels,
    "8.3.2": business_relationship,
    "8.3.3": service_levels,
    "8.3.4": suppliers,
    "8.4.1": unavailable(_then("Budgets and costs per service arrive with budgeting")),
    "8.4.2": unavailable(_then("Demand figures arrive with demand management")),
    "8.4.3": capacity,
    "8.5.1": change_management,
    "8.5.2": unavailable(_then("Transition plans arrive with service design and transition")),
    "8.5.3": releases,
    "8.6.1": incidents,
    "8.6.2": requests,
    "8.6.3": problems,
    "8.7.1": availability,
    "8.7.2": unavailable(_then("Continuity plans and tests arrive with continuity management")),
    "8.7.3": unavailable(_then("Security incidents arrive with security management")),
    "9.1": measurement,
    "9.2": internal_audits,
    "9.3": management_reviews,
    "9.4": unavailable(_then("Service reports arrive with the report builder")),
    "10.1": nonconformities,
    "10.2": improvement,
}


def evidence_for(number: str, now: dt.datetime) -> Evidence | None:
    """The evidence of one clause (None when it has no entry of its own)."""
    function = EVIDENCE.get(number)
    return function(now) if function is not None else None
