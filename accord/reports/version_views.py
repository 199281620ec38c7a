"""Pages of stored service report versions and their monthly schedules (the provider's side).

``/reports/versions/``: every version, filtered by what it covers, its status and month;
``/reports/versions/<pk>/``: one version, its compiled figures shown with the same sections as
the live report, the commentary, the sign-off, the customer's acknowledgement, the deliveries
and, for the service level manager, the actions open to them; ``…/pdf/``: the signed PDF as
it was frozen (a draft's rendered now, marked as a draft). ``/reports/schedules/``: monthly
deliveries, created, changed and removed here.

Provider staff and the auditor read (``reports.view``); only the service level manager
(``reports.manage``) acts, others get 403; everyone else (customers included: they read their
signed reports in the portal) gets 404. Every write goes through
:mod:`accord.reports.services`; a refusal comes back onto the page with status 400, a stale
version with a clear message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View

from accord.core.records import StaleVersion
from accord.core.web import paginate, run_service, scoped_object
from accord.governance.markdown import render_markdown
from accord.reports import services
from accord.reports.builder import display_sections, reference_links
from accord.reports.choices import REPORT_STATUS_COLOURS, ReportStatus
from accord.reports.forms import ReportForm
from accord.reports.models import ReportSchedule, ServiceReport
from accord.reports.selectors import (
    may_report_provider,
    report_schedules_visible_to,
    service_reports_visible_to,
)
from accord.reports.version_forms import (
    CommentaryForm,
    ScheduleForm,
    SendForm,
    VersionFilterForm,
    VersionForm,
)

FORBIDDEN = "This page is not part of your role."


class ProviderReaderMixin(LoginRequiredMixin):
    """Signed-in provider staff and auditors; 404 for everyone else."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_report_provider(request.user):
            raise Http404("No such page.")
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response


def require_manage(person: Any) -> None:
    """403 for staff whose role does not include managing reports."""
    if not services.may_manage_reports(person):
        raise PermissionDenied(FORBIDDEN)


def report_selector(person: Any) -> QuerySet[ServiceReport]:
    """Versions the person may read, without the PDF bytes (read only by the PDF page)."""
    return service_reports_visible_to(person).select_related("superseded_by").defer("pdf")


def subject_label(report: ServiceReport | ReportSchedule) -> str:
    if report.agreement_id is not None:
        return f"{report.agreement.code} {report.agreement.name}"
    if report.service_id is not None:
        return f"{report.service.code} {report.service.name}"
    return "All services"


def commentary_html(text: str) -> str:
    """The commentary's Markdown as safe HTML (raw HTML in it stays text)."""
    return mark_safe(render_markdown(text)) if text else ""  # noqa: S308


# --- the list -----------------------------------------------------------------------------------


