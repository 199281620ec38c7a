"""REST API of availability figures (ISO/IEC 20000-1, 8.7.1): ``/availability/``.

Nothing here is stored: each request measures the services or agreements asked for from the
outages on record, through :mod:`accord.availability.selectors` (a constant number of queries,
however many services and outages), with the arithmetic of :mod:`accord.domain.availability`.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.agreements.models import Agreement
from accord.availability.selectors import (
    Measured,
    agreements_for_measure,
    availability_agreements_visible_to,
    is_availability_staff,
    measure_agreements,
    measure_services,
    sees_status,
)
from accord.domain import availability as av
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_visible_to

FIGURES_DESCRIPTION = """\
The availability achieved over a period, computed from the outages on record whenever asked
(never stored, so a corrected outage corrects every figure). Durations are seconds (JSON
numbers, to the microsecond).

* **Period**: `period` is a month `2026-11`, a quarter `2026-Q4`, a year `2026` or a range
  `2026-11-03..2026-11-17` (both days included), in the time zone of the subject (`time_zone`);
  default the current month there. A service counts from going live to retirement, an agreement
  from its start to its end; `start` / `end` are the instants measured.
* **Agreed service time** (`agreed_seconds`): the business time of the calendar inside the
  period (`scheduled_seconds`; round the clock without one) minus the planned maintenance that
  lies inside the agreed maintenance windows (`excluded_seconds`). Only the time up to now
  counts.
* **Downtime** (`downtime_seconds`, weighted): the agreed service time during outages, each
  instant weighted by the share of the service lost (1 for a full outage, less for a degraded
  one; overlapping outages count the heaviest, never the sum). Planned maintenance outside the
  windows is downtime like any other outage. Rounded up to the microsecond.
* **Uptime** (`uptime_seconds`) = agreed service time - downtime.
* **Availability** (`availability_percent`) = 100 x uptime / agreed service time, rounded *down*
  to three decimals (so a target never shows as met when it is not); null without agreed time.
* **Failures**: the number of interruptions, outages that overlap or touch counting as one.
* **MTBF** (mean time between failures) = uptime / failures; **MTRS** (mean time to restore
  service) = downtime / failures; **MTBSI** (mean time between service incidents) = agreed
  service time / failures (MTBF + MTRS). All three are null without a failure.
* **Downtime budget**: what the target allows over the whole period,
  (100 - target) / 100 x the period's agreed service time (rounded down); `used_seconds` is the
  downtime so far, `remaining_seconds` the rest (negative once overspent), `share_used`
  used / allowed (4 decimals). Null without a target.
* **Status**: `no_target`, `on_track`, `threatened` (the warning share of the budget is used) or
  `breached` (the budget is spent: the target cannot be met this period).

A **service** is measured over its service hours against its *governing agreement* (the active
SLA covering it with the strictest availability target, named in `agreement`), whose target,
maintenance windows and exclusions apply, counting all its outages. An **agreement** is
measured with its own calendar, windows and target, for each service it covers (`services`),
counting only the outages that reached its customer and were not excluded from it; its figures
are the sums of its services'.

