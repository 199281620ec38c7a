"""Read queries of the clause register, scoped to what the reader may see.

The register belongs to the provider: its staff and auditors (``governance.view``) read it,
customers never do (their lists are empty, a clause answers 404). The live evidence of each
clause is computed here, each evidence function at most once per reading, so the register's
queries are bounded by the number of functions, not by the records behind them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Left, StrIndex

from accord.core.permissions import has_capability, sees_all_organisations
from accord.governance.choices import CONFORMITY_COLOURS, Conformity
from accord.governance.evidence import EVIDENCE, Evidence, EvidenceFunction
from accord.governance.models import Clause
from accord.governance.selectors.documents import documents_visible_to

__all__ = [
    "ClauseFilterSet",
    "ClauseRow",
    "clauses_visible_to",
    "clauses_with_evidence",
    "conformity_summary",
    "documents_visible_to",
    "evidence_data",
    "rows_with_evidence",
    "with_documents",
]

NUMBER_PATTERN = re.compile(r"^\d{1,2}(\.\d{1,2}){0,3}$")


def may_read_clauses(person: Any) -> bool:
    """Provider staff and auditors holding ``governance.view``."""
    return sees_all_organisations(person) and has_capability(person, "governance.view")


def clauses_visible_to(person: Any) -> QuerySet[Clause]:
    """Every clause for readers of the register; nothing for anyone else."""
    qs = Clause.objects.select_related("assessed_by", "parent").order_by("position", "pk")
    if not may_read_clauses(person):
        return qs.none()
    return qs


def with_documents(qs: QuerySet[Clause], person: Any) -> QuerySet[Clause]:
    """Prefetch the linked documents the reader may see (one query for all clauses)."""
    return qs.prefetch_related(
        Prefetch("documents", queryset=documents_visible_to(person).order_by("reference"))
    )


class ClauseFilterSet(django_filters.FilterSet):
    """Filters of the register, shared by the page and the API."""

    status = django_filters.ChoiceFilter(
        choices=Conformity.choices, help_text="Assessed conformity."
    )
    within = django_filters.CharFilter(
        method="filter_within",
        label="Within clause",
        help_text="A clause number such as 8.6: that clause and its sub-clauses.",
        max_length=16,
        validators=[RegexValidator(NUMBER_PATTERN, "Give a clause number such as 8 or 8.6.")],
    )

    class Meta:
        model = Clause
        fields = ["status", "within"]

    def filter_within(self, queryset: QuerySet[Clause], name: str, value: str) -> QuerySet[Clause]:
        return queryset.filter(Q(number=value) | Q(number__startswith=f"{value}."))


# --- The register with its evidence -------------------------------------------------------------


@dataclass
class ClauseRow:
    """A clause as the register shows it: its place in the tree and its evidence.

    ``evidence`` is the clause's own; ``evidence_from`` names the clause whose evidence covers
    it when it has none of its own (7.5.2 is covered by 7.5).
    """

    clause: Clause
    depth: int
    has_children: bool
    evidence: Evidence | None
    evidence_from: str = ""

    @property
    def number(self) -> str:
        return self.clause.number


def _computed(function: EvidenceFunction, now: dt.datetime, cache: dict[Any, Evidence]) -> Evidence:
    if function not in cache:
        cache[function] = function(now)
    return cache[function]


def rows_with_evidence(clauses: list[Clause], now: dt.datetime) -> list[ClauseRow]:
    """Rows for ``clauses`` (in register order) with their evidence, each evidence function
    called once however many clauses share it."""
    parents = {c.parent_id for c in clauses}
    cache: dict[Any, Evidence] = {}
    rows = []
    for clause in clauses:
        function = EVIDENCE.get(clause.number)
        evidence = _computed(function, now, cache) if function else None
        covered_by = ""
        if evidence is None:
            parent = clause.parent.number if clause.parent_id else ""
            if parent in EVIDENCE:
                covered_by = parent
        rows.append(
            ClauseRow(
                clause=clause,
                depth=clause.depth,
                has_children=clause.pk in parents,
                evidence=evidence,
                evidence_from=covered_by,
            )
        )
    return rows


def clauses_with_evidence(person: Any, now: dt.datetime) -> list[ClauseRow]:
    """The whole register as ``person`` may read it, in order, with live evidence and linked
    documents. Its queries do not grow with the services, incidents or clauses behind it."""
    clauses = list(with_documents(clauses_visible_to(person), person))
    return rows_with_evidence(clauses, now)


def evidence_data(row: ClauseRow) -> dict[str, Any] | None:
    """The evidence of a row as the API shows it (None: none of its own, nor of its parent)."""
    evidence: Evidence | None = row.evidence
    if evidence is None:
        if not row.evidence_from:
            return None
        return {
            "available": True,
            "summary": f"See the evidence of clause {row.evidence_from}.",
            "items": [],
            "gaps": [],
            "covered_by": row.evidence_from,
        }
    return {
        "available": evidence.available,
        "summary": evidence.summary,
        "items": [item._asdict() for item in evidence.items],
        "gaps": [item._asdict() for item in evidence.gaps],
        "covered_by": "",
    }


# --- Conformity dashboard -----------------------------------------------------------------------


@dataclass
class Segment:
    status: str
    label: str
    colour: str
    count: int
    percent: float


@dataclass
class ConformityGroup:
    """Counts per status of one top-level clause and its sub-clauses (or of all clauses)."""

    number: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def segments(self) -> list[Segment]:
        total = self.total or 1
        return [
            Segment(
                status=value,
                label=str(label),
                colour=CONFORMITY_COLOURS[value],
                count=self.counts.get(value, 0),
                percent=round(100 * self.counts.get(value, 0) / total, 1),
            )
            for value, label in Conformity.choices
        ]


@dataclass
class ConformitySummary:
    overall: ConformityGroup
    groups: list[ConformityGroup]


def conformity_summary(person: Any) -> ConformitySummary:
    """Clauses per conformity status, over all clauses and per top-level clause (4 to 10,
    each with its sub-clauses), in one aggregate query."""
    top = Case(
        When(number__contains=".", then=Left("number", StrIndex("number", Value(".")) - 1)),
        default=F("number"),
    )
    rows = (
        clauses_visible_to(person)
        .order_by()
        .annotate(top=top)
        .values_list("top", "status")
        .annotate(n=Count("pk"))
    )
    overall = ConformityGroup(number="")
    groups: dict[str, ConformityGroup] = {}
    for number, status, n in rows:
        group = groups.setdefault(number, ConformityGroup(number=number))
        group.counts[status] = group.counts.get(status, 0) + n
        overall.counts[status] = overall.counts.get(status, 0) + n
    ordered = sorted(groups.values(), key=lambda g: (not g.number.isdigit(), g.number.zfill(4)))
    return ConformitySummary(overall=overall, groups=ordered)
