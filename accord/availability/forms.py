"""Forms of the availability pages. They only parse what a person typed; the outage services
decide (an unplanned outage cannot start in the future, closing needs a completed investigation,
…) and their refusals come back onto these forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.availability.choices import (
    ExclusionReason,
    OutageKind,
    OutageSeverity,
    OutageState,
)
from accord.availability.models import Investigation, Outage
from accord.core.models import Person

#: Seconds are kept (``step=1``) so that an instant copied from an incident or a change is not
#: rounded to the minute when an outage is edited.
DATETIME_INPUT = forms.DateTimeInput(
    attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"
)
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]


def _blank(choices: list[tuple[str, str]], label: str = "any") -> list[tuple[str, str]]:
    return [("", label), *choices]


def _when(label: str, help_text: str = "", required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DATETIME_INPUT,
        input_formats=DATETIME_FORMATS,
        help_text=help_text,
    )


class ScopedForm(forms.Form):
    """A form whose model choices are given by the page, scoped to the person."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, querysets: dict[str, QuerySet[Any]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (querysets or {}).items():
            if name in self.fields:
                self.fields[name].queryset = queryset  # type: ignore[attr-defined]


class ReferenceField(forms.CharField):
    """A record named by its human reference (``INC-000042``), looked up in a scoped queryset:
    lists of every incident or change would be too long for a select."""

    def __init__(self, *args: Any, noun: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.noun = noun
        self.queryset: QuerySet[Any] | None = None

    def clean(self, value: Any) -> Any:
        text = (super().clean(value) or "").strip().upper()
        if not text:
            return None
        found = self.queryset.filter(reference=text).first() if self.queryset is not None else None
        if found is None:
            raise forms.ValidationError(f"No {self.noun} {text} that you may see.")
        return found


class OutageForm(ScopedForm):
    """Record an outage, or correct one: what stopped, when, how badly and why."""

    title = forms.CharField(max_length=200, help_text="What users could not do.")
    service = forms.ModelChoiceField(queryset=None)
    kind = forms.ChoiceField(choices=OutageKind.choices)
    severity = forms.ChoiceField(choices=OutageSeverity.choices, initial=OutageSeverity.FULL)
    weight = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=1,
        max_digits=4,
        decimal_places=3,
        label="Share lost",
        help_text="Degraded only: the share of the service lost (0.5 when half the users were "
        "cut off).",
    )
    start = _when("Start", "When the service stopped (or the planned work begins).", True)
    detected_at = _when("Detected at")
    end = _when("End", "When the service was restored; empty while it goes on.")
    configuration_item = forms.ModelChoiceField(
        queryset=None, required=False, label="Configuration item"
    )
    customers = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        help_text="Only these customers were affected. None chosen: every customer.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    incident = ReferenceField(noun="incident", help_text="The incident, e.g. INC-000042.")
    follows_incident = forms.BooleanField(
        required=False,
        label="Ends with the incident",
        help_text="The end follows the incident's resolution.",
    )
    change = ReferenceField(noun="change", help_text="The change, e.g. CHG-000007.")

    def __init__(
        self, *args: Any, references: dict[str, QuerySet[Any]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (references or {}).items():
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]


def outage_initial(outage: Outage) -> dict[str, Any]:
    """The stored outage as the edit form shows it."""
    return {
        "version": outage.version,
        "title": outage.title,
        "service": outage.service_id,
        "kind": outage.kind,
        "severity": outage.severity,
        "weight": outage.weight if outage.severity == OutageSeverity.DEGRADED else None,
        "start": outage.start,
        "detected_at": outage.detected_at,
        "end": outage.end,
        "configuration_item": outage.configuration_item_id,
        "customers": [c.pk for c in outage.customers.all()],
        "description": outage.description,
        "cause": outage.cause,
        "incident": outage.incident.reference if outage.incident_id else "",
        "follows_incident": outage.follows_incident,
        "change": outage.change.reference if outage.change_id else "",
    }


def unchanged_instant(given: dt.datetime | None, stored: dt.datetime | None) -> bool:
    """True when a typed instant is the stored one as the form showed it (to the second), so
    that saving a form untouched neither moves the instant nor breaks an end that follows an
    incident."""
    if given is None or stored is None:
        return given is None and stored is None
    return given == stored.replace(microsecond=0)


class VersionForm(forms.Form):
    """An action on a record with the version its page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class RestoreForm(VersionForm):
    end = _when("Restored at", "Empty: now.")


class CloseForm(VersionForm):
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Closure notes"
    )


class CancelForm(VersionForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why cancel",
        help_text="Maintenance that will not happen, or an outage recorded in error.",
    )


class ExclusionForm(forms.Form):
    """Take the outage out of one agreement's figures, with the reason written down."""

    agreement = forms.ModelChoiceField(queryset=None)
    reason = forms.ChoiceField(choices=ExclusionReason.choices)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was agreed, or how the customer caused it.",
    )

    def __init__(self, *args: Any, agreements: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements  # type: ignore[attr-defined]


class InvestigationForm(ScopedForm):
    """The findings, root cause and actions of an investigation, its owner and problem."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    findings = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="What happened."
    )
    root_cause = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Root cause"
    )
    actions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="What will stop it happening again.",
    )
    problem = ReferenceField(noun="problem", help_text="The problem record, e.g. PRB-000003.")

    def __init__(self, *args: Any, problems: QuerySet[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = problems  # type: ignore[attr-defined]

    def data_to_write(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


def investigation_initial(investigation: Investigation) -> dict[str, Any]:
    return {
        "version": investigation.version,
        "owner": investigation.owner_id,
        "findings": investigation.findings,
        "root_cause": investigation.root_cause,
        "actions": investigation.actions,
        "problem": investigation.problem.reference if investigation.problem_id else "",
    }


class OutageFilterForm(forms.Form):
    """The filters of the outage list; every one optional."""

    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="any")
    kind = forms.ChoiceField(choices=_blank(OutageKind.choices), required=False)
    state = forms.ChoiceField(choices=_blank(OutageState.choices), required=False)
    period = forms.CharField(
        required=False,
        max_length=40,
        help_text="2026-11, 2026-Q4, 2026 or 2026-11-03..2026-11-17",
    )

    def __init__(self, *args: Any, services: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
