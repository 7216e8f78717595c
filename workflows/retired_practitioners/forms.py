"""Forms of the retired-practitioner registry. They validate shape; services.py applies the county's rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.validators import resident_id_normalise, validate_resident_id
from permissions.models import Facility, Profile
from workflows.cases.forms import DATE_WIDGET, ScanField, SignatureForm, fact_choices, not_in_future, offer_facilities

from . import selectors
from .models import Activity, CaseKind, PractitionerStatus, RetiredPractitioner

BLANK = fact_choices([])
LICENCE = r"^[0-9A-Za-z-]{6,30}$"
LICENCE_ERROR = _("Enter the number as printed: 6-30 letters, digits or dashes.")
PHONE = r"^\+?[0-9][0-9 -]{5,20}$"
TITLES = [(value, label) for value, label in Profile.Rank.choices if value != Profile.Rank.NONE]


def printable(value: str) -> None:
    if any(ord(ch) < 32 and ch not in "\r\n" for ch in value):
        raise ValidationError(_("Control characters are not allowed."))


class TownshipField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name} · {obj.name}"


class FacilityField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.county.name} · {obj.name}"


class PractitionerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.resident_id_masked})"  # the masked ID tells namesakes apart


class WhereaboutsForm(forms.Form):
    """Where the practitioner lives and what they do: filing, amendment and follow-up share it."""

    home_township = TownshipField(label=_("Home township"), queryset=selectors.townships())
    address = forms.CharField(label=_("Address"), max_length=200, validators=[printable])
    contact = forms.RegexField(
        label=_("Contact telephone"), regex=PHONE, error_messages={"invalid": _("Enter a telephone number.")}
    )
    activity = forms.ChoiceField(label=_("Current activity"), choices=BLANK + Activity.choices)
    activity_note = forms.CharField(
        label=_("Details of the activity"), max_length=200, required=False, validators=[printable]
    )


class EntryForm(WhereaboutsForm):
    """The practitioner's facts as the facility enters them."""

    name = forms.CharField(label=_("Name"), max_length=100, validators=[printable])
    former_department = forms.CharField(label=_("Former department"), max_length=100, validators=[printable])
    title = forms.ChoiceField(label=_("Professional title"), choices=BLANK + TITLES)
    physician_licence_number = forms.RegexField(
        label=_("Physician licence number"), regex=LICENCE, error_messages={"invalid": LICENCE_ERROR}
    )
    mch_certificate_number = forms.RegexField(
        label=_("MCH qualification certificate number"),
        regex=LICENCE,
        required=False,
        error_messages={"invalid": LICENCE_ERROR},
    )
    retirement_date = forms.DateField(label=_("Retirement date"), widget=DATE_WIDGET)
    pledge_signed_on = forms.DateField(label=_("Pledge signed on"), widget=DATE_WIDGET, validators=[not_in_future])
    field_order = ["name", "former_department", "title", "physician_licence_number", "mch_certificate_number",
                   "retirement_date", "home_township", "address", "contact", "activity", "employer", "activity_note",
                   "pledge_signed_on"]  # fmt: skip


class FileForm(EntryForm):
    facility = forms.ModelChoiceField(label=_("Filing facility"), queryset=Facility.objects.none())
    resident_id = forms.CharField(label=_("Resident ID number"), max_length=18, min_length=18)
    late_explanation = forms.CharField(
        label=_("Explanation, if filed after the county's deadline"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
    pledge = ScanField(label=_("Signed pledge (PDF, JPEG or PNG)"))

    def __init__(self, *args: Any, facilities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["facility", "name", "resident_id"])
        offer_facilities(self, facilities)

    def clean_resident_id(self) -> str:
        value = resident_id_normalise(self.cleaned_data["resident_id"])
        validate_resident_id(value)
        return value


class AmendForm(EntryForm):
    pledge = ScanField(label=_("A corrected pledge scan, if needed"), required=False)
    explanation = forms.CharField(
        label=_("What you changed and why"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class FollowUpForm(SignatureForm, WhereaboutsForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["employer"]).queryset = selectors.facilities_for_employment(
            user=self.request.user
        )

    # The bureau links an employer among its county's facilities (others stay a note: not the bureau's to list).
    employer = FacilityField(label=_("Re-employed at (facility)"), queryset=Facility.objects.none(), required=False)
    pledge_signed_on = forms.DateField(
        label=_("Renewed pledge signed on"), widget=DATE_WIDGET, validators=[not_in_future]
    )
    pledge = ScanField(label=_("Renewed pledge (PDF, JPEG or PNG)"))


class RecordEventForm(SignatureForm):
    practitioner = PractitionerField(label=_("Practitioner"), queryset=RetiredPractitioner.objects.none())
    kind = forms.ChoiceField(
        label=_("Event"),
        choices=BLANK + [(k.value, k.label) for k in (CaseKind.REEMPLOYMENT, CaseKind.MOVE, CaseKind.DEATH)],
        widget=forms.RadioSelect,
    )
    event_date = forms.DateField(label=_("Date of the event"), widget=DATE_WIDGET, validators=[not_in_future])
    employer = FacilityField(label=_("Re-employed at (facility)"), queryset=Facility.objects.none(), required=False)
    home_township = TownshipField(label=_("Township moved to"), queryset=selectors.townships(), required=False)
    explanation = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )
    document = ScanField(label=_("Evidence (optional scan)"), required=False)
    field_order = ["practitioner", "kind", "event_date", "employer", "home_township", "explanation", "document"]

    def __init__(self, *args: Any, practitioners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["practitioner"]).queryset = practitioners
        cast(forms.ModelChoiceField, self.fields["employer"]).queryset = selectors.facilities_for_employment(
            user=self.request.user
        )


class TakeOverForm(SignatureForm):
    address = forms.CharField(label=_("Address in your county"), max_length=200, validators=[printable])


class CrossCheckForm(SignatureForm):
    findings = forms.CharField(
        label=_("What you found and what follows"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


class RegisterFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or licence number"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), choices=BLANK + PractitionerStatus.choices, required=False)
    activity = forms.ChoiceField(label=_("Activity"), choices=BLANK + Activity.choices, required=False)
    flagged = forms.BooleanField(label=_("Flagged only"), required=False)
    late = forms.BooleanField(label=_("Filed late only"), required=False)
    follow_up_before = forms.DateField(label=_("Follow-up due by"), widget=DATE_WIDGET, required=False)
