"""Forms of birth reporting. Each field is rendered one by one in the templates; the resident ID is never echoed."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from permissions.models import Facility, Jurisdiction
from workflows.cases.forms import offer_facilities

from .models import MAX_PLURALITY, MAX_WEIGHT_GRAMS, BirthEntry, EntryKind, Outcome, Sex

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class NeverEchoedInput(forms.TextInput):
    """A text input that never writes its value back into the page (a resident ID typed once)."""

    def format_value(self, value: Any) -> None:
        return None


def townships() -> Any:
    return Jurisdiction.objects.filter(level=Jurisdiction.Level.TOWNSHIP).order_by("code")


class EntryForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    kind = forms.ChoiceField(label=_("Kind of event"), choices=EntryKind.choices, initial=EntryKind.BIRTH)
    occurred_at = forms.DateTimeField(
        label=_("Date and time of delivery (or of the death)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    sex = forms.ChoiceField(label=_("Infant sex"), choices=Sex.choices)
    birth_weight_grams = forms.IntegerField(
        label=_("Birth weight (grams)"), required=False, min_value=0, max_value=MAX_WEIGHT_GRAMS * 2
    )
    plurality = forms.IntegerField(
        label=_("Plurality (1 for a single birth, 2 for twins...)"), initial=1, min_value=1, max_value=MAX_PLURALITY
    )
    birth_order = forms.IntegerField(label=_("Birth order within the set"), initial=1, min_value=1, max_value=9)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False)
    gestation_weeks = forms.IntegerField(label=_("Weeks of gestation"), required=False, min_value=0, max_value=50)
    cause = forms.CharField(label=_("Cause (deaths and miscarriages)"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    mother_township = forms.ModelChoiceField(
        label=_("Mother's township of residence"), queryset=Jurisdiction.objects.none()
    )
    mother_resident_id = forms.CharField(
        label=_("Mother's resident ID number"),
        max_length=18,
        widget=NeverEchoedInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Kept only as a keyed fingerprint to find duplicates: it is never stored nor shown."),
    )
    late_reason = forms.CharField(
        label=_("Reason for a late entry (more than 24 hours after the event)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, facilities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_facilities(self, facilities)
        cast(forms.ModelChoiceField, self.fields["mother_township"]).queryset = townships()


class UploadForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    file = forms.FileField(label=_("Excel (.xlsx) or CSV file"))

    def __init__(self, *args: Any, facilities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_facilities(self, facilities)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an Excel (.xlsx) or CSV file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB: split it by month."))
        return upload


class ConfirmUploadForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)


def month_choices(today: dt.date, count: int = 12) -> list[tuple[str, str]]:
    choices, month = [], today.replace(day=1)
    for _i in range(count):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        choices.append((month.strftime("%Y-%m"), month.strftime("%Y-%m")))
    return choices


class PrepareForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    month = forms.ChoiceField(label=_("Month"))

    def __init__(self, *args: Any, facilities: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_facilities(self, facilities)
        cast(forms.ChoiceField, self.fields["month"]).choices = month_choices(today)

    def clean_month(self) -> dt.date:
        return dt.datetime.strptime(self.cleaned_data["month"], "%Y-%m").date()


class EntryChoiceField(forms.ModelChoiceField):
    """An entry named by its number, time, kind and sex: never the mother."""

    def label_from_instance(self, obj: Any) -> str:
        from django.utils import timezone

        when = timezone.localtime(obj.occurred_at).strftime("%Y-%m-%d %H:%M")
        return f"#{obj.pk} · {when} · {obj.get_kind_display()} · {obj.get_sex_display()}"


class AmendForm(forms.Form):
    entry = EntryChoiceField(
        label=_("Entry to correct (leave empty when only entries were added)"),
        queryset=BirthEntry.objects.none(),
        required=False,
    )
    sex = forms.ChoiceField(label=_("Corrected infant sex"), choices=[("", "—"), *Sex.choices], required=False)
    outcome = forms.ChoiceField(label=_("Corrected outcome"), choices=[("", "—"), *Outcome.choices], required=False)
    birth_weight_grams = forms.IntegerField(label=_("Corrected birth weight (grams)"), required=False, min_value=0,
                                            max_value=MAX_WEIGHT_GRAMS * 2)  # fmt: skip
    plurality = forms.IntegerField(label=_("Corrected plurality"), required=False, min_value=1, max_value=MAX_PLURALITY)
    birth_order = forms.IntegerField(label=_("Corrected birth order"), required=False, min_value=1, max_value=9)
    reason = forms.CharField(
        label=_("Reason for the amendment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, entries: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["entry"]).queryset = entries

    def corrections(self) -> dict[str, Any]:
        return {
            k: self.cleaned_data.get(k) for k in ("sex", "outcome", "birth_weight_grams", "plurality", "birth_order")
        }
