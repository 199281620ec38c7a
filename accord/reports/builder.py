"""A service report assembled: who may see which scope, and the report itself.

:func:`resolve_scope` turns a query (``agreement`` or ``service`` id or neither, and
``period`` or ``start``/``end``) into a :class:`ReportScope` the person may read. It refuses
bad input with field errors (:class:`~django.core.exceptions.ValidationError`) and a scope out
of the person's reach with :class:`~django.core.exceptions.ObjectDoesNotExist`, which every
door answers as 404, so a customer cannot learn which agreements of others exist. For the
provider's staff, who may read everything, an unknown id is plain bad input.

:func:`build_report` runs every section of :func:`all_sections` over the scope and adds the
title block; the result is plain JSON, the same for the page, the PDF, the CSV and the API.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from accord.agreements.models import Agreement
from accord.portfolio.models import Service
from accord.reports.scope import MAX_DAYS, ReportScope, parse_period, zone_of
from accord.reports.sections import all_sections
from accord.reports.selectors import (
    may_read_reports,
    may_report_provider,
    reportable_agreements,
    reportable_services,
)

#: Larger ids never reach the database (SQLite cannot bind them).
MAX_ID = 2**63 - 1


class OutOfScope(ObjectDoesNotExist):
    """The report asked for is not one the person may read (answered as 404)."""


def _id(name: str, value: Any) -> int | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_ID:
        raise ValidationError({name: f"Give the id of an {name} you may see."})
    return int(text)


def _target(
    person: Any, agreement: int | None, service: int | None
) -> tuple[Agreement | None, Service | None]:
    """The agreement or service of a report, checked against what the person may read."""
    if not may_read_reports(person):
        raise OutOfScope("No such report.")
    everything = may_report_provider(person)
    if not everything and (agreement is None or service is not None):
        # Customers read their agreements' reports only: no service, no provider-wide report.
        raise OutOfScope("No such report.")
    if agreement is not None and service is not None:
        raise ValidationError({"service": "Choose an agreement or a service, not both."})
    if agreement is not None:
        found = reportable_agreements(person).filter(pk=agreement).first()
        if found is None:
            if everything:
                raise ValidationError({"agreement": "There is no such agreement."})
            raise OutOfScope("No such agreement.")
        return found, None
    if service is not None:
        svc = reportable_services(person).filter(pk=service).first()
        if svc is None:
            raise ValidationError({"service": "There is no such live or retired service."})
        return None, svc
    return None, None


def scope_for(
    person: Any,
    *,
    agreement: int | None = None,
    service: int | None = None,
    start: dt.date,
    end: dt.date,
) -> ReportScope:
    """The scope of a report over the days ``start`` to ``end`` (both included), when the
    person may read it; raises :class:`OutOfScope` otherwise and ValidationError for a
    malformed request."""
    found, svc = _target(person, agreement, service)
    if end < start:
        raise ValidationError({"end": "The period must end on or after the day it starts."})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError({"start": f"A report covers at most {MAX_DAYS} days."})
    return ReportScope(start=start, end=end, agreement=found, service=svc, zone=zone_of(found))


def resolve_scope(person: Any, query: Mapping[str, Any], *, now: dt.datetime) -> ReportScope:
    """The scope a query asks for (the parameters of the page, the PDF, the CSV and the API).
    The days are those of the agreement calendar's zone; "today" is ``now`` there."""
    agreement = _id("agreement", query.get("agreement"))
    service = _id("service", query.get("service"))
    found, svc = _target(person, agreement, service)
    zone = zone_of(found)
    start, end = parse_period(
        period=str(query.get("period") or ""),
        start=str(query.get("start") or ""),
        end=str(query.get("end") or ""),
        today=now.astimezone(zone).date(),
    )
    return ReportScope(start=start, end=end, agreement=found, service=svc, zone=zone)


def subject_code(scope: ReportScope) -> str:
    """The code that names the report's files: the agreement's, the service's or "all"."""
    if scope.agreement is not None:
        return str(scope.agreement.code)
    if scope.service is not None:
        return str(scope.service.code)
    return "all-services"


def file_stem(scope: ReportScope) -> str:
    """``service-report-<code>-<period>``, safe as a file name."""
    period = f"{scope.start:%Y-%m}"
    if scope.period_label != period:
        period = f"{scope.start:%Y-%m-%d}-{scope.end:%Y-%m-%d}"
    return f"service-report-{slugify(subject_code(scope)) or 'report'}-{period}"


