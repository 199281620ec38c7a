"""Read queries of internal audits (ISO/IEC 20000-1, 9.2), scoped to what the reader may see:
programmes, audits, their checklists and findings; the coverage of a programme (which clauses
and processes its audits reach, and the gaps); what each finding opened; the live evidence kept
on an answered question; and the report as Markdown.

Audits are the provider's: its staff and the auditor role read them (``governance.view``);
customers see none, and one they ask for answers 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person
from accord.core.permissions import has_capability, sees_all_organisations
from accord.governance.choices import AuditStatus, ChecklistResult, FindingKind
from accord.governance.evidence import evidence_for
from accord.governance.models import (
    Audit,
    AuditProgramme,
    ChecklistItem,
    Clause,
    Finding,
    Process,
)

DEFAULT_CRITERIA = "ISO/IEC 20000-1:2018 and the SMS documents in force"


def may_read(person: Any) -> bool:
    """The provider's staff and the auditor role (``governance.view``)."""
    return sees_all_organisations(person) and has_capability(person, "governance.view")


def programmes_visible_to(person: Any) -> QuerySet[AuditProgramme]:
    """Every programme for those who read governance records; none for anybody else."""
    qs = AuditProgramme.objects.select_related("owner")
    return qs if may_read(person) else qs.none()


def audits_visible_to(person: Any) -> QuerySet[Audit]:
    """Every audit for those who read governance records; none for anybody else."""
    qs = Audit.objects.select_related("programme", "lead_auditor", "reported_by")
    return qs if may_read(person) else qs.none()


def findings_visible_to(person: Any) -> QuerySet[Finding]:
    """Every finding for those who read governance records; none for anybody else."""
    qs = Finding.objects.select_related(
        "audit", "clause", "process", "service", "raised_by", "checklist_item"
    )
    return qs if may_read(person) else qs.none()


def with_counts(qs: QuerySet[Audit]) -> QuerySet[Audit]:
    """Each audit with its number of findings (``finding_count``), of nonconformity findings
    (``nonconformity_count``) and of open questions (``open_count``), in the list's query."""
    return qs.annotate(
        finding_count=Count("findings", distinct=True),
        nonconformity_count=Count(
            "findings",
            filter=Q(findings__kind__in=[FindingKind.MINOR, FindingKind.MAJOR]),
            distinct=True,
        ),
        open_count=Count(
            "checklist", filter=Q(checklist__result=ChecklistResult.OPEN), distinct=True
        ),
    )


def checklist_of(audit: Audit) -> QuerySet[ChecklistItem]:
    """The audit's questions in the register's order, with who answered them."""
    return (
        ChecklistItem.objects.filter(audit=audit)
        .select_related("clause", "checked_by")
        .order_by("position", "pk")
    )


def findings_of(audit: Audit) -> QuerySet[Finding]:
    return (
        Finding.objects.filter(audit=audit)
        .select_related("clause", "process", "service", "raised_by", "checklist_item")
        .order_by("reference")
    )


def finding_links(findings: Iterable[Finding]) -> dict[int, dict[str, tuple[int, str]]]:
    """For each finding, what it opened: ``{"nonconformity": (pk, reference)}`` and/or
    ``{"improvement": (pk, reference)}``; two queries whatever the number of findings."""
    from accord.improvement.models import Improvement, Nonconformity

    ids = [f.pk for f in findings]
    links: dict[int, dict[str, tuple[int, str]]] = {pk: {} for pk in ids}
    if not ids:
        return links
    for finding_id, pk, reference in Nonconformity.objects.filter(finding_id__in=ids).values_list(
        "finding_id", "pk", "reference"
    ):
        links[finding_id]["nonconformity"] = (pk, reference)
    source_type = ContentType.objects.get_for_model(Finding)
    for source_id, pk, reference in Improvement.objects.filter(
        source_type=source_type, source_id__in=ids
    ).values_list("source_id", "pk", "reference"):
        links.setdefault(int(source_id), {})["improvement"] = (pk, reference)
    return links


def possible_owners() -> QuerySet[Person]:
    """Active people of the provider: who may own a programme."""
    return (
        Person.objects.filter(is_active=True, organisation__kind=OrganisationKind.PROVIDER)
        .select_related("organisation")
        .order_by("first_name", "last_name", "username")
    )