class ServiceReportListView(ProviderReaderMixin, View):
    """``/reports/versions/``: newest period first, filtered; paginated, constant queries."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        rows = report_selector(user).defer("content")
        form = VersionFilterForm(request.GET or None, person=user)
        if form.is_bound and form.is_valid():
            rows = form.apply(rows)
        elif form.is_bound:
            rows = rows.none()
        page = paginate(request, rows)
        return render(
            request,
            "reports/version_list.html",
            {
                "page": page,
                "rows": [
                    {
                        "report": r,
                        "subject": subject_label(r),
                        "colour": REPORT_STATUS_COLOURS.get(r.status, "grey"),
                    }
                    for r in page.object_list
                ],
                "form": form,
                "may_manage": services.may_manage_reports(user),
            },
            status=400 if form.errors else 200,
        )


# --- one version --------------------------------------------------------------------------------


def compile_initial(report: ServiceReport) -> dict[str, Any]:
    """The query that compiles this report again (a new revision of the same subject and
    period)."""
    return {
        "agreement": report.agreement_id or "",
        "service": report.service_id or "",
        "start": report.period_start.isoformat(),
        "end": report.period_end.isoformat(),
    }


def render_report(
    request: HttpRequest,
    report: ServiceReport,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The version's page, with a refused form's errors when one came back."""
    user = request.user
    bound = bound or {}
    manage = services.may_manage_reports(user)
    draft = report.status == ReportStatus.DRAFT
    sendable = report.status in (ReportStatus.SIGNED, ReportStatus.ACKNOWLEDGED)
    version = {"version": report.version}
    content = report.content or {"meta": {}, "sections": []}
    stale = any(getattr(f, "stale_version", None) is not None for f in bound.values())
    context = {
        "report": report,
        "subject": subject_label(report),
        "colour": REPORT_STATUS_COLOURS.get(report.status, "grey"),
        "meta": content.get("meta", {}),
        "sections": display_sections(content, reference_links(content, user)),
        "commentary": commentary_html(report.commentary),
        "deliveries": list(report.deliveries.select_related("sent_by", "schedule")),
        "revisions": list(
            ServiceReport.objects.filter(
                subject_key=report.subject_key,
                period_start=report.period_start,
                period_end=report.period_end,
            )
            .exclude(pk=report.pk)
            .only("pk", "reference", "revision", "status")
            .order_by("-revision")
        ),
        "may_manage": manage,
        "stale": stale,
        "comment_form": bound.get("comment")
        or (
            CommentaryForm(initial={**version, "commentary": report.commentary})
            if manage and draft
            else None
        ),
        "refresh_form": bound.get("refresh")
        or (VersionForm(initial=version) if manage and draft else None),
        "sign_form": bound.get("sign")
        or (VersionForm(initial=version) if manage and draft else None),
        "send_form": bound.get("send")
        or (SendForm(report=report) if manage and sendable else None),
        "compile_initial": compile_initial(report) if manage and not draft else None,
    }
    return render(request, "reports/version_detail.html", context, status=status)


class ServiceReportDetailView(ProviderReaderMixin, View):
    """``/reports/versions/<pk>/``."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_report(request, scoped_object(report_selector, request.user, pk=pk))


def pdf_response(report: ServiceReport, now: dt.datetime) -> HttpResponse:
    """A frozen version's stored PDF, byte for byte, with its SHA-256; a draft's rendered
    now and named as a draft (it is not the document anyone signed)."""
    if report.is_frozen and report.pdf:
        response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
        response["X-Content-SHA256"] = report.pdf_sha256
        name = report.pdf_filename()
    else:
        response = HttpResponse(
            services.render_version_pdf(report, now), content_type="application/pdf"
        )
        response["X-Accord-Draft"] = "true"
        name = report.pdf_filename().removesuffix(".pdf") + "-draft.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class ServiceReportPdfView(ProviderReaderMixin, View):
    """``/reports/versions/<pk>/pdf/``."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = scoped_object(service_reports_visible_to, request.user, pk=pk)
        return pdf_response(report, timezone.now())


class ReportActionView(ProviderReaderMixin, View):
    """A POST-only action of the service level manager on one version; a refusal re-renders
    the version's page with the errors (400)."""

    #: The key of this action's form on the page.
    name: str

    def form(self, request: HttpRequest, report: ServiceReport) -> forms.Form:
        return VersionForm(request.POST)

    def call(self, request: HttpRequest, report: ServiceReport, form: Any) -> str:
        """Run the service; return the success message."""
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = scoped_object(report_selector, request.user, pk=pk)
        require_manage(request.user)
        form = self.form(request, report)
        if form.is_valid():
            message = run_service(form, lambda: self.call(request, report, form))
            if message is not None:
                messages.success(request, message)
                return redirect("service-report-detail", pk=report.pk)
        fresh = scoped_object(report_selector, request.user, pk=pk)
        return render_report(request, fresh, bound={self.name: form}, status=400)


class ServiceReportRefreshView(ReportActionView):
    """``/reports/versions/<pk>/refresh/``: compile a draft's figures again."""

    name = "refresh"

    def call(self, request: HttpRequest, report: ServiceReport, form: Any) -> str:
        services.report_refresh(
            actor=request.user,
            report=report,
            now=timezone.now(),
            expected_version=form.cleaned_data["version"],
        )
        return f"{report.reference}: the figures were compiled again from the live records."


