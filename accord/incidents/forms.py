"""Forms of the incident pages. They validate input and offer only choices within the person's
scope; every rule about incidents is checked again by ``accord.incidents.services``, whose
refusals come back onto these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from accord.core.choices import OrganisationKind
from accord.core.forms import VersionedForm
from accord.core.models import Organisation, Person, Team
from accord.incidents.choices import Channel, IncidentStatus, Level, ResolutionCode
from accord.incidents.models import Category, Incident, PostIncidentReview
from accord.portfolio.models import ConfigurationItem, Service

TEXTAREA = forms.Textarea(attrs={"rows": 4})

#: The fields of the staff's incident forms, in the order they are shown.
STAFF_FIELDS = (
    "title",
    "caller",
    "organisation",
    "service",
    "configuration_item",
    "category",
    "channel",
    "impact",
    "urgency",
    "assignment_group",
    "assignee",
    "supplier",
    "supplier_reference",
    "description",
)
#: What a customer reports and may later correct.
CUSTOMER_FIELDS = ("title", "service", "urgency", "description")


def with_current(queryset: QuerySet[Any], current: Any) -> QuerySet[Any]:
    """The choices plus the value an incident holds now, so editing an incident whose caller
    left or whose category was retired does not fail on a field nobody touched."""
    pk = getattr(current, "pk", current)
    if pk is None:
        return queryset
    return queryset.model._default_manager.filter(Q(pk__in=queryset.values("pk")) | Q(pk=pk))


def _level_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=Level.choices, coerce=int, initial=Level.MEDIUM
    )


class StaffIncidentForm(VersionedForm):
    """An incident as the service desk records and routes it."""

    title = forms.CharField(max_length=200, help_text="A short summary of what is wrong.")
    caller = forms.ModelChoiceField(queryset=Person.objects.none(), help_text="Who reported it.")
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        help_text="Leave empty for the caller's organisation.",
    )
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False)
    configuration_item = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label="Configuration item"
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        help_text="Routes the incident to the category's team when no group is chosen.",
    )
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    impact = _level_field("Impact")
    urgency = _level_field("Urgency")
    assignment_group = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, label="Assignment group"
    )
    assignee = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        help_text="Naming an assignee assigns the incident.",
    )
    supplier = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        help_text="A supplier engaged on it starts their underpinning contract's clock.",
    )
    supplier_reference = forms.CharField(
        max_length=64, required=False, label="Supplier's reference"
    )
    description = forms.CharField(widget=TEXTAREA, required=False)

    def __init__(self, *args: Any, choices: dict[str, QuerySet[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in choices.items():
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]


class StaffIncidentEditForm(StaffIncidentForm):
    """Editing keeps the incident's organisation: it is the tenant key of the record and of
    everything attached to it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["organisation"]


class CustomerIncidentForm(VersionedForm):
    """What a customer reports: the service desk does the routing."""

    title = forms.CharField(max_length=200, help_text="A short summary of what is wrong.")
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        required=False,
        help_text="The service that is not working, if you know it.",
    )
    urgency = forms.TypedChoiceField(
        choices=Level.choices,
        coerce=int,
        initial=Level.MEDIUM,
        help_text="How soon it hurts your work: 1 at once, 3 when convenient.",
    )
    description = forms.CharField(
        widget=TEXTAREA, required=False, help_text="What happened, since when, what you tried."
    )

    def __init__(self, *args: Any, choices: dict[str, QuerySet[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = choices["service"]  # type: ignore[attr-defined]


class CustomerIncidentEditForm(VersionedForm):
    """A customer corrects what they reported; the service stays as the service desk set it."""

    title = forms.CharField(max_length=200)
    urgency = forms.TypedChoiceField(choices=Level.choices, coerce=int)
    description = forms.CharField(widget=TEXTAREA, required=False)

    def __init__(
        self, *args: Any, choices: dict[str, QuerySet[Any]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)


def incident_initial(incident: Incident) -> dict[str, Any]:
    """The stored values of an incident, as its edit forms show them."""
    data: dict[str, Any] = {"version": incident.version}
    for name in STAFF_FIELDS:
        field = Incident._meta.get_field(name)
        data[name] = getattr(incident, field.attname)
    return data


# --- actions on the incident page ---------------------------------------------------------------


class TransitionForm(forms.Form):
    """A quick action moving the incident to another status; resolving and cancelling say why."""

    to = forms.ChoiceField(choices=IncidentStatus.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    resolution_code = forms.ChoiceField(
        choices=[("", "— choose —"), *ResolutionCode.choices],
        required=False,
        label="Resolution code",
    )
    resolution_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Notes"
    )


class AssignToMeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


PUBLIC, INTERNAL = "public", "internal"


class CommentForm(forms.Form):
    """A reply to the customer or an internal work note: the button pressed decides."""

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reply or work note",
        max_length=20_000,
    )
    visibility = forms.ChoiceField(
        choices=[(PUBLIC, "Reply to the customer"), (INTERNAL, "Work note")],
        widget=forms.HiddenInput,
        required=False,
    )

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff
        if not staff:
            self.fields["body"].label = "Reply"
            del self.fields["visibility"]

    def clean_visibility(self) -> str:
        value = self.cleaned_data.get("visibility")
        if not value:
            raise forms.ValidationError("Choose a reply or a work note.")
        return value

    @property
    def public(self) -> bool:
        """Whether the customer sees it (a customer's own always is)."""
        return not self.staff or self.cleaned_data.get("visibility") == PUBLIC


class AttachmentForm(forms.Form):
    file = forms.FileField(label="File")
    is_public = forms.BooleanField(
        required=False,
        label="Visible to the customer",
        help_text="Unticked, the file is internal to the provider.",
    )

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff
        if not staff:
            del self.fields["is_public"]

    @property
    def public(self) -> bool:
        """Whether the customer sees it (a customer's own always is)."""
        return not self.staff or bool(self.cleaned_data.get("is_public"))


# --- major incidents ----------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason")


class MajorDeclareForm(forms.Form):
    major_owner = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        label="Owner",
        help_text="The incident manager who runs it; you, if left empty.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, owners: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["major_owner"].queryset = owners  # type: ignore[attr-defined]


class ReviewForm(VersionedForm):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    went_well = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="What went well"
    )
    went_wrong = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="What went wrong"
    )
    actions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Follow-up actions with owners and dates.",
    )


def review_initial(review: PostIncidentReview | None) -> dict[str, Any]:
    if review is None:
        return {}
    return {
        "summary": review.summary,
        "root_cause": review.root_cause,
        "went_well": review.went_well,
        "went_wrong": review.went_wrong,
        "actions": review.actions,
        "version": review.version,
    }


class ChildLinkForm(forms.Form):
    reference = forms.CharField(
        max_length=16,
        label="Incident reference",
        help_text="An incident caused by this one, e.g. INC-000042.",
    )


def supplier_choices() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.SUPPLIER, is_active=True).order_by(
        "name"
    )