def possible_auditors() -> QuerySet[Person]:
    """Active provider staff without the auditor role: who may sit on an audit team (their
    independence of the scope is checked when the audit is saved)."""
    return possible_owners().exclude(role_assignments__role=Role.AUDITOR)


def audit_years() -> list[int]:
    """The years audits are planned in, newest first (the list's year filter)."""
    return sorted({d.year for d in Audit.objects.dates("planned_start", "year")}, reverse=True)


# --- coverage -----------------------------------------------------------------------------------


def _within(number: str, scope: str) -> bool:
    """Whether clause ``number`` is ``scope`` or lies beneath it (8.6.1 within 8.6)."""
    return bool(number) and (number == scope or number.startswith(f"{scope}."))


@dataclass
class CoverageRow:
    """A clause or a process and the audits of the programme that reach it. ``state``:
    covered, partial (a clause only some of whose sub-clauses are reached) or gap."""

    record: Any
    audits: list[str] = field(default_factory=list)
    state: str = "gap"

    @property
    def colour(self) -> str:
        return {"covered": "green", "partial": "amber"}.get(self.state, "red")


@dataclass
class Coverage:
    clauses: list[CoverageRow]
    processes: list[CoverageRow]

    @property
    def clause_gaps(self) -> list[CoverageRow]:
        return [row for row in self.clauses if row.state == "gap"]

    @property
    def process_gaps(self) -> list[CoverageRow]:
        return [row for row in self.processes if row.state == "gap"]


def programme_coverage(programme: AuditProgramme) -> Coverage:
    """Which clauses (4 to 10 and their sub-clauses) and which active processes the
    programme's audits (all but cancelled ones) reach, and which they do not. A clause is
    reached when it or a clause above it is in an audit's scope, or a process in scope answers
    it; a process when it is in scope or answers a clause in scope. Five queries."""
    audits = dict(
        programme.audits.exclude(status=AuditStatus.CANCELLED).values_list("pk", "reference")
    )
    clause_scope: dict[int, set[str]] = {pk: set() for pk in audits}
    process_scope: dict[int, set[int]] = {pk: set() for pk in audits}
    named_by_process: dict[int, set[str]] = {pk: set() for pk in audits}
    for audit_id, number in Audit.clauses.through.objects.filter(
        audit_id__in=list(audits)
    ).values_list("audit_id", "clause__number"):
        clause_scope[audit_id].add(number)
    for audit_id, process_id, clause in Audit.processes.through.objects.filter(
        audit_id__in=list(audits)
    ).values_list("audit_id", "process_id", "process__clause"):
        process_scope[audit_id].add(process_id)
        if clause:
            named_by_process[audit_id].add(clause)
    clause_rows = []
    for clause in Clause.objects.order_by("position"):
        reached = [
            audits[pk]
            for pk in audits
            if any(_within(clause.number, n) for n in clause_scope[pk])
            or clause.number in named_by_process[pk]
        ]
        clause_rows.append(CoverageRow(clause, reached, "covered" if reached else "gap"))
    covered = {row.record.number for row in clause_rows if row.state == "covered"}
    for row in clause_rows:
        if row.state == "gap" and any(_within(n, row.record.number) for n in covered):
            row.state = "partial"
    process_rows = []
    for process in Process.objects.filter(is_active=True).order_by("position", "name"):
        reached = [
            audits[pk]
            for pk in audits
            if process.pk in process_scope[pk]
            or any(_within(process.clause, n) for n in clause_scope[pk])
        ]
        process_rows.append(CoverageRow(process, reached, "covered" if reached else "gap"))
    return Coverage(clause_rows, process_rows)


