"""Forms of the core pages. They validate input; saving goes through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person, Team, time_zone_names

TIME_ZONES = sorted(time_zone_names())


class VersionedForm(forms.Form):
    """Carries the version the editor saw, so a stale save is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class OrganisationForm(VersionedForm):
    code = forms.CharField(max_length=32, help_text="Short code, e.g. CONTOSO.")
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=OrganisationKind.choices)
    time_zone = forms.ChoiceField(choices=[(tz, tz) for tz in TIME_ZONES], initial="UTC")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TeamForm(VersionedForm):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    code = forms.CharField(max_length=32)
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    email = forms.EmailField(required=False)
    lead = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    members = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, organisations: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["lead"].queryset = people
        self.fields["members"].queryset = people


class PersonForm(VersionedForm):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    job_title = forms.CharField(max_length=120, required=False)
    phone = forms.CharField(max_length=40, required=False)
    time_zone = forms.ChoiceField(
        choices=[("", "(organisation's)")] + [(tz, tz) for tz in TIME_ZONES], required=False
    )
    language = forms.ChoiceField(choices=settings.LANGUAGES, initial="en")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class PersonCreateForm(PersonForm):
    password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="Leave empty to set one later."
    )
    roles = forms.MultipleChoiceField(
        choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password"):
            # The service checks it too; here the refusal shows at the password field.
            fields = ("username", "email", "first_name", "last_name")
            candidate = Person(**{f: data[f] for f in fields if data.get(f)})
            try:
                validate_password(data["password"], candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class RoleAssignForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        help_text="Leave empty for a role held everywhere.",
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(widget=forms.PasswordInput, label="Current password")
    new_password1 = forms.CharField(widget=forms.PasswordInput, label="New password")
    new_password2 = forms.CharField(widget=forms.PasswordInput, label="New password again")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "The two new passwords differ.")
        return data


def team_initial(team: Team) -> dict[str, Any]:
    return {
        "organisation": team.organisation_id,
        "code": team.code,
        "name": team.name,
        "description": team.description,
        "email": team.email,
        "lead": team.lead_id,
        "members": list(team.members.values_list("pk", flat=True)),
        "is_active": team.is_active,
        "version": team.version,
    }
