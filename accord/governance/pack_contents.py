"""The files of an audit pack, each built from the records as they stand when it is generated.

A certification auditor first asks for the same things: the policy, the scope and the plan in
force with their approval, the clause register with its evidence, the internal audit reports
and findings, the management review minutes, the improvement register and the corrective
action log. Each builder here returns the finished files (PDF or CSV bytes) and what it could
not provide, so a gap is stated in the manifest rather than silently left out.

Every builder reads with a fixed number of queries (``select_related`` over the rows, the
clause evidence computed once per evidence function), so the pack's cost does not grow query by
query with the records behind it; what grows is only the size of the PDFs and CSVs.

CSV files are UTF-8 with a header row and RFC 4180 quoting; dates are ISO 8601 and instants
UTC. A text cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) gets a leading apostrophe, so opening a register in
a spreadsheet never runs what someone typed into a title.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.html import escape

from accord.core.models import Organisation, Person
from accord.core.pdf import markdown_pdf, render_pdf
from accord.governance.choices import AuditStatus, DocumentKind, ReviewStatus, VersionStatus
from accord.governance.markdown import render_markdown
from accord.governance.models import (
    Audit,
    Clause,
    Document,
    DocumentVersion,
    Finding,
    ManagementReview,
)
from accord.governance.selectors.clauses import ClauseRow, rows_with_evidence
from accord.improvement.models import CorrectiveAction, Improvement, Nonconformity

#: Internal audits reported within this window are in the pack.
AUDITS_WITHIN = dt.timedelta(days=365)
#: Management reviews held (or planned, when no date was recorded) within this window.
REVIEWS_WITHIN = dt.timedelta(days=730)
#: The controlled documents of the SMS the pack carries, with the file each becomes.
POLICY_FILES: tuple[tuple[str, str], ...] = (
    ("sms_policy", "policy/sms-policy.pdf"),
    ("sms_scope", "policy/sms-scope.pdf"),
    ("sm_plan", "policy/service-management-plan.pdf"),
)
#: What a spreadsheet would take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PackFile:
    """One file of the pack: where it goes in the ZIP, its bytes and what it is."""

    path: str
    content: bytes
    description: str


@dataclass(frozen=True)
class Missing:
    """Something an auditor expects that the pack cannot carry, and why."""

    what: str
    reason: str


@dataclass
class Contents:
    files: list[PackFile]
    missing: list[Missing]


# --- Cells --------------------------------------------------------------------------------------


def safe_text(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def cell(value: Any) -> str:
    """A value as a CSV cell: dates ISO, instants ISO in UTC, numbers as written, people by
    name, nothing as an empty cell; text guarded against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | Decimal | float):
        return str(value)
    return safe_text(str(value))


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file (UTF-8, header row, RFC 4180 quoting and CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def count(n: int, singular: str, plural: str = "") -> str:
    """ "1 finding", "2 findings"."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _name(person: Person | None) -> str:
    return str(person) if person is not None else ""


def _day(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    return value.isoformat()


def html_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An escaped HTML table whose header row repeats on every page of the PDF."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_shown(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    if not body:
        body = f'<tr><td colspan="{len(header)}" class="muted">None recorded.</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime | dt.date):
        return _day(value)
    return str(value)


def facts(pairs: Iterable[tuple[str, Any]]) -> str:
    """A title block of labelled facts (version, approver, dates) as escaped HTML."""
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(_shown(v))}</dd>" for k, v in pairs)
    return f'<dl class="facts">{rows}</dl>'


# --- Builders -----------------------------------------------------------------------------------


def reported_words(audit: Audit) -> str:
    """ "reported 2026-10-20 by Pat Problem"."""
    words = f"reported {_day(audit.reported_at)}"
    if audit.reported_by_id:
        words += f" by {audit.reported_by}"
    return words


def audit_report_pdf(
    audit: Audit, *, now: dt.datetime, provider: Organisation | None = None
) -> bytes:
    """The issued report of an internal audit as a PDF: its frozen text under a title block
    naming the lead auditor and when it was issued (the same file in the pack and on the
    audit's page)."""
    return markdown_pdf(
        audit.report or "*The report text was not recorded.*",
        title=f"{audit.reference} {audit.title}",
        subtitle=f"Internal audit report · lead auditor {audit.lead_auditor} · "
        f"{reported_words(audit)}",
        now=now,
        provider=provider,
    )


class PackBuilder:
    """Builds every file of one pack at ``now`` for the given provider organisation."""

    def __init__(self, *, now: dt.datetime, provider: Organisation | None) -> None:
        self.now = now
        self.provider = provider
        self.files: list[PackFile] = []
        self.missing: list[Missing] = []

    def build(self) -> Contents:
        self.policy_documents()
        self.clause_register()
        self.audits()
        self.management_reviews()
        self.improvement_register()
        self.nonconformities()
        return Contents(files=self.files, missing=self.missing)

    def add(self, path: str, content: bytes, description: str) -> None:
        self.files.append(PackFile(path=path, content=content, description=description))

    def pdf(self, html: str, *, title: str, subtitle: str = "", landscape: bool = False) -> bytes:
        return render_pdf(
            html,
            title=title,
            subtitle=subtitle,
            now=self.now,
            provider=self.provider,
            landscape=landscape,
        )

    def document_pdf(self, document: Document, version: DocumentVersion, heading: str) -> bytes:
        """A controlled document's version in force, its approval on the title block."""
        approver = version.approver_name or _name(version.approved_by)
        block = facts(
            [
                ("Document", f"{document.reference} {document.title}"),
                ("Version", version.number),
                ("Status", version.get_status_display()),
                ("Approved by", approver),
                ("Approved on", version.approved_at),
                ("Change summary", version.change_summary),
            ]
        )
        return render_pdf(
            block + render_markdown(version.body),
            title=document.title,
            subtitle=f"{heading} · {document.reference} version {version.number}, approved by "
            f"{approver or '—'} on {_day(version.approved_at)}",
            now=self.now,
            provider=self.provider,
        )

    # 5.2, 4.3, 6.3 ----------------------------------------------------------------------------

    def policy_documents(self) -> None:
        """The policy, the scope and the plan: the approved version in force of each kind
        (the newest approval when several documents of a kind are in force)."""
        kinds = [kind for kind, _ in POLICY_FILES]
        in_force: dict[str, Document] = {}
        documents = (
            Document.objects.filter(kind__in=kinds, current_version__status=VersionStatus.APPROVED)
            .select_related("current_version", "current_version__approved_by")
            .order_by("-current_version__approved_at", "-pk")
        )
        for document in documents:
            in_force.setdefault(document.kind, document)
        for kind, path in POLICY_FILES:
            label = DocumentKind(kind).label
            document = in_force.get(kind)
            if document is None or document.current_version is None:
                self.missing.append(
                    Missing(
                        what=f"{label} ({path})",
                        reason=f"No {label.lower()} has an approved version in force.",
                    )
                )
                continue
            version = document.current_version
            self.add(
                path,
                self.document_pdf(document, version, label),
                f"{label} {document.reference} version {version.number} in force, approved "
                f"{_day(version.approved_at)}",
            )

    # 4-10: the clause register ----------------------------------------------------------------

    CLAUSE_HEADER = (
        "number",
        "title",
        "conformity",
        "assessed_by",
        "assessed_on",
        "notes",
        "evidence_available",
        "evidence_summary",
        "evidence",
        "evidence_gaps",
    )

    @staticmethod
    def evidence_columns(row: ClauseRow) -> tuple[str, str, str, str]:
        """(available, summary, items, gaps) of a clause's live evidence, each item as
        "label: value"; a clause covered by its parent says so."""
        evidence = row.evidence
        if evidence is None:
            if row.evidence_from:
                return ("yes", f"See the evidence of clause {row.evidence_from}.", "", "")
            return ("no", "No live evidence for this clause; see the notes.", "", "")
        items = "; ".join(f"{item.label}: {item.value}" for item in evidence.items)
        gaps = "; ".join(f"{item.label}: {item.value}" for item in evidence.gaps)
        return ("yes" if evidence.available else "no", evidence.summary, items, gaps)

    def clause_register(self) -> None:
        clauses = list(
            Clause.objects.select_related("assessed_by", "parent").order_by("position", "pk")
        )
        rows = rows_with_evidence(clauses, self.now)
        table = []
        for row in rows:
            clause = row.clause
            available, summary, items, gaps = self.evidence_columns(row)
            table.append(
                [
                    clause.number,
                    clause.title,
                    clause.get_status_display(),
                    _name(clause.assessed_by),
                    clause.assessed_on,
                    clause.notes,
                    available,
                    summary,
                    items,
                    gaps,
                ]
            )
        self.add(
            "clause-register.csv",
            csv_bytes(self.CLAUSE_HEADER, table),
            f"The clause register: {count(len(table), 'clause')} with conformity and live evidence",
        )
        counts: dict[str, int] = {}
        for clause in clauses:
            label = clause.get_status_display()
            counts[label] = counts.get(label, 0) + 1
        overview = ", ".join(f"{label}: {n}" for label, n in counts.items())
        html = f"<p>{escape(overview)}</p>" + html_table(
            ("Clause", "Title", "Conformity", "Assessed", "Notes", "Evidence"),
            [
                (
                    r[0],
                    r[1],
                    r[2],
                    f"{r[3] or '—'}, {_shown(r[4])}" if r[3] or r[4] else "—",
                    r[5],
                    " ".join(
                        part for part in (r[7], r[8], f"Gaps: {r[9]}" if r[9] else "") if part
                    ),
                )
                for r in table
            ],
        )
        self.add(
            "clause-register.pdf",
            self.pdf(
                html,
                title="Clause register",
                subtitle="Conformity to ISO/IEC 20000-1 and the live evidence behind it",
                landscape=True,
            ),
            "The clause register as a printable document",
        )

    # 9.2: internal audits ---------------------------------------------------------------------

    FINDING_HEADER = (
        "reference",
        "audit",
        "kind",
        "clause",
        "title",
        "statement",
        "evidence",
        "nonconformity",
    )

    def audits(self) -> None:
        audits = list(
            Audit.objects.filter(
                status=AuditStatus.REPORTED, reported_at__gte=self.now - AUDITS_WITHIN
            )
            .select_related("lead_auditor", "reported_by")
            .order_by("reported_at", "reference")
        )
        if not audits:
            self.missing.append(
                Missing(
                    what="Internal audit reports (audits/)",
                    reason="No internal audit was reported in the last 12 months.",
                )
            )
        for audit in audits:
            path = f"audits/{audit.reference}-report.pdf"
            self.add(
                path,
                audit_report_pdf(audit, now=self.now, provider=self.provider),
                f"Report of internal audit {audit.reference}, {reported_words(audit)}",
            )
        findings = (
            Finding.objects.filter(audit__in=[a.pk for a in audits])
            .select_related("audit", "clause", "nonconformity")
            .order_by("audit__reference", "reference")
        )
        rows = []
        for finding in findings:
            try:
                nonconformity = finding.nonconformity.reference
            except Nonconformity.DoesNotExist:
                nonconformity = ""
            rows.append(
                [
                    finding.reference,
                    finding.audit.reference,
                    finding.get_kind_display(),
                    finding.clause.number if finding.clause_id else "",
                    finding.title,
                    finding.statement,
                    finding.evidence,
                    nonconformity,
                ]
            )
        self.add(
            "audits/findings.csv",
            csv_bytes(self.FINDING_HEADER, rows),
            f"{count(len(rows), 'finding')} of the internal audits in this pack",
        )

    # 9.3: management reviews ------------------------------------------------------------------

    def management_reviews(self) -> None:
        since = (self.now - REVIEWS_WITHIN).date()
        reviews = (
            ManagementReview.objects.filter(status=ReviewStatus.APPROVED)
            .filter(Q(held_on__gte=since) | Q(held_on__isnull=True, planned_on__gte=since))
            .select_related(
                "document", "document__current_version", "document__current_version__approved_by"
            )
            .order_by("planned_on", "reference")
        )
        found = False
        for review in reviews:
            found = True
            path = f"management-reviews/{review.reference}-minutes.pdf"
            document = review.document
            version = document.current_version if document is not None else None
            if document is None or version is None or version.status != VersionStatus.APPROVED:
                self.missing.append(
                    Missing(
                        what=f"Minutes of {review.reference} ({path})",
                        reason="The review is approved but its minutes have no approved "
                        "version in force.",
                    )
                )
                continue
            self.add(
                path,
                self.document_pdf(document, version, f"Management review {review.reference}"),
                f"Minutes of management review {review.reference} held "
                f"{_shown(review.held_on or review.planned_on)}, version {version.number}",
            )
        if not found:
            self.missing.append(
                Missing(
                    what="Management review minutes (management-reviews/)",
                    reason="No management review was approved in the last 24 months.",
                )
            )

    # 10.2: continual improvement --------------------------------------------------------------

    IMPROVEMENT_HEADER = (
        "reference",
        "title",
        "source",
        "source_reference",
        "service",
        "owner",
        "stage",
        "cycle",
        "priority",
        "baseline",
        "target",
        "result",
        "decision",
        "created",
        "closed",
    )

    def improvement_register(self) -> None:
        improvements = Improvement.objects.select_related("service", "owner").order_by("reference")
        rows = [
            [
                i.reference,
                i.title,
                i.get_source_display(),
                i.source_reference,
                i.service.name if i.service_id else "",
                _name(i.owner),
                i.get_stage_display(),
                i.cycle,
                i.priority,
                i.baseline_value,
                i.target_value,
                i.result_value,
                i.get_decision_display() if i.decision else "",
                i.created_at,
                i.closed_at,
            ]
            for i in improvements
        ]
        self.add(
            "improvement-register.csv",
            csv_bytes(self.IMPROVEMENT_HEADER, rows),
            f"The continual improvement register: {count(len(rows), 'improvement')}",
        )
        header = [h.replace("_", " ").capitalize() for h in self.IMPROVEMENT_HEADER]
        self.add(
            "improvement-register.pdf",
            self.pdf(
                html_table(header, rows),
                title="Continual improvement register",
                subtitle=f"{count(len(rows), 'improvement')}, Plan-Do-Check-Act",
                landscape=True,
            ),
            "The continual improvement register as a printable table",
        )

    # 10.1: nonconformities and corrective action ----------------------------------------------

    NONCONFORMITY_HEADER = (
        "reference",
        "title",
        "description",
        "source",
        "source_reference",
        "finding",
        "clause",
        "service",
        "severity",
        "status",
        "owner",
        "raised_by",
        "raised",
        "correction",
        "cause_analysis",
        "effectiveness_due",
        "effectiveness_notes",
        "checks_failed",
        "verified_at",
        "verified_by",
        "recurrence_of",
        "closed",
    )
    ACTION_HEADER = ("nonconformity", "title", "owner", "due", "done_at", "notes")

    def nonconformities(self) -> None:
        nonconformities = Nonconformity.objects.select_related(
            "finding",
            "clause",
            "service",
            "owner",
            "raised_by",
            "verified_by",
            "recurrence_of",
        ).order_by("reference")
        rows = [
            [
                n.reference,
                n.title,
                n.description,
                n.get_source_display(),
                n.source_reference,
                n.finding.reference if n.finding_id else "",
                n.clause.number if n.clause_id else "",
                n.service.name if n.service_id else "",
                n.get_severity_display(),
                n.get_status_display(),
                _name(n.owner),
                _name(n.raised_by),
                n.created_at,
                n.correction,
                n.cause_analysis,
                n.effectiveness_due_on,
                n.effectiveness_notes,
                n.checks_failed,
                n.verified_at,
                _name(n.verified_by),
                n.recurrence_of.reference if n.recurrence_of_id else "",
                n.closed_at,
            ]
            for n in nonconformities
        ]
        self.add(
            "nonconformities.csv",
            csv_bytes(self.NONCONFORMITY_HEADER, rows),
            f"The nonconformity log: {count(len(rows), 'nonconformity', 'nonconformities')}",
        )
        actions = CorrectiveAction.objects.select_related("nonconformity", "owner").order_by(
            "nonconformity__reference", "due_on", "pk"
        )
        action_rows = [
            [a.nonconformity.reference, a.title, _name(a.owner), a.due_on, a.done_at, a.done_notes]
            for a in actions
        ]
        self.add(
            "corrective-actions.csv",
            csv_bytes(self.ACTION_HEADER, action_rows),
            f"The corrective actions of the nonconformities: {count(len(action_rows), 'action')}",
        )


def build_contents(*, now: dt.datetime, provider: Organisation | None) -> Contents:
    """Every file of an audit pack at ``now`` (without the manifest and checksums, which
    describe these files) and what could not be included."""
    return PackBuilder(now=now, provider=provider).build()
