"""Forms of the configuration item pages. They validate input; saving goes through
``accord.portfolio.services.ci``."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accord.core.forms import VersionedForm
from accord.core.models import Organisation, Person
from accord.portfolio.choices import CIRelationKind, CIStatus
from accord.portfolio.models import CIType, ConfigurationItem
from accord.portfolio.services.ci import CI_FIELDS, validate_attributes


class AttributesField(forms.JSONField):
    """A flat JSON object of text, numbers and booleans, edited as JSON text."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return {}
        return super().to_python(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        try:
            validate_attributes(value)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["attributes"]) from exc

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)
        return super().prepare_value(value)


class CIForm(VersionedForm):
    name = forms.CharField(max_length=200)
    ci_type = forms.ModelChoiceField(queryset=CIType.objects.all(), label="Type")
    status = forms.ChoiceField(choices=CIStatus.choices, initial=CIStatus.IN_USE)
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    attributes = AttributesField(
        required=False,
        help_text='A JSON object of text, numbers and true/false, e.g. {"cpu": 4, "os": "Linux"}.',
    )
    last_verified = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Last verified"
    )

    def __init__(self, *args: Any, organisations: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["owner"].queryset = people


def ci_initial(ci: ConfigurationItem) -> dict[str, Any]:
    initial = {name: getattr(ci, name) for name in CI_FIELDS}
    initial.update(
        ci_type=ci.ci_type_id,
        organisation=ci.organisation_id,
        owner=ci.owner_id,
        version=ci.version,
    )
    return initial


class CIRelateForm(forms.Form):
    """Relate the CI of the page to another one, in either direction."""

    DIRECTIONS = [("out", "This CI … the other"), ("in", "The other … this CI")]

    direction = forms.ChoiceField(choices=DIRECTIONS, initial="out")
    kind = forms.ChoiceField(choices=CIRelationKind.choices)
    other = forms.ModelChoiceField(queryset=ConfigurationItem.objects.none(), label="Other CI")

    def __init__(self, *args: Any, others: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = others


class CIImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: name, type, status, organisation, owner, description, attributes "
        "(UTF-8; the header row is row 1).",
    )
    dry_run = forms.BooleanField(
        required=False, label="Only check the file, save nothing", initial=False
    )
