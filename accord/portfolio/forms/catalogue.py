"""Forms of the catalogue pages. They parse input; the catalogue services decide and save."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.dateparse import parse_duration

from accord.core.choices import OrganisationKind, Role
from accord.core.forms import VersionedForm
from accord.core.models import Organisation, Team
from accord.portfolio.choices import Audience, FormFieldType
from accord.portfolio.models import CatalogueItem, Service

_HOURS_MINUTES = re.compile(r"^\s*(?:(\d{1,5})\s*h)?\s*(?:(\d{1,6})\s*m(?:in)?)?\s*$", re.I)
_CLOCK = re.compile(r"^\s*(\d{1,5}):([0-5]\d)\s*$")


def format_duration(value: dt.timedelta | None) -> str:
    """A business duration as people write it: ``8h``, ``1h 30m``, ``45m`` (empty for None)."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours}h"] if hours else []) + ([f"{minutes}m"] if minutes else [])
    return " ".join(parts) or "0m"


class BusinessDurationField(forms.Field):
    """Business time written as ``8h``, ``1h 30m``, ``90m`` or ``8:30`` (ISO 8601 ``PT8H`` and
    Django's ``08:00:00`` are understood too)."""

    default_error_messages = {
        "invalid": "Write a business duration such as 8h, 1h 30m, 90m or 8:30.",
    }

    def to_python(self, value: Any) -> dt.timedelta | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.timedelta):
            return value
        text = str(value).strip()
        match = _HOURS_MINUTES.match(text)
        if match and any(match.groups()):
            return dt.timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))
        match = _CLOCK.match(text)
        if match:
            return dt.timedelta(hours=int(match[1]), minutes=int(match[2]))
        try:
            parsed = parse_duration(text)
        except OverflowError:
            parsed = None
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed

    def prepare_value(self, value: Any) -> Any:
        return format_duration(value) if isinstance(value, dt.timedelta) else value


SCHEMA_HELP = (
    "The request form as a JSON list of fields. Each field has a name (lowercase letters, "
    "digits and _), a label and a type ("
    + ", ".join(FormFieldType.values)
    + "); optionally required (true/false), help, choices (for choice and multichoice), "
    "min and max (for number) and max_length (for text). Example: "
    '[{"name": "cost_centre", "label": "Cost centre", "type": "text", "required": true}]'
)


class FormDefinitionField(forms.CharField):
    """The request form definition edited as JSON text; the service checks its content."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 14, "class": "code"}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", SCHEMA_HELP)
        kwargs.setdefault("label", "Request form")
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text.strip():
            return []
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"This is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
                code="invalid",
            ) from None
        except RecursionError:
            raise ValidationError("This JSON is nested too deeply.", code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | dict):
            return json.dumps(value, indent=2, ensure_ascii=False)
        return value


class CatalogueItemForm(VersionedForm):
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        help_text="Items belong to a live service; those of a service in the pipeline are "
        "prepared unpublished and published when it goes live.",
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="What the customer gets, and when to ask for it.",
    )
    audience = forms.ChoiceField(
        choices=Audience.choices, initial=Audience.ALL, widget=forms.RadioSelect
    )
    organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="With the audience 'Chosen organisations': the customers who see the item.",
    )
    fulfilment_team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="The provider team that fulfils."
    )
    approval_required = forms.BooleanField(required=False, label="Requests need approval")
    approver_role = forms.ChoiceField(
        choices=[("", "—"), *Role.choices],
        required=False,
        label="Approved by",
        help_text="The role whose holder approves; only when requests need approval.",
    )
    target_fulfilment = BusinessDurationField(
        required=False,
        label="Target fulfilment time",
        help_text="Business time to fulfil a request: 8h, 1h 30m, 90m …",
    )
    form_schema = FormDefinitionField()
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(
        self,
        *args: Any,
        services: QuerySet[Service],
        teams: QuerySet[Team],
        organisations: QuerySet[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["fulfilment_team"].queryset = teams
        self.fields["organisations"].queryset = organisations

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The chosen organisations only mean something with the audience "chosen"; a list
        # left selected under "all customers" is not a contradiction the person meant.
        if data.get("audience") == Audience.ALL:
            data["organisations"] = []
        return data


def form_choices(
    services: QuerySet[Service], teams: QuerySet[Team], organisations: QuerySet[Organisation]
) -> dict[str, QuerySet[Any]]:
    """What the form offers: live services (and the item's own), provider teams, customers."""
    return {
        "services": services,
        "teams": teams.filter(organisation__kind=OrganisationKind.PROVIDER, is_active=True),
        "organisations": organisations.filter(kind=OrganisationKind.CUSTOMER, is_active=True),
    }


def catalogue_item_initial(item: CatalogueItem) -> dict[str, Any]:
    return {
        "service": item.service_id,
        "name": item.name,
        "description": item.description,
        "audience": item.audience,
        "organisations": list(item.organisations.values_list("pk", flat=True)),
        "fulfilment_team": item.fulfilment_team_id,
        "approval_required": item.approval_required,
        "approver_role": item.approver_role,
        "target_fulfilment": item.target_fulfilment,
        "form_schema": item.form_schema,
        "is_active": item.is_active,
        "version": item.version,
    }