class ServiceReportCommentView(ReportActionView):
    """``/reports/versions/<pk>/comment/``: write the draft's commentary."""

    name = "comment"

    def form(self, request: HttpRequest, report: ServiceReport) -> forms.Form:
        return CommentaryForm(request.POST)

    def call(self, request: HttpRequest, report: ServiceReport, form: Any) -> str:
        services.report_comment(
            actor=request.user,
            report=report,
            commentary=form.cleaned_data["commentary"],
            expected_version=form.cleaned_data["version"],
        )
        return f"{report.reference}: commentary saved."


class ServiceReportSignOffView(ReportActionView):
    """``/reports/versions/<pk>/sign-off/``: freeze the draft with its PDF."""

    name = "sign"

    def call(self, request: HttpRequest, report: ServiceReport, form: Any) -> str:
        signed = services.report_sign_off(
            actor=request.user,
            report=report,
            now=timezone.now(),
            expected_version=form.cleaned_data["version"],
        )
        return (
            f"{signed.reference} signed off: its figures, commentary and PDF are frozen "
            f"(SHA-256 {signed.pdf_sha256[:12]}…)."
        )


class ServiceReportSendView(ReportActionView):
    """``/reports/versions/<pk>/send/``: send the signed report to chosen people."""

    name = "send"

    def form(self, request: HttpRequest, report: ServiceReport) -> forms.Form:
        return SendForm(request.POST, report=report)

    def call(self, request: HttpRequest, report: ServiceReport, form: Any) -> str:
        delivery = services.report_send(
            actor=request.user,
            report=report,
            recipients=form.cleaned_data["recipients"],
            attach_pdf=form.cleaned_data["attach_pdf"],
            now=timezone.now(),
        )
        names = ", ".join(r["name"] for r in delivery.recipients)
        how = "with the PDF attached" if delivery.attach_pdf else "with a link"
        return f"{report.reference} sent to {names} {how}."


class ServiceReportCompileView(ProviderReaderMixin, View):
    """``/reports/versions/compile/`` (POST): save the report of a subject and period as a
    draft version (the same query as the live report), or refresh its draft, or compile a
    new revision of a signed one."""

    def post(self, request: HttpRequest) -> HttpResponse:
        require_manage(request.user)
        now = timezone.now()
        form = ReportForm(request.POST, person=request.user, now=now)
        try:
            valid = form.is_valid()
        except ObjectDoesNotExist as exc:
            raise Http404("No such report.") from exc
        errors: list[str] = []
        if valid and form.scope is not None:
            scope = form.scope
            try:
                report = services.report_compile(
                    actor=request.user,
                    agreement=scope.agreement,
                    service=scope.service,
                    start=scope.start,
                    end=scope.end,
                    now=now,
                )
            except StaleVersion as exc:
                errors.append(str(exc))
            except ValidationError as exc:
                errors += list(exc.messages)
            else:
                messages.success(
                    request,
                    f"{report.reference} (revision {report.revision}) saved as a draft: "
                    "write the commentary, then sign it off.",
                )
                return redirect("service-report-detail", pk=report.pk)
        return render(request, "reports/index.html", {"form": form, "errors": errors}, status=400)


# --- schedules ----------------------------------------------------------------------------------


def schedule_selector(person: Any) -> QuerySet[ReportSchedule]:
    return report_schedules_visible_to(person).select_related("organisation", "owner")


class ScheduleListView(ProviderReaderMixin, View):
    """``/reports/schedules/``: every schedule with its subject, owner, recipients and last
    delivery; paginated, constant queries."""

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = schedule_selector(request.user).annotate(
            recipient_count=Count("recipients", distinct=True),
            delivery_count=Count("deliveries", distinct=True),
        )
        page = paginate(request, rows)
        return render(
            request,
            "reports/schedule_list.html",
            {
                "page": page,
                "rows": [{"schedule": s, "subject": subject_label(s)} for s in page.object_list],
                "may_manage": services.may_manage_reports(request.user),
            },
        )


def schedule_initial(schedule: ReportSchedule) -> dict[str, Any]:
    """What the schedule's form shows: its stored values and version."""
    return {
        "version": schedule.version,
        "name": schedule.name,
        "subject": schedule.subject_key,
        "owner": schedule.owner_id,
        "recipients": [p.pk for p in schedule.recipients.all()],
        "attach_pdf": schedule.attach_pdf,
        "is_active": schedule.is_active,
    }


