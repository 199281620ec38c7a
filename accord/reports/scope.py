"""What a service report covers: a customer agreement (its services, its customer, its calendar's
time zone), one service, or the whole provider; and a period of whole days.

Every section of a report takes one :class:`ReportScope` and reads only what it covers, so the
figures of one report agree with each other and with the lists they summarise. Days are the
days of the scope's time zone (the agreement calendar's, else the provider's), both ends
included; :meth:`ReportScope.bounds` gives the instants ``[first, after)``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from accord.agreements.models import Agreement
from accord.core.choices import OrganisationKind
from accord.core.models import Organisation
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: The longest period a report covers on demand.
MAX_DAYS = 400


@dataclass(frozen=True)
class ReportScope:
    """One report's reach. Exactly one of ``agreement`` and ``service`` is set, or neither (the
    provider-wide report). ``organisation`` is the customer whose tickets count: the
    agreement's customer; for a service or the provider, every customer (None)."""

    start: dt.date
    end: dt.date
    agreement: Agreement | None = None
    service: Service | None = None
    zone: zoneinfo.ZoneInfo = field(default_factory=lambda: zoneinfo.ZoneInfo("UTC"))

    @property
    def organisation(self) -> Organisation | None:
        if self.agreement is not None and self.agreement.organisation_id is not None:
            org: Organisation = self.agreement.organisation
            if org.kind == OrganisationKind.CUSTOMER:
                return org
        return None

    @property
    def kind(self) -> str:
        """``agreement``, ``service`` or ``provider``."""
        if self.agreement is not None:
            return "agreement"
        if self.service is not None:
            return "service"
        return "provider"

    @property
    def title(self) -> str:
        if self.agreement is not None:
            return f"{self.agreement.code} {self.agreement.name}"
        if self.service is not None:
            return f"{self.service.code} {self.service.name}"
        return "All services"

    @property
    def period_label(self) -> str:
        """``2026-10`` for a calendar month, else ``2026-10-01 to 2026-10-15``."""
        last = calendar.monthrange(self.start.year, self.start.month)[1]
        if self.start.day == 1 and self.end == self.start.replace(day=last):
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The instants ``[first, after)`` of the period's days in the scope's zone."""
        first = dt.datetime.combine(self.start, dt.time.min, tzinfo=self.zone)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=self.zone)
        return first, after

    def service_ids(self) -> list[int]:
        """The services the report covers: the agreement's, the one service, or every live
        service (and those retired during the period) for the provider-wide report."""
        if self.agreement is not None:
            return sorted(self.agreement.services.values_list("pk", flat=True))
        if self.service is not None:
            return [self.service.pk]
        return sorted(
            Service.objects.filter(
                Q(status=ServiceStatus.LIVE) | Q(status=ServiceStatus.RETIRED)
            ).values_list("pk", flat=True)
        )

    def tickets(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Incidents or service requests (anything with ``service`` and ``organisation``) of
        the scope: its services and, for an agreement, its customer."""
        rows = queryset.filter(service_id__in=self.service_ids())
        if self.organisation is not None:
            rows = rows.filter(organisation=self.organisation)
        return rows


def default_zone() -> zoneinfo.ZoneInfo:
    provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
    for name in (getattr(provider, "time_zone", ""), settings.TIME_ZONE, "UTC"):
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            continue
    return zoneinfo.ZoneInfo("UTC")


def zone_of(agreement: Agreement | None) -> zoneinfo.ZoneInfo:
    """The agreement calendar's zone, else the provider's."""
    if agreement is not None and agreement.calendar_id is not None:
        try:
            return zoneinfo.ZoneInfo(agreement.calendar.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, AttributeError):
            pass
    return default_zone()


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def parse_period(
    *, period: str = "", start: str = "", end: str = "", today: dt.date
) -> tuple[dt.date, dt.date]:
    """The days a report covers: ``period`` ``YYYY-MM`` (a calendar month), or ``start`` and
    ``end`` (ISO days, both included), or by default the last complete month. Refuses (as
    field errors) a malformed value, an end before the start, a period ending in the future or
    longer than :data:`MAX_DAYS` days."""
    errors: dict[str, str] = {}
    if period:
        match = MONTH.match(period.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValidationError({"period": "Give a month as YYYY-MM, e.g. 2026-10."})
        year, month = int(match.group(1)), int(match.group(2))
        first = dt.date(year, month, 1)
        last = first.replace(day=calendar.monthrange(year, month)[1])
    elif start or end:
        first = last = today
        for name, value in (("start", start), ("end", end)):
            try:
                parsed = dt.date.fromisoformat(value.strip())
            except (ValueError, AttributeError):
                errors[name] = "Give a day as YYYY-MM-DD."
                continue
            if name == "start":
                first = parsed
            else:
                last = parsed
        if errors:
            raise ValidationError(errors)
    else:
        first, last = last_month(today)
    if last < first:
        raise ValidationError({"end": "The period must end on or after the day it starts."})
    if first > today:
        raise ValidationError({"start": "The period has not started yet."})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError({"start": f"A report covers at most {MAX_DAYS} days."})
    return first, last
