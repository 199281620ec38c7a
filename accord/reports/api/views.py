"""REST API of service reports: the report as JSON (every figure, table and chart), as a
PDF, and one of its tables as CSV, for the same query as the pages.

``agreement`` or ``service`` (ids) or neither (all services), and ``period`` (YYYY-MM) or
``start`` and ``end`` (days, both included); by default the last complete month. Bad input
answers 400 with field errors; a report the person may not read answers 404 (customers'
managers read their own organisation's SLAs only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.reports.api.serializers import ReportSerializer
from accord.reports.builder import build_report, resolve_scope
from accord.reports.scope import ReportScope
from accord.reports.views import csv_response, pdf_response

QUERY = [
    OpenApiParameter(
        "agreement",
        OpenApiTypes.INT64,
        description="An agreement id: its services and its customer's tickets.",
    ),
    OpenApiParameter(
        "service",
        OpenApiTypes.INT64,
        description="Or a service id, every customer (provider staff and auditors only). "
        "Neither: all services.",
    ),
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        description="A month, YYYY-MM. Default: the last complete month.",
    ),
    OpenApiParameter("start", OpenApiTypes.DATE, description="Or the first day (no period)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="And the last day, included."),
]
INVALID = OpenApiResponse(
    description='`{"message", "code": "invalid", "errors": {field: [messages]}}`: a malformed '
    "id or period, a period in the future or longer than 400 days, an end before the start."
)
NOT_FOUND = OpenApiResponse(description="No such report, or not one you may read.")
DESCRIPTION = (
    "`meta`: title, kind (agreement, service or provider), the agreement and service ids, "
    "codes and names, the customer, the period with its first and last day and time zone, "
    "and when it was generated. `sections`: in report order, each with its key, number, "
    "title, definition (how each figure is computed), source, figures (`[label, value]`, "
    '"—" when there is nothing to measure), tables (columns, rows, and `more`: the rows '
    "left out) and charts (inline SVG)."
)


def _scope(request: Request, now: dt.datetime) -> ReportScope:
    try:
        return resolve_scope(request.user, request.query_params, now=now)
    except ObjectDoesNotExist as exc:
        raise Http404("No such report.") from exc


class ReportView(APIView):
    """The service report as JSON."""

    @extend_schema(
        summary="A service report",
        description=DESCRIPTION,
        parameters=QUERY,
        responses={200: ReportSerializer, 400: INVALID, 404: NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        return Response(build_report(_scope(request, now), now))


class ReportPdfView(APIView):
    """The service report as a PDF."""

    @extend_schema(
        summary="A service report as PDF",
        description="The same report as an A4 PDF with its charts, as an attachment named "
        "`service-report-<code>-<period>.pdf`.",
        parameters=QUERY,
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: INVALID,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        now = timezone.now()
        scope = _scope(request, now)
        return pdf_response(scope, build_report(scope, now), now)


class ReportCsvView(APIView):
    """One table of the service report as CSV."""

    @extend_schema(
        summary="A table of a service report as CSV",
        description="The `table`-th table (from 0) of the section keyed `section`, UTF-8 with "
        "a header row; text that a spreadsheet would read as a formula starts with an "
        "apostrophe.",
        parameters=[
            *QUERY,
            OpenApiParameter("section", OpenApiTypes.STR, required=True, description="Key."),
            OpenApiParameter("table", OpenApiTypes.INT, required=True, description="Index."),
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, 400: INVALID, 404: NOT_FOUND},
    )
    def get(self, request: Request) -> HttpResponse:
        now = timezone.now()
        scope = _scope(request, now)
        params: Any = request.query_params
        return csv_response(
            scope, build_report(scope, now), params.get("section", ""), params.get("table", "")
        )
