"""Pages of service reports: the chooser (``/reports/``), the report as a page, as a PDF and
one of its tables as CSV.

Everyone who may read some report (:func:`may_read_reports`) opens the chooser; others get
404. A report out of the person's reach answers 404; bad input (a malformed id, a malformed
period, a period in the future, an end before the start) shows the chooser again with the
errors, status 400. The views only read: they resolve the scope, build the report and render
it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from accord.reports.builder import (
    build_report,
    display_sections,
    file_stem,
    reference_links,
    report_pdf,
    scope_query,
)
from accord.reports.csv_export import csv_filename, table_csv
from accord.reports.forms import ReportForm
from accord.reports.scope import ReportScope
from accord.reports.selectors import may_read_reports


class ReportReaderMixin(LoginRequiredMixin):
    """Signed-in people who may read some report; 404 for everyone else."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_read_reports(request.user):
            raise Http404("No such page.")
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response


def _index(
    request: HttpRequest, form: ReportForm, *, status: int = 200, errors: list[str] | None = None
) -> HttpResponse:
    return render(
        request,
        "reports/index.html",
        {"form": form, "errors": errors or []},
        status=status,
    )


def _scope(request: HttpRequest, now: dt.datetime) -> ReportScope | HttpResponse:
    """The scope the query asks for, or the chooser with its errors (400); 404 when the scope
    is not one the person may read."""
    form = ReportForm(request.GET, person=request.user, now=now)
    try:
        valid = form.is_valid()
    except ObjectDoesNotExist as exc:
        raise Http404("No such report.") from exc
    if not valid or form.scope is None:
        return _index(request, form, status=400)
    return form.scope


class ReportIndexView(ReportReaderMixin, View):
    """``/reports/``: choose an agreement, a service or all services, and the days."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return _index(request, ReportForm(person=request.user, now=timezone.now()))


class ReportView(ReportReaderMixin, View):
    """``/reports/service/``: the report as a page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        scope = _scope(request, now)
        if isinstance(scope, HttpResponse):
            return scope
        report = build_report(scope, now)
        return render(
            request,
            "reports/service.html",
            {
                "meta": report["meta"],
                "sections": display_sections(report, reference_links(report, request.user)),
                "query": scope_query(scope),
            },
        )


class ReportPdfView(ReportReaderMixin, View):
    """``/reports/service/pdf/``: the same report as a PDF attachment."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        scope = _scope(request, now)
        if isinstance(scope, HttpResponse):
            return scope
        return pdf_response(scope, build_report(scope, now), now)


class ReportCsvView(ReportReaderMixin, View):
    """``/reports/service/csv/?…&section=<key>&table=<index>``: one table as CSV."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        scope = _scope(request, now)
        if isinstance(scope, HttpResponse):
            return scope
        report = build_report(scope, now)
        section, index = request.GET.get("section", ""), request.GET.get("table", "")
        try:
            return csv_response(scope, report, section, index)
        except ValidationError as exc:
            form = ReportForm(request.GET, person=request.user, now=now)
            messages = [m for ms in exc.message_dict.values() for m in ms]
            return _index(request, form, status=400, errors=messages)


def pdf_response(scope: ReportScope, report: dict[str, Any], now: dt.datetime) -> HttpResponse:
    """The report's PDF as a download named ``service-report-<code>-<period>.pdf``."""
    response = HttpResponse(report_pdf(report, now), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_stem(scope)}.pdf"'
    return response


def csv_response(
    scope: ReportScope, report: dict[str, Any], section: str, index: str
) -> HttpResponse:
    """One table as a CSV download; ValidationError when the report has no such table."""
    content = table_csv(report, section, index)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    name = csv_filename(file_stem(scope), section, index)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
