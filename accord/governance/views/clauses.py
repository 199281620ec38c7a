"""Pages of the clause register: the register with its conformity dashboard, a clause with its
evidence and history, and the assessment form. Read by ``governance.view``; assessed by
``clauses.assess`` through :func:`accord.governance.services.clauses.clause_assess`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from accord.core.permissions import has_capability
from accord.core.selectors import audit_events_visible_to
from accord.core.web import CapabilityRequiredMixin, RecordFormView, scoped_object
from accord.governance.clauses_forms import ClauseAssessForm, assess_initial
from accord.governance.models import Clause
from accord.governance.selectors.clauses import (
    clauses_visible_to,
    clauses_with_evidence,
    conformity_summary,
    documents_visible_to,
    evidence_data,
    rows_with_evidence,
    with_documents,
)
from accord.governance.services.clauses import clause_assess

#: Fill colours of the dashboard bars, beside the badge colours of CONFORMITY_COLOURS.
BAR_FILLS = {"green": "#2f9e55", "amber": "#e8a23a", "red": "#d64545", "grey": "#c3c8d0"}
BAR_WIDTH = 240


def _bar(segments: list[Any]) -> list[dict[str, Any]]:
    """Stacked bar pieces (x, width, fill) for an inline SVG, in status order."""
    pieces, x = [], 0.0
    for segment in segments:
        width = BAR_WIDTH * segment.percent / 100
        if segment.count:
            pieces.append(
                {
                    "x": round(x, 1),
                    "width": round(width, 1),
                    "fill": BAR_FILLS[segment.colour],
                    "title": f"{segment.label}: {segment.count}",
                }
            )
        x += width
    return pieces


def _clause(user: Any, number: str) -> Clause:
    return scoped_object(lambda u: with_documents(clauses_visible_to(u), u), user, number=number)


class ClauseRegisterView(CapabilityRequiredMixin, View):
    """Every clause from 4 to 10 with its status and evidence; the dashboard on top."""

    capability = "governance.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        rows = clauses_with_evidence(user, timezone.now())
        summary = conformity_summary(user)
        titles = {row.number: row.clause.title for row in rows if row.depth == 0}
        groups = [
            {
                "number": group.number,
                "title": titles.get(group.number, ""),
                "total": group.total,
                "segments": group.segments,
                "bar": _bar(group.segments),
            }
            for group in summary.groups
        ]
        return render(
            request,
            "governance/clauses/register.html",
            {
                "rows": rows,
                "overall": summary.overall,
                "overall_bar": _bar(summary.overall.segments),
                "groups": groups,
                "bar_width": BAR_WIDTH,
                "can_assess": has_capability(user, "clauses.assess"),
            },
        )


class ClauseDetailView(CapabilityRequiredMixin, View):
    """One clause: what it asks, its live evidence, linked documents, the assessment history
    and, for assessors, the assessment form."""

    capability = "governance.view"

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        user = request.user
        clause = _clause(user, number)
        (row,) = rows_with_evidence([clause], timezone.now())
        can_assess = has_capability(user, "clauses.assess")
        form = None
        if can_assess:
            form = ClauseAssessForm(
                initial=assess_initial(clause), documents=documents_visible_to(user)
            )
        children = clauses_visible_to(user).filter(parent=clause)
        return render(
            request,
            "governance/clauses/detail.html",
            {
                "clause": clause,
                "row": row,
                "evidence": evidence_data(row),
                "children": children,
                "events": audit_events_visible_to(user)
                .select_related("actor")
                .filter(object_type="governance.clause", object_id=str(clause.pk))
                .order_by("-occurred_at", "-pk")[:30],
                "form": form,
            },
        )


class ClauseAssessView(RecordFormView):
    """The assessment form of one clause (also shown on the clause page)."""

    capability = "clauses.assess"
    form_class = ClauseAssessForm
    selector = staticmethod(clauses_visible_to)
    noun = "clause"
    detail_url_name = "clause-detail"
    list_url_name = "clause-list"

    def get_object(self) -> Any:
        return _clause(self.request.user, self.kwargs["number"])

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {"documents": documents_visible_to(self.request.user)}

    def initial(self, obj: Any) -> dict[str, Any]:
        return assess_initial(obj)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return clause_assess(
            actor=self.request.user,
            clause=obj,
            status=data["status"],
            notes=data.get("notes", ""),
            documents=list(data.get("documents") or []),
            assessed_on=data.get("assessed_on"),
            expected_version=version,
        )

    def title(self, obj: Any) -> str:
        return f"Assess {obj}"

    def success_message(self, result: Any) -> str:
        return f"Clause {result} saved: {result.get_status_display()}."

    def success_url(self, result: Any) -> str:
        return reverse("clause-detail", args=[result.number])

    def cancel_url(self, obj: Any) -> str:
        return reverse("clause-detail", args=[obj.number])


urlpatterns = [
    path("governance/clauses/", ClauseRegisterView.as_view(), name="clause-list"),
    path("governance/clauses/<str:number>/", ClauseDetailView.as_view(), name="clause-detail"),
    path(
        "governance/clauses/<str:number>/assess/",
        ClauseAssessView.as_view(),
        name="clause-assess",
    ),
]
