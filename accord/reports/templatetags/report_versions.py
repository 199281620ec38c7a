"""Template filters of stored service reports: who is offered which buttons and links."""

from __future__ import annotations

from typing import Any

from django import template

from accord.reports.selectors import may_report_customer, may_report_provider
from accord.reports.services import may_manage_reports

register = template.Library()


@register.filter
def manages_reports(person: Any) -> bool:
    """True for the service level managers (the "Save as a report version" button)."""
    return may_manage_reports(person)


@register.filter
def reads_customer_reports(person: Any) -> bool:
    """True for a customer's managers (the portal's "Service reports" link)."""
    return may_report_customer(person)


@register.filter
def reads_all_reports(person: Any) -> bool:
    """True for provider staff and auditors (links to stored versions and schedules)."""
    return may_report_provider(person)
