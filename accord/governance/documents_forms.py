"""Forms and the filter set of the document register. Forms validate input; saving goes
through ``accord.governance.services.documents``. The filter set serves the list page and the
API alike, so the two doors cannot drift."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.core.filters import SearchFilterMixin
from accord.core.forms import VersionedForm
from accord.core.models import Organisation, Person
from accord.governance.choices import CustomerAccess, DocumentKind, VersionStatus
from accord.governance.models import Document
from accord.governance.services.document_rules import STAFF_ROLES, review_notice_days

ROLE_CHOICES = [(value, label) for value, label in Role.choices if value in STAFF_ROLES]
APPROVER_CHOICES = [("", "The kind's approver")] + [
    (value, label) for value, label in ROLE_CHOICES if value != Role.AUDITOR
]


def staff_people() -> QuerySet[Person]:
    """Active provider staff: the possible owners."""
    return (
        Person.objects.filter(is_active=True, organisation__kind=OrganisationKind.PROVIDER)
        .select_related("organisation")
        .order_by("first_name", "last_name", "username")
    )


def customers() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, is_active=True).order_by(
        "name"
    )


class DocumentForm(VersionedForm):
    """Register a document, or change its metadata (the kind is fixed once registered)."""

    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=DocumentKind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = forms.ModelChoiceField(queryset=Person.objects.none())
    approver_role = forms.ChoiceField(
        choices=APPROVER_CHOICES,
        required=False,
        help_text="Policy, scope and plan are always approved by top management.",
    )
    review_interval_months = forms.IntegerField(
        min_value=1, max_value=60, initial=12, label="Review every (months)"
    )
    next_review_on = forms.DateField(
        required=False, widget=forms.DateInput({"type": "date"}), label="Next review"
    )
    retention_years = forms.IntegerField(
        min_value=1, max_value=100, initial=3, label="Keep superseded versions (years)"
    )
    customer_access = forms.ChoiceField(choices=CustomerAccess.choices, initial="none")
    customer_organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(), required=False, label="Chosen customers"
    )
    reader_roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES,
        required=False,
        help_text="None chosen: every member of staff reads it.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    acknowledge_roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES,
        required=False,
        label="Ask to acknowledge",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        label="Text of version 1 (Markdown)",
    )

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()  # type: ignore[attr-defined]
        self.fields["customer_organisations"].queryset = customers()  # type: ignore[attr-defined]
        if creating:
            del self.fields["next_review_on"]
        else:
            del self.fields["kind"]
            del self.fields["body"]


class VersionEditForm(VersionedForm):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "class": "markdown"}),
        required=False,
        label="Text (Markdown)",
    )
    change_summary = forms.CharField(max_length=300, required=False, label="What changed")


class VersionStartForm(forms.Form):
    change_summary = forms.CharField(max_length=300, required=False, label="What will change")


class VersionActionForm(forms.Form):
    """Submit, return, approve, withdraw, acknowledge: with the version the person saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("submit", "return", "approve", "withdraw", "acknowledge")],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


def _people(request: Any) -> QuerySet[Person]:
    return staff_people()


class DocumentFilterSet(SearchFilterMixin):
    """Kind, status of the version in force, owner, review due; ``q`` searches reference and
    title."""

    search_fields = ("reference", "title")
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices)
    status = django_filters.ChoiceFilter(
        choices=[
            ("approved", "In force"),
            ("none", "Not in force"),
            ("open", "With an open draft"),
        ],
        method="filter_status",
        label="Status",
    )
    owner = django_filters.ModelChoiceFilter(queryset=_people, label="Owner")
    review_due = django_filters.BooleanFilter(
        method="filter_review_due", label="Review due (within the notice period)"
    )

    class Meta:
        model = Document
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "approved":
            return queryset.filter(current_version__isnull=False)
        if value == "none":
            return queryset.filter(current_version__isnull=True)
        return queryset.filter(
            pk__in=Document.objects.filter(
                versions__status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]
            ).values("pk")
        )

    def filter_review_due(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        horizon = timezone.localdate() + dt.timedelta(days=review_notice_days())
        due = Q(current_version__isnull=False, next_review_on__lte=horizon)
        return queryset.filter(due) if value else queryset.exclude(due)
