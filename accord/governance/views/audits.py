"""Pages of internal audits (ISO/IEC 20000-1, 9.2): the audit list with its filters, one audit
(facts, scope, team, the checklist with each clause's live evidence, the findings and what they
opened, the moves open to the reader), the report (frozen, or a preview while under way), the
programmes with their coverage and gaps, and the forms that plan them.

Audits are the provider's: its staff and the auditor role read them (``governance.view``);
customers do not find them (404). Every write goes through
:mod:`accord.governance.services.audits`; a refusal (a conflict of independence, an open
question, a stale version) comes back onto the page with status 400, never as a server error.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View

from accord.core.models import Person
from accord.core.web import RecordFormView, paginate, run_service, scoped_object
from accord.governance.audits_forms import (
    AnswerForm,
    AuditFilterForm,
    AuditForm,
    CancelForm,
    FindingForm,
    ProgrammeForm,
    ReportForm,
    VersionOnlyForm,
    audit_initial,
    programme_initial,
)
from accord.governance.choices import (
    AUDIT_STATUS_COLOURS,
    FINDING_COLOURS,
    AuditStatus,
    ChecklistResult,
)
from accord.governance.markdown import render_markdown
from accord.governance.models import Audit, ChecklistItem, Clause, Process
from accord.governance.pack_contents import audit_report_pdf
from accord.governance.selectors import audits as selectors
from accord.governance.services import audit_programmes as programmes
from accord.governance.services import audits as services
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_visible_to

FORBIDDEN = "This page is not part of your role."
RESULT_COLOURS = {"open": "grey", "conforming": "green", "finding": "red", "not_applicable": "blue"}


class AuditReaderMixin(LoginRequiredMixin):
    """Signed-in staff and the auditor role; 404 for everyone else, so that customers do not
    learn of the provider's internal audits."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not selectors.may_read(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def require(allowed: bool) -> None:
    """403 unless ``allowed`` (staff whose role does not include the action)."""
    if not allowed:
        raise PermissionDenied(FORBIDDEN)