Who sees what: the provider's staff (availability.view) every live service and agreement;
without `service` or `agreement`, one entry per service in the portfolio (pipeline services
left out). A customer's people (availability.status) see their own organisation's agreements
(out of draft): without a parameter one entry per agreement; `service=` gives that service's
entries under their agreements. Anything else answers 404.
"""


class DowntimeBudgetSerializer(serializers.Serializer[Any]):
    allowed_seconds = serializers.FloatField()
    used_seconds = serializers.FloatField()
    remaining_seconds = serializers.FloatField()
    share_used = serializers.CharField(help_text="used / allowed, 4 decimals.")


class AgreementRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()


class AvailabilityEntrySerializer(serializers.Serializer[Any]):
    """One measured service or agreement (for the schema; the view builds plain dicts)."""

    kind = serializers.ChoiceField(choices=["service", "agreement"])
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    period = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    time_zone = serializers.CharField()
    scheduled_seconds = serializers.FloatField()
    excluded_seconds = serializers.FloatField()
    agreed_seconds = serializers.FloatField()
    downtime_seconds = serializers.FloatField()
    uptime_seconds = serializers.FloatField()
    availability_percent = serializers.CharField(allow_null=True)
    target_percent = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["no_target", "breached", "threatened", "on_track"])
    downtime_budget = DowntimeBudgetSerializer(allow_null=True)
    failures = serializers.IntegerField()
    mtbf_seconds = serializers.FloatField(allow_null=True)
    mtrs_seconds = serializers.FloatField(allow_null=True)
    mtbsi_seconds = serializers.FloatField(allow_null=True)
    outages = serializers.ListField(child=serializers.IntegerField())
    agreement = AgreementRefSerializer(allow_null=True)
    services = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Agreement entries only."
    )


class AvailabilityAnswerSerializer(serializers.Serializer[Any]):
    results = AvailabilityEntrySerializer(many=True)


# --- presenting the figures ---------------------------------------------------------------------

_SHARE = Decimal("0.0001")


def seconds(value: dt.timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def share_text(share: Fraction) -> str:
    """A fraction as a decimal string with four places (half up)."""
    exact = Decimal(share.numerator) / Decimal(share.denominator)
    return str(exact.quantize(_SHARE, rounding=ROUND_HALF_UP))


def percent_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def entry(measured: Measured) -> dict[str, Any]:
    """The JSON of one measured service or agreement."""
    subject = measured.subject
    is_agreement = isinstance(subject, Agreement)
    figures = measured.figures
    budget = measured.budget
    body: dict[str, Any] = {
        "kind": "agreement" if is_agreement else "service",
        "id": subject.pk,
        "code": subject.code,
        "name": subject.name,
        "period": measured.period,
        "start": measured.start.isoformat().replace("+00:00", "Z"),
        "end": measured.end.isoformat().replace("+00:00", "Z"),
        "time_zone": measured.zone.key,
        "scheduled_seconds": seconds(figures.scheduled),
        "excluded_seconds": seconds(figures.excluded),
        "agreed_seconds": seconds(figures.agreed),
        "downtime_seconds": seconds(figures.downtime),
        "uptime_seconds": seconds(figures.uptime),
        "availability_percent": percent_text(figures.availability),
        "target_percent": percent_text(measured.target),
        "status": measured.status,
        "downtime_budget": None
        if budget is None
        else {
            "allowed_seconds": seconds(budget.allowed),
            "used_seconds": seconds(budget.used),
            "remaining_seconds": seconds(budget.remaining),
            "share_used": share_text(budget.share_used),
        },
        "failures": figures.failures,
        "mtbf_seconds": seconds(figures.mtbf),
        "mtrs_seconds": seconds(figures.mtrs),
        "mtbsi_seconds": seconds(figures.mtbsi),
        "outages": list(figures.counted),
        "agreement": None
        if is_agreement or measured.agreement is None
        else {"id": measured.agreement.pk, "code": measured.agreement.code},
    }
    if is_agreement:
        body["services"] = [entry(part) for part in measured.services]
    return body


# --- finding the subject ------------------------------------------------------------------------


def by_id_or_code(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
    """``value`` as an id when it is a number, else as a code."""
    text = value.strip()
    if text.isdigit() and len(text) <= 18:
        return queryset.filter(pk=int(text))
    return queryset.filter(code=text)


def checked_period(value: str | None) -> str | None:
    """The period asked for, checked before anything is measured (400 with the rule)."""
    if value is None or not value.strip():
        return None
    try:
        av.period_bounds(value, ZoneInfo("UTC"))
    except ValueError as exc:
        raise DjangoValidationError({"period": [str(exc)]}) from exc
    return value.strip()


PARAMETERS = [
    OpenApiParameter(
        "service",
        OpenApiTypes.STR,
        description="A service, by id or code: its figure (customers: its entries under their "
        "agreements).",
    ),
    OpenApiParameter(
        "agreement",
        OpenApiTypes.STR,
        description="An agreement, by id or code: its figure with one entry per service.",
    ),
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        description="2026-11, 2026-Q4, 2026 or 2026-11-03..2026-11-17; default the current "
        "month in the subject's time zone.",
    ),
]


class AvailabilityViewSet(viewsets.ViewSet):
    """Availability figures of services and agreements (read only)."""

    @extend_schema(
        summary="Availability, MTBF, MTRS and downtime budgets",
        description=FIGURES_DESCRIPTION,
        parameters=PARAMETERS,
        responses={
            200: AvailabilityAnswerSerializer,
            400: OpenApiResponse(
                description='A bad period: `{"message", "code": "invalid", "errors": '
                '{"period": [...]}}`.'
            ),
            404: OpenApiResponse(description="No such service or agreement you may see."),
        },
    )
    def list(self, request: Request) -> Response:
        person = request.user
        period = checked_period(request.query_params.get("period"))
        service = request.query_params.get("service")
        agreement = request.query_params.get("agreement")
        now = timezone.now()
        staff = is_availability_staff(person)
        if not staff and not sees_status(person):
            raise Http404
        if agreement:
            found = list(
                agreements_for_measure(
                    by_id_or_code(availability_agreements_visible_to(person), agreement)
                )
            )
            if not found:
                raise Http404("No such agreement.")
            measured = measure_agreements(found, period=period, now=now)
            if service:
                return self._answer(self._parts(measured, service, person))
            return self._answer([entry(m) for m in measured])
        if service:
            if staff:
                services = list(by_id_or_code(services_visible_to(person), service))
                if not services:
                    raise Http404("No such service.")
                return self._answer(
                    [entry(m) for m in measure_services(services, period=period, now=now)]
                )
            mine = agreements_for_measure(availability_agreements_visible_to(person))
            measured = measure_agreements(list(mine), period=period, now=now)
            return self._answer(self._parts(measured, service, person))
        if staff:
            services = list(
                services_visible_to(person).exclude(status=ServiceStatus.PIPELINE).order_by("code")
            )
            return self._answer(
                [entry(m) for m in measure_services(services, period=period, now=now)]
            )
        mine = agreements_for_measure(availability_agreements_visible_to(person).order_by("code"))
        return self._answer(
            [entry(m) for m in measure_agreements(list(mine), period=period, now=now)]
        )

    @staticmethod
    def _parts(measured: list[Measured], service: str, person: Any) -> list[dict[str, Any]]:
        """The entries of one service inside the agreements measured (404 when there is none)."""
        wanted = set(by_id_or_code(Service.objects.all(), service).values_list("pk", flat=True))
        parts = [entry(part) for m in measured for part in m.services if part.subject.pk in wanted]
        if not parts:
            raise Http404("No such service under your agreements.")
        return parts

    @staticmethod
    def _answer(results: list[dict[str, Any]]) -> Response:
        return Response({"results": results})


def register(router: DefaultRouter) -> None:
    """Add this module's view sets to the router."""
    router.register("availability", AvailabilityViewSet, basename="api-availability")
