"""The capacity plan (ISO/IEC 20000-1, 8.4.3): a controlled document of the governance register,
drafted from live data for a planning period.

The clause asks for a plan that is based on current and forecast demand and is approved like any
other plan of the SMS. Accord writes its text from what it measures: the metrics of the services
in scope, closest to their limits first, with the dates they are expected to reach their
thresholds; the tickets raised per service per month over the last year as the demand signal;
the changes that carry out the planned actions; and the requirements the capacity manager writes.
The text becomes a draft version of the one capacity plan document (``DocumentKind.CAPACITY_PLAN``);
review and approval by the SMS owner then follow the register's flow unchanged, so an approved
plan is a frozen record of the figures it was approved on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accord.capacity import selectors
from accord.capacity.charts import day_words
from accord.capacity.choices import Level
from accord.capacity.models import Metric
from accord.capacity.words import crossing_words, percent, with_unit
from accord.changes.models import Change
from accord.changes.selectors.changes import changes_visible_to
from accord.core.choices import Role
from accord.core.models import Person
from accord.core.permissions import require
from accord.governance.choices import DocumentKind, VersionStatus
from accord.governance.models import Document, DocumentVersion
from accord.governance.services.document_rules import add_months, may_edit_document
from accord.governance.services.documents import document_create, version_edit, version_start
from accord.incidents.models import Incident
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_visible_to
from accord.service_requests.models import ServiceRequest

#: How the register names the plan when the first draft registers it.
TITLE = "Capacity plan"
#: What the versions record as their source (``DocumentVersion.generated_from``).
GENERATED_FROM = "capacity"
#: The longest planning period, in months.
MAX_PERIOD_MONTHS = 24
#: Full calendar months of tickets the demand tables count.
DEMAND_MONTHS = 12
#: The longest requirements text a plan takes from its author.
SUMMARY_MAX = 20_000
#: Characters that mean something to Markdown, escaped wherever a record's name or title is
#: written into the plan so a name like ``*core*|edge`` reads as written and keeps the tables
#: whole.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- Markdown ------------------------------------------------------------------------------------


def md(text: Any) -> str:
    """``text`` as literal Markdown: special characters escaped, line breaks folded into
    spaces (a table cell is one line)."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    """A Markdown table; ``align`` gives each column "l" or "r" (left by default)."""
    marks = ["---:" if (align[i : i + 1] == "r") else "---" for i in range(len(head))]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def month_words(month: dt.date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


# --- demand --------------------------------------------------------------------------------------


def demand_months(today: dt.date) -> list[dt.date]:
    """The first days of the last ``DEMAND_MONTHS`` full months before ``today``'s month."""
    first = today.replace(day=1)
    return [add_months(first, -k) for k in range(DEMAND_MONTHS, 0, -1)]


@dataclass
class DemandRow:
    """Tickets of one service (None: raised without a service) in each month."""

    service_id: int | None
    name: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


