"""Forms of the calendar and agreement pages. They parse input; the services decide."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_duration

from accord.agreements.choices import AgreementKind, Metric
from accord.agreements.models import Calendar
from accord.agreements.services import ACTIVE_EDITABLE
from accord.core.choices import Priority
from accord.core.forms import TIME_ZONES, VersionedForm
from accord.core.models import Organisation, Person, Team

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_LOOKUP = {name.lower(): i for i, name in enumerate(DAY_NAMES)} | {
    full: i
    for i, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
_DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def weekly_hours_text(weekly_hours: dict[str, Any]) -> str:
    """Stored weekly hours as the form shows them: ``Mon 09:00-12:30, 13:30-17:00``."""
    lines = []
    for key in sorted(weekly_hours, key=int):
        stretches = ", ".join(f"{start}-{end}" for start, end in weekly_hours[key])
        lines.append(f"{DAY_NAMES[int(key)]} {stretches}")
    return "\n".join(lines)


def parse_weekly_hours(text: str) -> dict[str, list[list[str]]]:
    """``Mon 09:00-12:30, 13:30-17:00`` (one line per day) to ``{"0": [["09:00", "12:30"], …]}``."""
    result: dict[str, list[list[str]]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        day_text, _, rest = line.partition(" ")
        day = _DAY_LOOKUP.get(day_text.rstrip(":").lower())
        if day is None and day_text.rstrip(":").isdigit():
            day = int(day_text.rstrip(":"))
        if day is None or not 0 <= day <= 6:
            raise ValidationError(
                f"Line {number}: start with a weekday (Mon … Sun), e.g. 'Mon 09:00-17:00'."
            )
        if str(day) in result:
            raise ValidationError(f"Line {number}: {DAY_NAMES[day]} is given twice.")
        pairs = []
        for stretch in filter(None, (s.strip() for s in rest.split(","))):
            start, sep, end = stretch.partition("-")
            if not sep:
                raise ValidationError(
                    f"Line {number}: '{stretch}' is not a stretch like 09:00-17:00."
                )
            pairs.append([start.strip(), end.strip()])
        if pairs:
            result[str(day)] = pairs
    return result


_HM = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+)\s*(?:m|min))?\s*$", re.IGNORECASE)


def parse_business_duration(text: str) -> dt.timedelta:
    """``4h``, ``1h 30m``, ``90 min``, ``2.5`` (hours) or ``HH:MM:SS`` / ISO 8601 (``PT4H``)."""
    value = text.strip()
    if not value:
        raise ValidationError("Give a duration such as 4h, 1h 30m or 90 min.")
    try:
        return dt.timedelta(hours=float(Decimal(value)))
    except (ArithmeticError, ValueError):
        pass
    match = _HM.match(value)
    if match and (match[1] or match[2]):
        return dt.timedelta(hours=float(match[1] or 0), minutes=int(match[2] or 0))
    parsed = parse_duration(value)
    if parsed is None:
        raise ValidationError(f"'{value}' is not a duration such as 4h, 1h 30m or 90 min.")
    return parsed


def duration_text(duration: dt.timedelta | None) -> str:
    if duration is None:
        return ""
    minutes = int(duration.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return " ".join(
        p for p in (f"{hours}h" if hours else "", f"{minutes}m" if minutes else "") if p
    )


class CalendarForm(VersionedForm):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    time_zone = forms.ChoiceField(choices=[(tz, tz) for tz in TIME_ZONES], initial="Europe/Berlin")
    weekly_hours = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 7}),
        label="Weekly hours",
        help_text="One line per open day, e.g. 'Mon 09:00-12:30, 13:30-17:00'. "
        "Days not listed are closed; 24:00 may end a stretch.",
    )
    holiday_country = forms.CharField(
        max_length=8, required=False, help_text="ISO 3166 code of the public holidays, e.g. DE."
    )
    holiday_subdivision = forms.CharField(
        max_length=16, required=False, help_text="Region within the country, e.g. BY (Bavaria)."
    )
    custom_holidays = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Your own closed days, YYYY-MM-DD, separated by spaces, commas or lines.",
    )

    def clean_weekly_hours(self) -> dict[str, Any]:
        return parse_weekly_hours(self.cleaned_data["weekly_hours"])

    def clean_custom_holidays(self) -> list[str]:
        return [d for d in re.split(r"[\s,;]+", self.cleaned_data["custom_holidays"]) if d]


def calendar_initial(calendar: Calendar) -> dict[str, Any]:
    return {
        "name": calendar.name,
        "description": calendar.description,
        "time_zone": calendar.time_zone,
        "weekly_hours": weekly_hours_text(calendar.weekly_hours),
        "holiday_country": calendar.holiday_country,
        "holiday_subdivision": calendar.holiday_subdivision,
        "custom_holidays": "\n".join(calendar.custom_holidays),
        "version": calendar.version,
    }


class AgreementForm(VersionedForm):
    code = forms.CharField(max_length=32, help_text="Short code, e.g. SLA-CONTOSO-2026.")
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=AgreementKind.choices)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        help_text="The customer (SLA), the supplier (UC) or the provider itself (OLA).",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="The delivering team (OLA only)."
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    calendar = forms.ModelChoiceField(queryset=Calendar.objects.none())
    starts_on = forms.DateField(widget=_DATE_INPUT)
    ends_on = forms.DateField(widget=_DATE_INPUT, required=False)
    owner = forms.ModelChoiceField(queryset=Person.objects.none())
    review_date = forms.DateField(widget=_DATE_INPUT, required=False)
    workload_limits = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    exceptions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Agreed exceptions"
    )
    pause_on_pending_supplier = forms.BooleanField(
        required=False,
        initial=True,
        label="Clocks pause while waiting on a supplier",
        help_text="Usually yes for SLAs and OLAs, no for an underpinning contract (it measures "
        "that supplier).",
    )
    count_approval_time = forms.BooleanField(
        required=False,
        initial=False,
        label="Waiting for approval counts against fulfilment",
        help_text="Usually no: a request's fulfilment clock pauses until its approver decides.",
    )

    maintenance_windows = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Maintenance windows",
        help_text="When planned changes may touch the services, in the calendar's time zone: "
        "one line per day, e.g. 'Sun 01:00-05:00'. Empty: no windows agreed.",
    )

    def clean_maintenance_windows(self) -> dict[str, Any]:
        return parse_weekly_hours(self.cleaned_data.get("maintenance_windows") or "")

    def __init__(
        self,
        *args: Any,
        organisations: Any,
        teams: Any,
        services: Any,
        calendars: Any,
        owners: Any,
        agreement: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["team"].queryset = teams
        self.fields["services"].queryset = services
        self.fields["calendar"].queryset = calendars
        self.fields["owner"].queryset = owners
        if agreement is None:
            self.fields["text"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 6}),
                required=False,
                label="Agreement text",
                help_text="The first version of the text (more versions can be added later).",
            )
        elif agreement.status != "draft":
            for name, field in self.fields.items():
                if name != "version" and name not in ACTIVE_EDITABLE:
                    field.disabled = True
                    field.help_text = "Fixed once the agreement is in force."


def agreement_initial(agreement: Any) -> dict[str, Any]:
    return {
        "code": agreement.code,
        "name": agreement.name,
        "kind": agreement.kind,
        "organisation": agreement.organisation_id,
        "team": agreement.team_id,
        "services": list(agreement.services.values_list("pk", flat=True)),
        "calendar": agreement.calendar_id,
        "starts_on": agreement.starts_on,
        "ends_on": agreement.ends_on,
        "owner": agreement.owner_id,
        "review_date": agreement.review_date,
        "workload_limits": agreement.workload_limits,
        "exceptions": agreement.exceptions,
        "pause_on_pending_supplier": agreement.pause_on_pending_supplier,
        "count_approval_time": agreement.count_approval_time,
        "maintenance_windows": weekly_hours_text(agreement.maintenance_windows or {}),
        "version": agreement.version,
    }


class TargetForm(VersionedForm):
    metric = forms.ChoiceField(choices=Metric.choices)
    priority = forms.ChoiceField(
        choices=[("", "All priorities"), *Priority.choices],
        required=False,
        help_text="A priority's own target wins over the 'all priorities' target.",
    )
    duration = forms.CharField(
        required=False,
        label="Business time",
        help_text="For time targets: e.g. 4h, 1h 30m, 90 min, 2.5 (hours).",
    )
    percentage = forms.DecimalField(
        required=False,
        max_digits=6,
        decimal_places=3,
        help_text="For availability targets: e.g. 99.5.",
    )
    warning_threshold = forms.DecimalField(
        max_digits=4,
        decimal_places=3,
        initial=Decimal("0.8"),
        help_text="Share of the target that raises a warning, more than 0 and at most 1.",
    )

    def clean_duration(self) -> dt.timedelta | None:
        text = self.cleaned_data.get("duration") or ""
        return parse_business_duration(text) if text.strip() else None


def target_initial(target: Any) -> dict[str, Any]:
    return {
        "metric": target.metric,
        "priority": target.priority,
        "duration": duration_text(target.duration),
        "percentage": target.percentage,
        "warning_threshold": target.warning_threshold,
        "version": target.version,
    }


class AgreementTextForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16}),
        label="Text",
        help_text="Saved as a new version; earlier versions stay as they were.",
    )


class TransitionForm(VersionedForm):
    """A state change carries the version the approver saw."""
