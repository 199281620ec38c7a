"""Service reports in the customer portal: a customer's managers read the signed reports of
their organisation's SLAs (never a draft), download the PDF exactly as it was signed, and
acknowledge a report as their service review, with their remarks.

The pages start from :func:`accord.reports.selectors.service_reports_visible_to`, so a report
of another organisation, a draft or a provider-wide report answers 404, as does every page
for a customer who is not a manager. The acknowledgement goes through
:func:`accord.reports.services.report_acknowledge`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.core.web import paginate, run_service, scoped_object
from accord.portal.views import portal_page
from accord.reports import services
from accord.reports.builder import display_sections
from accord.reports.choices import REPORT_STATUS_COLOURS
from accord.reports.models import ServiceReport
from accord.reports.selectors import may_report_customer, service_reports_visible_to
from accord.reports.version_forms import AcknowledgeForm
from accord.reports.version_views import commentary_html, pdf_response, subject_label


def _reader(request: HttpRequest) -> None:
    """404 unless the person is a customer manager (who reads their organisation's reports)."""
    if not may_report_customer(request.user):
        raise Http404("No such page.")


def _reports(person: Any) -> Any:
    return service_reports_visible_to(person).defer("pdf")


@portal_page
def report_list(request: HttpRequest) -> HttpResponse:
    """``/portal/reports/``: the signed reports of the organisation's SLAs, newest first."""
    _reader(request)
    page = paginate(request, _reports(request.user).defer("content", "pdf"), per_page=25)
    return render(
        request,
        "portal/report_list.html",
        {
            "page": page,
            "rows": [
                {
                    "report": r,
                    "subject": subject_label(r),
                    "colour": REPORT_STATUS_COLOURS.get(r.status, "grey"),
                    "may_acknowledge": services.may_acknowledge(request.user, r),
                }
                for r in page.object_list
            ],
            "whole_organisation": True,
        },
    )


def _detail(
    request: HttpRequest,
    report: ServiceReport,
    *,
    form: AcknowledgeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_ack = services.may_acknowledge(request.user, report)
    content = report.content or {"meta": {}, "sections": []}
    return render(
        request,
        "portal/report_detail.html",
        {
            "report": report,
            "subject": subject_label(report),
            "colour": REPORT_STATUS_COLOURS.get(report.status, "grey"),
            "meta": content.get("meta", {}),
            "sections": display_sections(content),
            "commentary": commentary_html(report.commentary),
            "form": form
            or (AcknowledgeForm(initial={"version": report.version}) if may_ack else None),
            "stale": form is not None and getattr(form, "stale_version", None) is not None,
            "whole_organisation": True,
        },
        status=status,
    )


@portal_page
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/portal/reports/<pk>/``: the signed report as the service level manager froze it."""
    _reader(request)
    return _detail(request, scoped_object(_reports, request.user, pk=pk))


@portal_page
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """``/portal/reports/<pk>/pdf/``: the signed PDF, byte for byte."""
    _reader(request)
    report = scoped_object(service_reports_visible_to, request.user, pk=pk)
    return pdf_response(report, timezone.now())


@require_POST
@portal_page
def report_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """``/portal/reports/<pk>/acknowledge/``: accept the report as the service review."""
    _reader(request)
    report = scoped_object(_reports, request.user, pk=pk)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.report_acknowledge(
                actor=request.user,
                report=report,
                comment=form.cleaned_data["comment"],
                now=timezone.now(),
                expected_version=form.cleaned_data["version"],
            ),
        )
        if done is not None:
            messages.success(
                request, f"Thank you: {report.reference} is acknowledged as your service review."
            )
            return redirect("portal-report-detail", pk=report.pk)
    fresh = scoped_object(_reports, request.user, pk=pk)
    return _detail(request, fresh, form=form, status=400)
