"""Who may read which service reports.

Provider staff and the auditor (``reports.view``) read every report: any agreement, any
service, and the provider-wide one. A customer's managers (``reports.customer``) read the
reports of their own organisation's SLAs once in force (active, or ended: expired or
terminated), so last year's figures stay readable after an agreement ends; never a draft,
another organisation's agreement, a service or the provider. Everyone else reads none. Every
page, PDF, CSV and API answer starts from these functions, so the doors agree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.agreements.models import Agreement
from accord.core.permissions import has_capability, sees_all_organisations
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service

#: The states of an agreement whose report its customer reads.
CUSTOMER_STATUSES = (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)


def _active(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def may_report_provider(person: Any) -> bool:
    """True for those who read every report: the provider's staff and the auditor."""
    return (
        _active(person)
        and has_capability(person, "reports.view")
        and sees_all_organisations(person)
    )


def may_report_customer(person: Any) -> bool:
    """True for a customer manager of an organisation (who reads its SLAs' reports)."""
    return (
        _active(person)
        and person.organisation_id is not None
        and has_capability(person, "reports.customer", person.organisation_id)
    )


def may_read_reports(person: Any) -> bool:
    """True when some report is open to the person (otherwise the pages answer 404)."""
    return may_report_provider(person) or may_report_customer(person)


def reportable_agreements(person: Any) -> QuerySet[Agreement]:
    """The agreements whose report the person may read, by code."""
    qs = Agreement.objects.select_related("organisation", "calendar").order_by("code")
    if may_report_provider(person):
        return qs
    if not may_report_customer(person):
        return qs.none()
    return qs.filter(
        organisation_id=person.organisation_id,
        kind=AgreementKind.SLA,
        status__in=CUSTOMER_STATUSES,
    )


def reportable_services(person: Any) -> QuerySet[Service]:
    """The services a report may cover on their own (live, or retired and so still with a
    past to report): the provider's staff and the auditor only."""
    if not may_report_provider(person):
        return Service.objects.none()
    return Service.objects.filter(
        Q(status=ServiceStatus.LIVE) | Q(status=ServiceStatus.RETIRED)
    ).order_by("name", "code")


# --- stored report versions and schedules -------------------------------------------------------


def service_reports_visible_to(person: Any) -> QuerySet[Any]:
    """The stored report versions the person may read: every version for the provider's staff
    and the auditor; for a customer's manager, the signed versions (signed, acknowledged or
    superseded, never a draft) of their organisation's SLAs in force or ended. Newest period
    first."""
    from accord.reports.choices import FROZEN
    from accord.reports.models import ServiceReport

    qs = ServiceReport.objects.select_related(
        "agreement", "service", "organisation", "signed_by", "acknowledged_by"
    ).order_by("-period_start", "subject_key", "-revision")
    if may_report_provider(person):
        return qs
    if not may_report_customer(person):
        return qs.none()
    return qs.filter(
        organisation_id=person.organisation_id,
        status__in=FROZEN,
        agreement__in=reportable_agreements(person).values("pk"),
    )


def report_schedules_visible_to(person: Any) -> QuerySet[Any]:
    """Schedules: read by the provider's staff and the auditor (who see every report);
    customers see none (they receive what is sent to them)."""
    from accord.reports.models import ReportSchedule

    qs = ReportSchedule.objects.select_related("agreement", "service", "owner").order_by(
        "name", "pk"
    )
    return qs if may_report_provider(person) else qs.none()
