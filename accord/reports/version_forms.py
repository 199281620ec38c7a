"""Forms of stored service report versions and schedules. They only validate what was typed;
whether an action is allowed (a draft, a commentary, a reader among the recipients) is
decided by :mod:`accord.reports.services`, whose refusals come back onto these forms.

Every action form carries the version the person saw, so a report changed meanwhile (by a
colleague, or by the schedule job refreshing a draft) refuses the stale action."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from accord.agreements.choices import AgreementKind
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person
from accord.core.roles import ROLE_CAPABILITIES
from accord.reports.choices import ReportStatus
from accord.reports.models import ServiceReport
from accord.reports.selectors import CUSTOMER_STATUSES, reportable_agreements, reportable_services

#: Larger ids never reach the database (SQLite cannot bind them).
MAX_ID = 2**63 - 1
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _roles_with(capability: str) -> list[str]:
    return sorted(str(role) for role, caps in ROLE_CAPABILITIES.items() if capability in caps)


def recipient_candidates(
    subject_agreement: Any, organisation_id: int | None, *, any_customer: bool = False
) -> QuerySet[Person]:
    """The people offered as recipients of a report: active, with an e-mail address, and
    able to read it (provider staff and auditors with ``reports.view``; for an SLA in force
    or ended, its customer's managers; with ``any_customer``, every customer's managers, for
    a schedule whose subject is not chosen yet). One query; the service checks each chosen
    person again, so this list only spares the sender a refusal."""
    staff = Q(
        role_assignments__role__in=_roles_with("reports.view"),
        organisation__kind=OrganisationKind.PROVIDER,
    ) | Q(role_assignments__role=Role.AUDITOR)
    wanted = staff
    if any_customer:
        wanted |= Q(role_assignments__role__in=_roles_with("reports.customer"))
    elif (
        subject_agreement is not None
        and subject_agreement.kind == AgreementKind.SLA
        and subject_agreement.status in CUSTOMER_STATUSES
        and organisation_id is not None
    ):
        wanted |= Q(
            organisation_id=organisation_id,
            role_assignments__role__in=_roles_with("reports.customer"),
        ) & (
            Q(role_assignments__organisation__isnull=True)
            | Q(role_assignments__organisation_id=organisation_id)
        )
    return (
        Person.objects.filter(is_active=True)
        .exclude(email="")
        .filter(pk__in=Person.objects.filter(wanted).values("pk"))
        .select_related("organisation")
        .order_by("organisation__kind", "last_name", "first_name", "username")
    )


class BoundedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Ids that must fit a 64-bit id before they reach the database: anything else is
    'not one of the choices' (a form error, never a server error)."""

    def clean(self, value: Any) -> Any:
        for item in value or []:
            text = str(item).strip()
            if not text.isdigit() or int(text) > MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"] % {"pk": text[:40]},
                    code="invalid_pk_value",
                )
        return super().clean(value)


class PersonChoiceField(forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            text = str(value).strip()
            if not text.isdigit() or int(text) > MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                )
        return super().to_python(value)

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


def person_label(person: Person) -> str:
    name = person.get_full_name() or person.username
    org = person.organisation.name if person.organisation_id else ""
    return f"{name} <{person.email}>" + (f" ({org})" if org else "")


