"""Forms of the service pages. They parse input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accord.agreements.models import Calendar
from accord.core.choices import OrganisationKind, Role
from accord.core.forms import VersionedForm
from accord.core.models import Person, Team
from accord.portfolio.choices import Criticality, ServiceStatus
from accord.portfolio.models import ConfigurationItem, Service

MAX_IMPORT_BYTES = 2 * 1024 * 1024


def links_to_text(links: list[dict[str, str]] | None) -> str:
    return "\n".join(f"{link['label']} | {link['url']}" for link in links or [])


class ServiceForm(VersionedForm):
    code = forms.CharField(max_length=32, help_text="Short code, e.g. MAIL.")
    name = forms.CharField(max_length=200)
    summary = forms.CharField(max_length=300, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    owner = forms.ModelChoiceField(
        queryset=Person.objects.none(), help_text="A person holding the service owner role."
    )
    owning_team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="A team of the provider."
    )
    criticality = forms.ChoiceField(choices=Criticality.choices, initial=Criticality.MEDIUM)
    service_hours = forms.ModelChoiceField(
        queryset=Calendar.objects.none(),
        required=False,
        help_text="When the service is provided; empty means around the clock.",
    )
    depends_on = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Services this one needs in order to work.",
    )
    configuration_items = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        label="Configuration items",
    )
    links = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line: label | https://address",
    )
    next_review = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(
        self,
        *args: Any,
        people: Any,
        teams: Any,
        calendars: Any,
        services: Any,
        cis: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            people.filter(role_assignments__role=Role.SERVICE_OWNER, is_active=True)
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        self.fields["owning_team"].queryset = teams.filter(
            organisation__kind=OrganisationKind.PROVIDER
        ).order_by("name")
        self.fields["service_hours"].queryset = calendars.order_by("name")
        self.fields["depends_on"].queryset = services.order_by("code")
        self.fields["configuration_items"].queryset = cis.order_by("name")

    def clean_links(self) -> list[dict[str, str]]:
        links = []
        for number, line in enumerate(self.cleaned_data.get("links", "").splitlines(), 1):
            if not line.strip():
                continue
            label, sep, url = line.rpartition("|")
            if not sep:
                raise ValidationError(f"Line {number}: write 'label | https://address'.")
            links.append({"label": label.strip(), "url": url.strip()})
        return links


def service_initial(service: Service) -> dict[str, Any]:
    return {
        "code": service.code,
        "name": service.name,
        "summary": service.summary,
        "description": service.description,
        "owner": service.owner_id,
        "owning_team": service.owning_team_id,
        "criticality": service.criticality,
        "service_hours": service.service_hours_id,
        "depends_on": list(service.depends_on.values_list("pk", flat=True)),
        "configuration_items": list(service.configuration_items.values_list("pk", flat=True)),
        "links": links_to_text(service.links),
        "next_review": service.next_review,
        "version": service.version,
    }


class ServiceTransitionForm(VersionedForm):
    to = forms.ChoiceField(choices=ServiceStatus.choices, label="New status")


class ServiceImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns as in the export: code, name, summary, status, criticality, owner "
        "(username), owning_team (code), service_hours (calendar name), depends_on (codes "
        "separated by ';'), next_review (YYYY-MM-DD).",
    )
    dry_run = forms.BooleanField(
        required=False, label="Only check", help_text="Check every row and keep nothing."
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError("The file is larger than 2 MB; split it.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text.") from exc