def demand(
    model: type[Incident] | type[ServiceRequest],
    *,
    months: Sequence[dt.date],
    service_ids: Sequence[int] | None,
) -> list[DemandRow]:
    """Tickets of ``model`` opened per service per month (UTC months), counted by the database in
    one query whatever the number of services; busiest services first.

    ``service_ids`` narrows the count to the services in scope (None: every service, and the
    tickets raised without one)."""
    start = dt.datetime.combine(months[0], dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(add_months(months[-1], 1), dt.time(), tzinfo=dt.UTC)
    qs = model.objects.filter(opened_at__gte=start, opened_at__lt=end)
    if service_ids is not None:
        qs = qs.filter(service_id__in=list(service_ids))
    counted = (
        qs.annotate(month=TruncMonth("opened_at", tzinfo=dt.UTC))
        .values("service_id", "service__name", "month")
        .annotate(n=Count("id"))
        .order_by()
    )
    index = {month: i for i, month in enumerate(months)}
    rows: dict[int | None, DemandRow] = {}
    for entry in counted:
        key = entry["service_id"]
        row = rows.get(key)
        if row is None:
            name = entry["service__name"] if key is not None else "(no service)"
            row = rows[key] = DemandRow(key, name, [0] * len(months))
        month = entry["month"]
        day = month.date() if isinstance(month, dt.datetime) else month
        if day in index:
            row.counts[index[day]] += entry["n"]
    return sorted(rows.values(), key=lambda r: (-r.total, r.service_id is None, r.name))


def _demand_table(rows: Sequence[DemandRow], months: Sequence[dt.date], noun: str) -> list[str]:
    if not rows:
        return [f"No {noun} were raised in these months."]
    head = ["Service", *(month_words(m) for m in months), "Total"]
    body = [[md(r.name), *(str(n) for n in r.counts), f"**{r.total}**"] for r in rows]
    totals = [sum(r.counts[i] for r in rows) for i in range(len(months))]
    body.append(["**All**", *(str(n) for n in totals), f"**{sum(totals)}**"])
    return _table(head, body, "l" + "r" * (len(months) + 1))


# --- utilisation ---------------------------------------------------------------------------------


def metrics_in_scope(services: Sequence[Service]) -> list[Metric]:
    """Active metrics of the services (and of their configuration items); every active metric
    when no service is named."""
    qs = Metric.objects.filter(is_active=True).select_related(
        "service", "configuration_item", "state"
    )
    if services:
        ids = [s.pk for s in services]
        cis = Service.configuration_items.through.objects.filter(service_id__in=ids).values(
            "configurationitem_id"
        )
        qs = qs.filter(Q(service_id__in=ids) | Q(configuration_item_id__in=cis))
    return list(qs.order_by("code"))


def _subject(metric: Metric) -> str:
    if metric.service_id is not None:
        return md(metric.service.name)
    if metric.configuration_item_id is not None:
        return f"{md(metric.configuration_item.name)} (CI)"
    return "—"


def _utilisation_table(found: Sequence[selectors.Outlook]) -> list[str]:
    if not found:
        return ["No active capacity metric measures these services yet."]
    head = [
        "Service",
        "Metric",
        "Current",
        "Utilisation",
        "Headroom",
        "Level",
        "Warning",
        "Critical",
        "Exhaustion",
    ]
    rows = []
    for o in found:
        metric = o.metric
        trend = o.forecast.trend
        rows.append(
            [
                _subject(metric),
                f"{md(metric.name)} ({md(metric.code)})",
                md(with_unit(o.current, metric.unit)),
                percent(o.utilisation),
                percent(o.headroom),
                str(Level(o.level).label),
                crossing_words(o.warning, trend=trend),
                crossing_words(o.critical, trend=trend),
                crossing_words(o.exhaustion, trend=trend),
            ]
        )
    return _table(head, rows, "llrrr")


# --- planned actions -----------------------------------------------------------------------------


def window_words(start: dt.datetime | None, end: dt.datetime | None) -> str:
    """A change's planned window in UTC: "12 Dec 2026 10:00 to 12:00 UTC"."""
    if start is None:
        return "not planned yet"
    start = start.astimezone(dt.UTC)
    text = f"{day_words(start.date())} {start:%H:%M}"
    if end is None:
        return f"from {text} UTC"
    end = end.astimezone(dt.UTC)
    if end.date() == start.date():
        return f"{text} to {end:%H:%M} UTC"
    return f"{text} to {day_words(end.date())} {end:%H:%M} UTC"


def _changes_table(changes: Sequence[Change]) -> list[str]:
    if not changes:
        return ["No change is linked to this plan yet."]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    ordered = sorted(changes, key=lambda c: (c.planned_start or far, c.reference))
    rows = [
        [
            md(c.reference),
            md(c.title),
            str(c.get_status_display()),
            window_words(c.planned_start, c.planned_end),
        ]
        for c in ordered
    ]
    return _table(["Change", "Title", "Status", "Planned window"], rows)


# --- the plan ------------------------------------------------------------------------------------


def period_words(start: dt.date, end: dt.date) -> str:
    return f"{day_words(start)} to {day_words(end)}"


def plan_body(
    *,
    period_start: dt.date,
    period_end: dt.date,
    services: Sequence[Service],
    changes: Sequence[Change],
    summary: str,
    today: dt.date,
) -> str:
    """The Markdown text of a capacity plan for the period, from the figures as they stand on
    ``today``. ``summary`` (the capacity requirements, in Markdown) is taken as written; every
    name read from a record is escaped."""
    months = demand_months(today)
    ids = [s.pk for s in services] if services else None
    found = selectors.closest_to_limits(selectors.outlooks(metrics_in_scope(services), today=today))
    scope = ", ".join(md(s.name) for s in sorted(services, key=lambda s: s.name))
    lines = [
        f"# Capacity plan {period_words(period_start, period_end)}",
        "",
        f"**Period:** {day_words(period_start)} to {day_words(period_end)}  ",
        f"**Services in scope:** {scope or 'every service'}",
        "",
        "## 1. Capacity requirements",
        "",
        summary.strip() or "> To complete: the capacity the services need over the period.",
        "",
        "## 2. Current utilisation and forecasts",
        "",
        "Every active metric, closest to its limits first. The expected dates come from the trend "
        "of the daily values up to "
        f"{day_words(today)} (UTC); the dates in brackets are the band within which the "
        "crossing is likely (80 %).",
        "",
        *_utilisation_table(found),
        "",
        "## 3. Demand",
        "",
        f"Tickets opened per service per month, {month_words(months[0])} to "
        f"{month_words(months[-1])}: the demand the services see.",
        "",
        "### Incidents",
        "",
        *_demand_table(demand(Incident, months=months, service_ids=ids), months, "incidents"),
        "",
        "### Service requests",
        "",
        *_demand_table(
            demand(ServiceRequest, months=months, service_ids=ids), months, "service requests"
        ),
        "",
        "## 4. Planned actions",
        "",
        *_changes_table(changes),
        "",
        "---",
        "",
        f"*Generated by Accord on {day_words(today)} from live data.*",
    ]
    return "\n".join(lines) + "\n"


# --- drafting ------------------------------------------------------------------------------------


def _period_errors(start: Any, end: Any, errors: dict[str, str]) -> None:
    if not isinstance(start, dt.date):
        errors["period_start"] = "Give the first day of the period."
    if not isinstance(end, dt.date):
        errors["period_end"] = "Give the last day of the period."
    if errors:
        return
    if end <= start:
        errors["period_end"] = "The period must end after it starts."
    elif end > add_months(start, MAX_PERIOD_MONTHS):
        errors["period_end"] = f"A capacity plan covers at most {MAX_PERIOD_MONTHS // 12} years."


def _resolve_services(actor: Any, given: Iterable[Any], errors: dict[str, str]) -> list[Service]:
    wanted = [s.pk if isinstance(s, Service) else s for s in given]
    try:
        ids = sorted({int(s) for s in wanted})
    except (TypeError, ValueError):
        errors["services"] = "Name services by their id."
        return []
    qs = Service.objects.all() if actor is None else services_visible_to(actor)
    found = list(qs.filter(pk__in=ids).order_by("name"))
    missing = sorted(set(ids) - {s.pk for s in found})
    if missing:
        errors["services"] = "No such service: " + ", ".join(str(i) for i in missing) + "."
    return found


def split_references(text: str) -> list[str]:
    """``"CHG-000012, chg-000014"`` as references, upper case, each once in the order given."""
    seen: list[str] = []
    for part in re.split(r"[,\s]+", text or ""):
        ref = part.strip().upper()
        if ref and ref not in seen:
            seen.append(ref)
    return seen


def _resolve_changes(actor: Any, given: Iterable[Any], errors: dict[str, str]) -> list[Change]:
    refs: list[str] = []
    for item in given:
        if isinstance(item, Change):
            item = item.reference
        if not isinstance(item, str):
            errors["changes"] = "Name changes by their reference (CHG-000012)."
            return []
        refs += [r for r in split_references(item) if r not in refs]
    qs = Change.objects.all() if actor is None else changes_visible_to(actor)
    found = list(qs.filter(reference__in=refs))
    missing = [r for r in refs if r not in {c.reference for c in found}]
    if missing:
        errors["changes"] = "No such change: " + ", ".join(missing) + "."
    return found


def _owner(actor: Person | None) -> Person:
    """Who owns the plan when it is first registered: the actor, or (for the system) the first
    active capacity manager."""
    if actor is not None:
        return actor
    owner = (
        Person.objects.filter(is_active=True, role_assignments__role=Role.CAPACITY_MANAGER)
        .order_by("pk")
        .first()
    )
    if owner is None:
        raise ValidationError("Nobody holds the capacity manager role to own the capacity plan.")
    return owner


def plan_document() -> Document | None:
    """The provider's capacity plan in the register (the first registered, should there be
    more), or None before the first draft."""
    return Document.objects.filter(kind=DocumentKind.CAPACITY_PLAN).order_by("pk").first()


@transaction.atomic
def plan_draft(
    *,
    actor: Person | None,
    period_start: dt.date,
    period_end: dt.date,
    services: Iterable[Any] = (),
    changes: Iterable[Any] = (),
    summary: str = "",
    now: dt.datetime | None = None,
) -> DocumentVersion:
    """Draft the capacity plan for a period from live data; returns the draft version.

    ``services`` are services or their ids (none: every service); ``changes`` are changes or
    their references, each seen by the actor. The first draft registers the plan document,
    owned by the actor and approved by the SMS owner; later drafts open the next version, or
    rewrite the draft still open. A version in review is left to its approver: drafting again
    then is refused until it is returned or approved.
    """
    now = now or timezone.now()
    require(actor, "capacity.manage")
    errors: dict[str, str] = {}
    _period_errors(period_start, period_end, errors)
    found_services = _resolve_services(actor, services, errors)
    found_changes = _resolve_changes(actor, changes, errors)
    summary = summary or ""
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = f"Keep the requirements under {SUMMARY_MAX} characters."
    if errors:
        raise ValidationError(errors)
    body = plan_body(
        period_start=period_start,
        period_end=period_end,
        services=found_services,
        changes=found_changes,
        summary=summary,
        today=now.astimezone(dt.UTC).date(),
    )
    change_summary = f"Capacity plan {period_words(period_start, period_end)}"
    document = (
        Document.objects.select_for_update()
        .filter(kind=DocumentKind.CAPACITY_PLAN)
        .order_by("pk")
        .first()
    )
    if document is None:
        document = document_create(
            actor=None,
            kind=DocumentKind.CAPACITY_PLAN,
            title=TITLE,
            owner=_owner(actor),
            description="Capacity requirements, forecasts, demand and planned actions "
            "(ISO/IEC 20000-1, 8.4.3), drafted from live data.",
            body=body,
            change_summary=change_summary,
            generated_from=GENERATED_FROM,
            now=now,
        )
        return document.versions.get()
    open_version = document.versions.filter(
        status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]
    ).first()
    # Any capacity manager drafts the plan, not only the document's owner: when the register
    # would not let this person write it, the draft is written on their behalf by the system
    # and the change summary names them.
    writer = actor if actor is None or may_edit_document(actor, document) else None
    if writer is None and actor is not None:
        change_summary = f"{change_summary}, drafted by {actor}"
    if open_version is None:
        return version_start(
            actor=writer,
            document=document,
            body=body,
            change_summary=change_summary,
            generated_from=GENERATED_FROM,
            now=now,
        )
    if open_version.status == VersionStatus.IN_REVIEW:
        raise ValidationError(
            f"Version {open_version.number} of {document.reference} is in review; it must be "
            "returned to draft or approved before the plan is drafted again."
        )
    return version_edit(
        actor=writer, version=open_version, body=body, change_summary=change_summary, now=now
    )