class PeopleField(BoundedMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class VersionForm(forms.Form):
    """An action that needs nothing but the version the person saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


class CommentaryForm(VersionForm):
    commentary = forms.CharField(
        required=False,
        label="Commentary",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Your review of the period and the next steps, in Markdown. Required "
        "before signing off; frozen with the report when it is signed.",
    )


class SendForm(forms.Form):
    recipients = PeopleField(
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="People who may read this report (staff, auditors, the customer's managers).",
    )
    attach_pdf = forms.BooleanField(
        required=False,
        initial=True,
        label="Attach the PDF",
        help_text="Otherwise the mail carries a link to the report.",
    )

    def __init__(self, *args: Any, report: ServiceReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = recipient_candidates(
            report.agreement, report.organisation_id
        )


class AcknowledgeForm(VersionForm):
    comment = forms.CharField(
        required=False,
        label="Your remarks",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional: anything you want the service level manager to know.",
    )


class VersionFilterForm(forms.Form):
    """Filters of the version list: what it covers, its status and its month."""

    subject = forms.ChoiceField(required=False, label="Covers")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ReportStatus.choices])
    period = forms.CharField(
        required=False,
        label="Month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
        help_text="The month the period starts in.",
    )

    def __init__(self, *args: Any, person: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", "Everything"), ("provider", "All services")]
        choices += [
            (f"agreement:{a.pk}", f"{a.code} {a.name}") for a in reportable_agreements(person)
        ]
        choices += [(f"service:{s.pk}", f"{s.code} {s.name}") for s in reportable_services(person)]
        self.fields["subject"].choices = choices

    def clean_period(self) -> str:
        value = (self.cleaned_data.get("period") or "").strip()
        if value and not MONTH.match(value):
            raise forms.ValidationError("Give a month as YYYY-MM, e.g. 2026-10.")
        return value

    def apply(self, rows: QuerySet[ServiceReport]) -> QuerySet[ServiceReport]:
        """The rows that pass the filters (call after ``is_valid``)."""
        data = self.cleaned_data
        if data.get("subject"):
            rows = rows.filter(subject_key=data["subject"])
        if data.get("status"):
            rows = rows.filter(status=data["status"])
        if data.get("period"):
            year, month = (int(part) for part in data["period"].split("-"))
            rows = rows.filter(period_start__year=year, period_start__month=month)
        return rows


class ScheduleForm(forms.Form):
    """Create a schedule (subject included) or change one (the subject stays)."""

    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_ID
    )
    name = forms.CharField(max_length=200)
    subject = forms.ChoiceField(
        label="Report",
        help_text="The agreement (its customer's SLA report), one service, or all services.",
    )
    owner = PersonChoiceField(
        queryset=Person.objects.none(),
        required=False,
        help_text="The service level manager asked to sign the report off each month "
        "(you, when left empty).",
    )
    recipients = PeopleField(
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Who receives the signed report each month.",
    )
    attach_pdf = forms.BooleanField(
        required=False,
        initial=True,
        label="Attach the PDF",
        help_text="Otherwise the mail carries a link to the report.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, person: Any, schedule: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schedule = schedule
        choices = [("provider", "All services")]
        choices += [
            (f"agreement:{a.pk}", f"{a.code} {a.name} ({a.organisation.name})")
            for a in reportable_agreements(person)
        ]
        choices += [(f"service:{s.pk}", f"{s.code} {s.name}") for s in reportable_services(person)]
        self.fields["subject"].choices = choices
        managers = (
            Person.objects.filter(
                is_active=True, role_assignments__role__in=_roles_with("reports.manage")
            )
            .distinct()
            .select_related("organisation")
            .order_by("last_name", "first_name", "username")
        )
        self.fields["owner"].queryset = managers
        if schedule is not None:
            self.fields["subject"].required = False
            self.fields["subject"].disabled = True
            agreement, organisation_id = schedule.agreement, schedule.organisation_id
            self.fields["recipients"].queryset = recipient_candidates(agreement, organisation_id)
        else:
            # The subject is chosen on the same form: every customer's managers are offered,
            # and the service refuses those who may not read the chosen report.
            self.fields["recipients"].queryset = recipient_candidates(None, None, any_customer=True)

    def subject_parts(self, person: Any) -> dict[str, Any]:
        """``{"agreement": …, "service": …}`` for the chosen subject."""
        value = self.cleaned_data.get("subject") or "provider"
        kind, _, pk = value.partition(":")
        if kind == "agreement":
            return {"agreement": reportable_agreements(person).get(pk=int(pk)), "service": None}
        if kind == "service":
            return {"agreement": None, "service": reportable_services(person).get(pk=int(pk))}
        return {"agreement": None, "service": None}