# --- evidence and the report --------------------------------------------------------------------
def evidence_snapshot(number: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The live evidence of a clause as it stands at ``now``, as rows to keep: a summary row,
    then each item, then each gap (``gap`` true). Empty when the register has no evidence of
    its own for the clause."""
    found = evidence_for(number, now)
    if found is None:
        return []
    rows: list[dict[str, Any]] = [
        {
            "label": "Summary",
            "value": found.summary,
            "link": "",
            "available": found.available,
            "gap": False,
        }
    ]
    for items, gap in ((found.items, False), (found.gaps, True)):
        for item in items:
            rows.append(
                {
                    "label": item.label,
                    "value": item.value,
                    "link": item.link,
                    "available": found.available,
                    "gap": gap,
                }
            )
    return rows


def _cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(value).split()).replace("|", "\\|") or "—"


def render_report(
    audit: Audit,
    *,
    summary: str,
    conclusion: str,
    issued_at: dt.datetime | None,
    issued_by: Any,
) -> str:
    """The audit report in Markdown: what was audited, by whom, against what; the checklist
    with the results, notes and evidence seen; the findings by kind with what they opened; the
    conclusion. ``issued_at`` None renders a preview."""
    lines: list[str] = [f"# Internal audit report {audit.reference}: {audit.title}", ""]
    if issued_at is None:
        lines += ["*Preview: the report is not issued yet.*", ""]
    lines += [
        f"- **Reference:** {audit.reference}",
        f"- **Programme:** {audit.programme if audit.programme_id else '—'}",
        f"- **Period:** {audit.planned_start:%Y-%m-%d} to {audit.planned_end:%Y-%m-%d}"
        + (f" (started {audit.started_at:%Y-%m-%d})" if audit.started_at else ""),
        f"- **Criteria:** {audit.criteria or DEFAULT_CRITERIA}",
    ]
    if audit.objective:
        lines.append(f"- **Objective:** {' '.join(audit.objective.split())}")
    clauses = [f"{c.number} {c.title}" for c in audit.clauses.order_by("position")]
    processes = [p.name for p in audit.processes.order_by("position", "name")]
    services = [s.name for s in audit.services.order_by("name")]
    team = [
        str(p)
        for p in audit.auditors.order_by("first_name", "last_name")
        if p.pk != audit.lead_auditor_id
    ]
    lines += [
        "",
        "## Scope",
        "",
        f"- **Clauses:** {'; '.join(clauses) or '—'}",
        f"- **Processes:** {'; '.join(processes) or '—'}",
        f"- **Services:** {'; '.join(services) or '—'}",
        "",
        "## Team",
        "",
        f"- **Lead auditor:** {audit.lead_auditor}",
        f"- **Auditors:** {', '.join(team) or '—'}",
        "",
        "## Summary",
        "",
        summary.strip() or "—",
        "",
        "## Checklist",
        "",
        "| Clause | Question | Result | Notes | Evidence seen |",
        "| --- | --- | --- | --- | --- |",
    ]
    for item in audit.checklist.select_related("clause", "checked_by").order_by("position", "pk"):
        seen = "; ".join(
            f"{row.get('label')}: {row.get('value')}" for row in item.evidence_seen or []
        )
        result = item.get_result_display()
        if item.checked_at:
            result += f" ({item.checked_by}, {item.checked_at:%Y-%m-%d})"
        lines.append(
            f"| {_cell(item.clause.number)} | {_cell(item.question)} | {_cell(result)} | "
            f"{_cell(item.notes)} | {_cell(seen)} |"
        )
    findings = list(
        audit.findings.select_related("clause", "process", "service", "raised_by").order_by(
            "reference"
        )
    )
    links = finding_links(findings)
    lines += ["", "## Findings", ""]
    if not findings:
        lines += ["No findings.", ""]
    for kind, label in FindingKind.choices:
        group = [f for f in findings if f.kind == kind]
        if not group:
            continue
        lines += [f"### {label} ({len(group)})", ""]
        for finding in group:
            where = ", ".join(
                part
                for part in (
                    f"clause {finding.clause.number}" if finding.clause_id else "",
                    f"process {finding.process.name}" if finding.process_id else "",
                    f"service {finding.service.name}" if finding.service_id else "",
                )
                if part
            )
            opened = links.get(finding.pk, {})
            follow = "; ".join(f"{label} {ref}" for label, (_pk, ref) in opened.items())
            lines.append(
                f"- **{finding.reference} {finding.title}**"
                + (f" ({where})" if where else "")
                + (f" — opened {follow}" if follow else "")
            )
            lines.append(f"  - Statement: {' '.join(finding.statement.split())}")
            if finding.evidence:
                lines.append(f"  - Evidence: {' '.join(finding.evidence.split())}")
        lines.append("")
    lines += ["## Conclusion", "", conclusion.strip() or "—", ""]
    if issued_at is not None:
        lines += [f"Issued {issued_at:%Y-%m-%d %H:%M} UTC by {issued_by}.", ""]
    return "\n".join(lines)
