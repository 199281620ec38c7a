"""The form that chooses a service report: what it covers and which days.

The fields are plain text behind their widgets on purpose: whether an agreement is one the
person may read is decided by :func:`accord.reports.builder.resolve_scope`, which tells bad
input (a field error, 400) from a scope out of reach (404, raised out of ``is_valid``), the
same way for the page, the PDF, the CSV and the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from accord.reports.builder import resolve_scope
from accord.reports.scope import ReportScope, last_month
from accord.reports.selectors import may_report_provider, reportable_agreements, reportable_services


class ReportForm(forms.Form):
    agreement = forms.CharField(
        required=False,
        widget=forms.Select,
        help_text="The agreement whose customer and services the report covers.",
    )
    service = forms.CharField(
        required=False,
        widget=forms.Select,
        help_text="Or one service, for every customer. Leave both empty for all services.",
    )
    period = forms.CharField(
        required=False,
        label="Month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
        help_text="A calendar month; by default the last complete month.",
    )
    start = forms.CharField(
        required=False,
        label="Or from",
        widget=forms.TextInput(attrs={"type": "date"}),
        help_text="First day (used when no month is given).",
    )
    end = forms.CharField(
        required=False,
        label="To",
        widget=forms.TextInput(attrs={"type": "date"}),
        help_text="Last day, included.",
    )

    def __init__(self, *args: Any, person: Any, now: dt.datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.now = now
        self.scope: ReportScope | None = None
        everything = may_report_provider(person)
        agreements = [
            (str(a.pk), f"{a.code} {a.name}" + (f" ({a.organisation.name})" if everything else ""))
            for a in reportable_agreements(person)
        ]
        # Customers always choose one of their agreements; staff may leave it empty.
        self.fields["agreement"].widget.choices = ([("", "—")] if everything else []) + agreements
        self.may_choose_service = everything
        services = [(str(s.pk), f"{s.code} {s.name}") for s in reportable_services(person)]
        self.fields["service"].widget.choices = [("", "All services"), *services]
        if not self.is_bound:
            first, _ = last_month(now.date())
            self.initial.setdefault("period", f"{first:%Y-%m}")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            # The raw query, so a parameter a person may not use is refused, not ignored.
            self.scope = resolve_scope(self.person, self.data, now=self.now)
        return data