def link_to(name: str, pk: int) -> str:
    """The address of a record's page, or "" while that page does not exist."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def audit_selector(person: Any) -> QuerySet[Audit]:
    return selectors.audits_visible_to(person).prefetch_related(
        Prefetch("auditors", queryset=Person.objects.order_by("first_name", "last_name")),
        Prefetch("clauses", queryset=Clause.objects.order_by("position")),
        Prefetch("processes", queryset=Process.objects.order_by("position", "name")),
        Prefetch("services", queryset=Service.objects.order_by("name")),
    )


# --- the list -----------------------------------------------------------------------------------


class AuditListView(AuditReaderMixin, View):
    """``/governance/audits/``: audits, the latest planned first, filtered by status,
    programme and year; paginated, a constant number of queries."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        rows = selectors.with_counts(selectors.audits_visible_to(user))
        form = AuditFilterForm(
            request.GET or None, programmes=selectors.programmes_visible_to(user)
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            text = (data.get("q") or "").strip()
            if text:
                rows = rows.filter(Q(reference__iexact=text) | Q(title__icontains=text))
            if data.get("status"):
                rows = rows.filter(status=data["status"])
            if data.get("programme"):
                rows = rows.filter(programme=data["programme"])
            if data.get("year"):
                rows = rows.filter(planned_start__year=data["year"])
        elif form.is_bound:
            rows = rows.none()
        page = paginate(request, rows.order_by("-planned_start", "-pk"))
        return render(
            request,
            "governance/audits/list.html",
            {
                "page": page,
                "rows": [
                    {"audit": a, "colour": AUDIT_STATUS_COLOURS.get(a.status, "grey")}
                    for a in page.object_list
                ],
                "form": form,
                "years": selectors.audit_years(),
                "may_manage": services.may_manage(user),
            },
            status=400 if form.errors else 200,
        )


# --- one audit ----------------------------------------------------------------------------------


def finding_rows(audit: Audit) -> list[dict[str, Any]]:
    """The audit's findings with their badge colour and what each opened (links built here,
    so a register whose pages do not exist yet shows the reference without a link)."""
    findings = list(selectors.findings_of(audit))
    opened = selectors.finding_links(findings)
    rows = []
    for finding in findings:
        links = []
        for label, (pk, reference) in opened.get(finding.pk, {}).items():
            links.append(
                {
                    "label": label,
                    "reference": reference,
                    "url": link_to(f"{label}-detail", pk),
                }
            )
        rows.append(
            {
                "finding": finding,
                "colour": FINDING_COLOURS.get(finding.kind, "grey"),
                "links": links,
            }
        )
    return rows


def render_audit(
    request: HttpRequest,
    audit: Audit,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The audit's page, with a refused form's errors when one came back."""
    user = request.user
    bound = bound or {}
    now = timezone.now()
    conducting = services.may_conduct(user, audit)
    items = list(selectors.checklist_of(audit))
    answered_bound = bound.get("answer")
    checklist = []
    for item in items:
        if item.result == ChecklistResult.OPEN and audit.status == AuditStatus.IN_PROGRESS:
            evidence, live = selectors.evidence_snapshot(item.clause.number, now), True
        else:
            evidence, live = item.evidence_seen or [], False
        form = None
        if conducting:
            if answered_bound is not None and answered_bound[0] == item.pk:
                form = answered_bound[1]
            else:
                form = AnswerForm(
                    initial={
                        "result": item.result if item.result != ChecklistResult.OPEN else "",
                        "notes": item.notes,
                    },
                    auto_id=f"id_item_{item.pk}_%s",
                )
        checklist.append(
            {
                "item": item,
                "colour": RESULT_COLOURS.get(item.result, "grey"),
                "evidence": evidence,
                "live": live,
                "form": form,
            }
        )
    finding_form = None
    if conducting:
        finding_form = bound.get("finding") or FindingForm(
            items=selectors.checklist_of(audit),
            processes=Process.objects.order_by("position", "name"),
            services=services_visible_to(user).order_by("name"),
        )
    manage = services.may_manage(user)
    planned = audit.status == AuditStatus.PLANNED
    running = audit.status == AuditStatus.IN_PROGRESS
    open_items = [row["item"].clause.number for row in checklist if row["item"].result == "open"]
    context = {
        "audit": audit,
        "colour": AUDIT_STATUS_COLOURS.get(audit.status, "grey"),
        "team": [p for p in audit.auditors.all() if p.pk != audit.lead_auditor_id],
        "checklist": checklist,
        "open_items": open_items,
        "findings": finding_rows(audit),
        "finding_form": finding_form,
        "may_edit": manage and (planned or running),
        "start_form": bound.get("start")
        or (
            VersionOnlyForm(initial={"version": audit.version})
            if planned and services.may_start(user, audit)
            else None
        ),
        "cancel_form": bound.get("cancel")
        or (
            CancelForm(initial={"version": audit.version})
            if manage and (planned or running)
            else None
        ),
        "report_form": bound.get("report")
        or (
            ReportForm(
                initial={
                    "version": audit.version,
                    "summary": audit.summary,
                    "conclusion": audit.conclusion,
                }
            )
            if running and services.is_lead(user, audit)
            else None
        ),
        "conducting": conducting,
        "on_team": services.is_team_member(user, audit),
    }
    return render(request, "governance/audits/detail.html", context, status=status)


class AuditDetailView(AuditReaderMixin, View):
    """``/governance/audits/<pk>/``."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_audit(request, scoped_object(audit_selector, request.user, pk=pk))


class AuditActionView(AuditReaderMixin, View):
    """A POST-only action on one audit. A refusal re-renders its page (400)."""

    #: The detail page's name for this action's form.
    name: str

    def check(self, request: HttpRequest, audit: Audit) -> None:
        raise NotImplementedError

    def form(self, request: HttpRequest, audit: Audit) -> forms.Form:
        raise NotImplementedError

    def call(self, request: HttpRequest, audit: Audit, form: Any) -> str:
        """Run the service; return the success message."""
        raise NotImplementedError

    def bound(self, form: forms.Form) -> Any:
        return form

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        audit = scoped_object(audit_selector, request.user, pk=pk)
        self.kwargs = {"pk": pk, **kwargs}
        self.check(request, audit)
        form = self.form(request, audit)
        if form.is_valid():
            message = run_service(form, lambda: self.call(request, audit, form))
            if message is not None:
                messages.success(request, message)
                return redirect("audit-detail", pk=audit.pk)
        fresh = scoped_object(audit_selector, request.user, pk=pk)
        return render_audit(request, fresh, bound={self.name: self.bound(form)}, status=400)


class AuditStartView(AuditActionView):
    """``/governance/audits/<pk>/start/``: managers or the lead; draws the checklist."""

    name = "start"

    def check(self, request: HttpRequest, audit: Audit) -> None:
        require(services.may_start(request.user, audit))

    def form(self, request: HttpRequest, audit: Audit) -> forms.Form:
        return VersionOnlyForm(request.POST)

    def call(self, request: HttpRequest, audit: Audit, form: Any) -> str:
        started = services.audit_start(
            actor=request.user, audit=audit, version=form.cleaned_data["version"]
        )
        return (
            f"{started.reference} started: its checklist has {started.checklist.count()} questions."
        )


class AuditCancelView(AuditActionView):
    """``/governance/audits/<pk>/cancel/``: managers, with a reason."""

    name = "cancel"

    def check(self, request: HttpRequest, audit: Audit) -> None:
        require(services.may_manage(request.user))

    def form(self, request: HttpRequest, audit: Audit) -> forms.Form:
        return CancelForm(request.POST)

    def call(self, request: HttpRequest, audit: Audit, form: Any) -> str:
        cancelled = services.audit_cancel(
            actor=request.user,
            audit=audit,
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data["version"],
        )
        return f"{cancelled.reference} cancelled."


class ReportIssueView(AuditActionView):
    """``/governance/audits/<pk>/report/issue/``: the lead auditor freezes the report."""

    name = "report"

    def check(self, request: HttpRequest, audit: Audit) -> None:
        require(services.is_lead(request.user, audit))

    def form(self, request: HttpRequest, audit: Audit) -> forms.Form:
        return ReportForm(request.POST)

    def call(self, request: HttpRequest, audit: Audit, form: Any) -> str:
        data = form.cleaned_data
        reported = services.audit_report(
            actor=request.user,
            audit=audit,
            summary=data["summary"],
            conclusion=data["conclusion"],
            version=data["version"],
        )
        return f"{reported.reference} reported: the report is issued and frozen."


class AnswerView(AuditActionView):
    """``/governance/audits/<pk>/checklist/<item_pk>/answer/``: a team member answers."""

    name = "answer"

    def check(self, request: HttpRequest, audit: Audit) -> None:
        require(services.is_team_member(request.user, audit))

    def item(self, audit: Audit) -> ChecklistItem:
        return get_object_or_404(ChecklistItem, pk=self.kwargs["item_pk"], audit=audit)

    def form(self, request: HttpRequest, audit: Audit) -> forms.Form:
        self.item(audit)
        return AnswerForm(request.POST, auto_id=f"id_item_{self.kwargs['item_pk']}_%s")

    def bound(self, form: forms.Form) -> Any:
        return (self.kwargs["item_pk"], form)

    def call(self, request: HttpRequest, audit: Audit, form: Any) -> str:
        item = services.checklist_answer(
            actor=request.user,
            item=self.item(audit),
            result=form.cleaned_data["result"],
            notes=form.cleaned_data["notes"],
        )
        return f"{item.clause.number}: {item.get_result_display().lower()}."


class FindingAddView(AuditActionView):
    """``/governance/audits/<pk>/findings/``: a team member raises a finding."""

    name = "finding"

    def check(self, request: HttpRequest, audit: Audit) -> None:
        require(services.is_team_member(request.user, audit))

    def form(self, request: HttpRequest, audit: Audit) -> forms.Form:
        return FindingForm(
            request.POST,
            items=selectors.checklist_of(audit),
            processes=Process.objects.order_by("position", "name"),
            services=services_visible_to(request.user).order_by("name"),
        )

    def call(self, request: HttpRequest, audit: Audit, form: Any) -> str:
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        finding = services.finding_create(actor=request.user, audit=audit, data=data)
        return f"Finding {finding.reference} raised."


class AuditReportView(AuditReaderMixin, View):
    """``/governance/audits/<pk>/report/``: the report as issued, or a preview of it while the
    audit is under way."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        audit = scoped_object(audit_selector, request.user, pk=pk)
        preview = audit.status != AuditStatus.REPORTED
        text = (
            audit.report
            if not preview
            else selectors.render_report(
                audit,
                summary=audit.summary,
                conclusion=audit.conclusion,
                issued_at=None,
                issued_by=None,
            )
        )
        return render(
            request,
            "governance/audits/report.html",
            {
                "audit": audit,
                "preview": preview,
                "html": mark_safe(render_markdown(text)),  # noqa: S308 - sanitised by nh3
            },
        )


class AuditReportPdfView(AuditReaderMixin, View):
    """``/governance/audits/<pk>/report.pdf``: the issued report as a PDF (404 before it is
    issued: a preview is not a document to hand over)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        audit = scoped_object(audit_selector, request.user, pk=pk)
        if audit.status != AuditStatus.REPORTED:
            raise Http404("The report is not issued yet.")
        response = HttpResponse(
            audit_report_pdf(audit, now=timezone.now()), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{audit.reference}-report.pdf"'
        return response


class AuditFormView(AuditReaderMixin, RecordFormView):
    """``/governance/audits/new/`` and ``/governance/audits/<pk>/edit/`` (``audits.manage``).
    A reported or cancelled audit is not changed."""

    capability = "audits.manage"
    form_class = AuditForm
    selector = staticmethod(audit_selector)
    noun = "audit"
    detail_url_name = "audit-detail"
    list_url_name = "internal-audit-list"

    def get_object(self) -> Any:
        obj = super().get_object()
        require(services.may_manage(self.request.user))
        return obj

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        if obj is not None and obj.status in (AuditStatus.REPORTED, AuditStatus.CANCELLED):
            messages.error(request, f"{obj.reference} is {obj.get_status_display().lower()}.")
            return redirect("audit-detail", pk=obj.pk)
        return self.render_form(self.get_form(obj), obj)

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            "programmes": selectors.programmes_visible_to(user).order_by("-starts_on"),
            "auditors": selectors.possible_auditors(),
            "clauses": Clause.objects.order_by("position"),
            "processes": Process.objects.order_by("position", "name"),
            "services": services_visible_to(user).order_by("name"),
            "started": obj is not None and obj.status == AuditStatus.IN_PROGRESS,
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return audit_initial(obj)
        return {
            "programme": self.request.GET.get("programme"),
            "criteria": selectors.DEFAULT_CRITERIA,
        }

    def bound_initial(self, obj: Any) -> dict[str, Any] | None:
        return audit_initial(obj) if obj is not None else None

    def create(self, data: dict[str, Any]) -> Any:
        return services.audit_create(actor=self.request.user, data=data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        stored = audit_initial(obj)
        started = obj.status == AuditStatus.IN_PROGRESS
        changed = {}
        for name, value in data.items():
            if started and name not in ("title", "objective", "criteria"):
                continue
            if isinstance(value, QuerySet | list):
                ids = sorted(getattr(v, "pk", v) for v in value)
                if ids != sorted(stored.get(name) or []):
                    changed[name] = list(value)
            elif getattr(value, "pk", value) != stored.get(name):
                changed[name] = value
        if "auditors" in changed and "lead_auditor" not in changed:
            changed["lead_auditor"] = data["lead_auditor"]
        return services.audit_update(
            actor=self.request.user, audit=obj, data=changed, version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Plan an audit"

    def success_message(self, result: Any) -> str:
        return f"Audit {result.reference} saved."


# --- programmes ---------------------------------------------------------------------------------


class ProgrammeListView(AuditReaderMixin, View):
    """``/governance/audit-programmes/``."""

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = (
            selectors.programmes_visible_to(request.user)
            .annotate(audit_count=Count("audits", filter=~Q(audits__status=AuditStatus.CANCELLED)))
            .order_by("-starts_on", "-pk")
        )
        return render(
            request,
            "governance/audits/programme_list.html",
            {"page": paginate(request, rows), "may_manage": services.may_manage(request.user)},
        )


class ProgrammeDetailView(AuditReaderMixin, View):
    """``/governance/audit-programmes/<pk>/``: its audits and its coverage, gaps shown."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        programme = scoped_object(selectors.programmes_visible_to, request.user, pk=pk)
        audits = selectors.with_counts(
            selectors.audits_visible_to(request.user).filter(programme=programme)
        ).order_by("planned_start", "pk")
        return render(
            request,
            "governance/audits/programme_detail.html",
            {
                "programme": programme,
                "audits": [
                    {"audit": a, "colour": AUDIT_STATUS_COLOURS.get(a.status, "grey")}
                    for a in audits
                ],
                "coverage": selectors.programme_coverage(programme),
                "may_manage": services.may_manage(request.user),
            },
        )


class ProgrammeFormView(AuditReaderMixin, RecordFormView):
    """``/governance/audit-programmes/new/`` and ``…/<pk>/edit/`` (``audits.manage``)."""

    capability = "audits.manage"
    form_class = ProgrammeForm
    selector = staticmethod(selectors.programmes_visible_to)
    noun = "audit programme"
    detail_url_name = "audit-programme-detail"
    list_url_name = "audit-programme-list"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {"owners": selectors.possible_owners()}

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return programme_initial(obj)
        return {"owner": self.request.user.pk}

    def create(self, data: dict[str, Any]) -> Any:
        return programmes.programme_create(actor=self.request.user, data=data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        stored = programme_initial(obj)
        changed = {k: v for k, v in data.items() if getattr(v, "pk", v) != stored.get(k)}
        return programmes.programme_update(
            actor=self.request.user, programme=obj, data=changed, version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Plan an audit programme"

    def success_message(self, result: Any) -> str:
        return f"Audit programme {result.reference} saved."


urlpatterns: list[URLPattern] = [
    path("governance/audits/", AuditListView.as_view(), name="internal-audit-list"),
    path("governance/audits/new/", AuditFormView.as_view(), name="audit-create"),
    path("governance/audits/<int:pk>/", AuditDetailView.as_view(), name="audit-detail"),
    path("governance/audits/<int:pk>/edit/", AuditFormView.as_view(), name="audit-edit"),
    path("governance/audits/<int:pk>/report/", AuditReportView.as_view(), name="audit-report"),
    path(
        "governance/audits/<int:pk>/report.pdf",
        AuditReportPdfView.as_view(),
        name="audit-report-pdf",
    ),
    path("governance/audits/<int:pk>/start/", AuditStartView.as_view(), name="audit-start"),
    path("governance/audits/<int:pk>/cancel/", AuditCancelView.as_view(), name="audit-cancel"),
    path(
        "governance/audits/<int:pk>/report/issue/",
        ReportIssueView.as_view(),
        name="audit-report-issue",
    ),
    path(
        "governance/audits/<int:pk>/checklist/<int:item_pk>/answer/",
        AnswerView.as_view(),
        name="audit-answer",
    ),
    path(
        "governance/audits/<int:pk>/findings/", FindingAddView.as_view(), name="audit-finding-add"
    ),
    path(
        "governance/audit-programmes/",
        ProgrammeListView.as_view(),
        name="audit-programme-list",
    ),
    path(
        "governance/audit-programmes/new/",
        ProgrammeFormView.as_view(),
        name="audit-programme-create",
    ),
    path(
        "governance/audit-programmes/<int:pk>/",
        ProgrammeDetailView.as_view(),
        name="audit-programme-detail",
    ),
    path(
        "governance/audit-programmes/<int:pk>/edit/",
        ProgrammeFormView.as_view(),
        name="audit-programme-edit",
    ),
]