def build_report(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """The report: its title block (``meta``) and every section, as plain JSON."""
    agreement, service = scope.agreement, scope.service
    customer = scope.organisation
    meta: dict[str, Any] = {
        "title": f"Service report: {scope.title}",
        "kind": scope.kind,
        "agreement": agreement.pk if agreement is not None else None,
        "agreement_code": agreement.code if agreement is not None else "",
        "agreement_name": agreement.name if agreement is not None else "",
        "service": service.pk if service is not None else None,
        "service_code": service.code if service is not None else "",
        "service_name": service.name if service is not None else "",
        "customer": customer.name if customer is not None else "",
        "period": scope.period_label,
        "start": scope.start.isoformat(),
        "end": scope.end.isoformat(),
        "zone": scope.zone.key,
        "generated_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
    }
    return {"meta": meta, "sections": [function(scope, now) for function in all_sections()]}


# --- presenting a report ------------------------------------------------------------------------

#: References a table cell may hold, by prefix, with the page that shows the record.
REFERENCE = re.compile(r"^(INC|REQ|PRB|CHG|OUT)-\d{1,12}$")


def scope_query(scope: ReportScope) -> str:
    """The query string that asks for this report again (a month as ``period``, other spans as
    ``start`` and ``end``), for the links to its PDF and CSV files."""
    params: dict[str, Any] = {}
    if scope.agreement is not None:
        params["agreement"] = scope.agreement.pk
    elif scope.service is not None:
        params["service"] = scope.service.pk
    if scope.period_label == f"{scope.start:%Y-%m}":
        params["period"] = scope.period_label
    else:
        params["start"], params["end"] = scope.start.isoformat(), scope.end.isoformat()
    return urlencode(params)


def reference_links(report: dict[str, Any], person: Any) -> dict[str, str]:
    """The page of every record a table cell names (``INC-000123`` and the like) that the
    person may open: one query per kind of record named, however many rows there are."""
    from accord.availability.selectors import outages_visible_to
    from accord.changes.selectors.changes import changes_visible_to
    from accord.incidents.selectors import incidents_visible_to
    from accord.problems.selectors.problems import problems_visible_to
    from accord.service_requests.selectors import requests_visible_to

    wanted: dict[str, set[str]] = {}
    for section in report["sections"]:
        for table in section.get("tables", []):
            for row in table.get("rows", []):
                for value in row:
                    if isinstance(value, str) and REFERENCE.match(value):
                        wanted.setdefault(value[:3], set()).add(value)
    sources: dict[str, tuple[Callable[[Any], QuerySet[Any]], str]] = {
        "INC": (incidents_visible_to, "incident-detail"),
        "REQ": (requests_visible_to, "request-detail"),
        "PRB": (problems_visible_to, "problem-detail"),
        "OUT": (outages_visible_to, "outage-detail"),
    }
    links: dict[str, str] = {}
    for prefix, references in wanted.items():
        if prefix == "CHG":
            for reference in (
                changes_visible_to(person)
                .filter(reference__in=references)
                .values_list("reference", flat=True)
            ):
                links[reference] = reverse("change-detail", kwargs={"reference": reference})
            continue
        visible, url_name = sources[prefix]
        rows = (
            visible(person)
            .filter(reference__in=references)
            .order_by()
            .values_list("reference", "pk")
        )
        for reference, pk in rows:
            links[reference] = reverse(url_name, args=[pk])
    return links


def display_sections(
    report: dict[str, Any], links: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The sections as the page and the PDF show them: each cell as ``(value, url, numeric)``
    and the charts marked safe (Accord draws them from numbers, never from what people type)."""
    links = links or {}
    shown = []
    for section in report["sections"]:
        tables = [
            {
                **table,
                "index": index,
                "cells": [
                    [
                        (
                            value,
                            links.get(value, "") if isinstance(value, str) else "",
                            isinstance(value, int),
                        )
                        for value in row
                    ]
                    for row in table.get("rows", [])
                ],
            }
            for index, table in enumerate(section.get("tables", []))
        ]
        charts = [mark_safe(chart) for chart in section.get("charts", [])]  # noqa: S308
        shown.append({**section, "tables": tables, "charts": charts})
    return shown


def report_pdf(
    report: dict[str, Any],
    now: dt.datetime,
    *,
    commentary: str = "",
    signature: Mapping[str, Any] | None = None,
    reference: str = "",
) -> bytes:
    """The report as a PDF: the standard A4 document (organisation, page X of Y, generation
    stamp) around the title block and every section with its charts; a stored version adds
    its reference, the service level manager's commentary (Markdown, sanitised) and who
    signed it off when."""
    from accord.core.pdf import render_pdf
    from accord.governance.markdown import render_markdown

    meta = report["meta"]
    body = render_to_string(
        "reports/pdf_body.html",
        {
            "meta": meta,
            "sections": display_sections(report),
            "commentary": mark_safe(render_markdown(commentary)) if commentary else "",  # noqa: S308
            "signature": signature,
            "reference": reference,
        },
    )
    subtitle = " · ".join(
        part for part in (meta["customer"], f"Period {meta['period']}", meta["zone"]) if part
    )
    return render_pdf(body, title=meta["title"], subtitle=subtitle, now=now)