def render_schedule_form(
    request: HttpRequest,
    form: ScheduleForm,
    schedule: ReportSchedule | None,
    *,
    status: int = 200,
    delete_form: forms.Form | None = None,
) -> HttpResponse:
    template = "reports/schedule_detail.html" if schedule else "reports/schedule_form.html"
    context: dict[str, Any] = {
        "form": form,
        "schedule": schedule,
        "may_manage": services.may_manage_reports(request.user),
        "stale": any(
            getattr(f, "stale_version", None) is not None for f in (form, delete_form) if f
        ),
    }
    if schedule is not None:
        context["subject"] = subject_label(schedule)
        context["recipients"] = list(schedule.recipients.select_related("organisation"))
        context["deliveries"] = list(
            schedule.deliveries.select_related("report", "sent_by").order_by("-sent_at")[:50]
        )
        context["delete_form"] = delete_form or VersionForm(initial={"version": schedule.version})
    return render(request, template, context, status=status)


class ScheduleCreateView(ProviderReaderMixin, View):
    """``/reports/schedules/new/``."""

    def get(self, request: HttpRequest) -> HttpResponse:
        require_manage(request.user)
        form = ScheduleForm(person=request.user)
        return render_schedule_form(request, form, None)

    def post(self, request: HttpRequest) -> HttpResponse:
        require_manage(request.user)
        form = ScheduleForm(request.POST, person=request.user)
        if form.is_valid():
            data = form.cleaned_data
            made = run_service(
                form,
                lambda: services.schedule_create(
                    actor=request.user,
                    name=data["name"],
                    owner=data["owner"],
                    recipients=data["recipients"],
                    attach_pdf=data["attach_pdf"],
                    is_active=data["is_active"],
                    now=timezone.now(),
                    **form.subject_parts(request.user),
                ),
            )
            if made is not None:
                messages.success(request, f"Schedule {made} saved.")
                return redirect("report-schedule-detail", pk=made.pk)
        return render_schedule_form(request, form, None, status=400)


class ScheduleDetailView(ProviderReaderMixin, View):
    """``/reports/schedules/<pk>/``: the schedule, its deliveries and (for the service level
    manager) its form."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = scoped_object(schedule_selector, request.user, pk=pk)
        form = ScheduleForm(
            initial=schedule_initial(schedule),
            person=request.user,
            schedule=schedule,
        )
        return render_schedule_form(request, form, schedule)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = scoped_object(schedule_selector, request.user, pk=pk)
        require_manage(request.user)
        form = ScheduleForm(
            request.POST,
            initial={"subject": schedule.subject_key},
            person=request.user,
            schedule=schedule,
        )
        if form.is_valid():
            data = form.cleaned_data
            saved = run_service(
                form,
                lambda: services.schedule_update(
                    actor=request.user,
                    schedule=schedule,
                    name=data["name"],
                    owner=data["owner"] or request.user,
                    recipients=data["recipients"],
                    attach_pdf=data["attach_pdf"],
                    is_active=data["is_active"],
                    expected_version=data["version"],
                ),
            )
            if saved is not None:
                messages.success(request, f"Schedule {saved} saved.")
                return redirect("report-schedule-detail", pk=schedule.pk)
        fresh = scoped_object(schedule_selector, request.user, pk=pk)
        return render_schedule_form(request, form, fresh, status=400)


class ScheduleDeleteView(ProviderReaderMixin, View):
    """``/reports/schedules/<pk>/delete/`` (POST): remove a schedule that never sent."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = scoped_object(schedule_selector, request.user, pk=pk)
        require_manage(request.user)
        form = VersionForm(request.POST)
        if form.is_valid():
            done = run_service(
                form,
                lambda: (
                    services.schedule_delete(
                        actor=request.user,
                        schedule=schedule,
                        expected_version=form.cleaned_data["version"],
                    )
                    or True
                ),
            )
            if done is not None:
                messages.success(request, f"Schedule {schedule} removed.")
                return redirect("report-schedule-list")
        fresh = scoped_object(schedule_selector, request.user, pk=pk)
        edit = ScheduleForm(initial=schedule_initial(fresh), person=request.user, schedule=fresh)
        return render_schedule_form(request, edit, fresh, status=400, delete_form=form)
