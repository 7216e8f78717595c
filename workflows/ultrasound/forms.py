"""Forms of the ultrasound registry. They validate shape; services.py applies the county's rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fields import identifier_digest
from core.validators import resident_id_mask, resident_id_normalise, validate_resident_id
from permissions.models import Facility
from workflows.cases.forms import DATE_WIDGET, ScanField, SignatureForm, fact_choices, not_in_future, offer_facilities

from .models import AMENDMENT_KINDS, CaseKind, Decision, DeviceType, OnsiteCheck, UltrasoundDevice

User = get_user_model()
BLANK = fact_choices([])
LICENCE = r"^[0-9A-Za-z-]{6,30}$"
LICENCE_ERROR = _("Enter the number as printed: 6-30 letters, digits or dashes.")
MAX_OPERATORS = 20


def printable(value: str) -> None:
    if any(ord(ch) < 32 for ch in value):
        raise ValidationError(_("Control characters are not allowed."))


class DeviceFieldsForm(forms.Form):
    """The device's own facts: shared by the filing and its amendment."""

    device_type = forms.ChoiceField(label=_("Device type"), choices=BLANK + DeviceType.choices)
    manufacturer = forms.CharField(label=_("Manufacturer"), max_length=100, validators=[printable])
    model = forms.CharField(label=_("Model"), max_length=100, validators=[printable])
    serial_number = forms.RegexField(
        label=_("Serial number"),
        regex=r"^[0-9A-Za-z][0-9A-Za-z /._-]{1,58}$",
        strip=True,
        error_messages={"invalid": _("Enter the serial number as on the device's plate: letters, digits, - . / _")},
    )
    purchase_date = forms.DateField(label=_("Purchase date"), widget=DATE_WIDGET, validators=[not_in_future])
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=60, validators=[printable])
    seller = forms.CharField(label=_("Seller"), max_length=200, validators=[printable])
    seller_licence = forms.RegexField(
        label=_("Seller licence number"), regex=LICENCE, error_messages={"invalid": LICENCE_ERROR}
    )
    room = forms.CharField(label=_("Place of use (room)"), max_length=100, validators=[printable])
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=100, validators=[printable])


class FileForm(DeviceFieldsForm):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    late_explanation = forms.CharField(
        label=_("Explanation, if filed after the county's deadline"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
    undertaking = ScanField(label=_("Signed unit undertaking (PDF, JPEG or PNG)"))
    pledges = ScanField(label=_("Operators' signed pledges (one scan)"), required=False)
    field_order = ["facility"]

    def __init__(self, *args: Any, facilities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_facilities(self, facilities)


class OperatorForm(forms.Form):
    name = forms.CharField(label=_("Operator name"), max_length=100, validators=[printable])
    licence_number = forms.RegexField(
        label=_("Physician licence number"), regex=LICENCE, error_messages={"invalid": LICENCE_ERROR}
    )
    mch_certificate_number = forms.RegexField(
        label=_("MCH qualification certificate number"), regex=LICENCE, error_messages={"invalid": LICENCE_ERROR}
    )
    pledge_date = forms.DateField(label=_("Pledge signed on"), widget=DATE_WIDGET, validators=[not_in_future])
    resident_id = forms.CharField(label=_("Resident ID number"), max_length=18, required=False)

    def clean_resident_id(self) -> str:
        value = resident_id_normalise(self.cleaned_data.get("resident_id") or "")
        if value:
            validate_resident_id(value)
        return value

    def clean(self) -> dict[str, Any]:
        """Only the digest and the masked form go on: the number itself is neither stored nor signed."""
        data = super().clean() or {}
        value = data.pop("resident_id", "")
        data["resident_id_digest"] = identifier_digest(value) if value else ""
        data["resident_id_masked"] = resident_id_mask(value) if value else ""
        return data


class BaseOperatorFormSet(forms.BaseFormSet):
    def operators(self) -> list[dict[str, Any]]:
        return [form.cleaned_data for form in self.forms if form.cleaned_data and form.has_changed()]


OperatorFormSet = forms.formset_factory(
    OperatorForm, formset=BaseOperatorFormSet, extra=3, max_num=MAX_OPERATORS, validate_max=True
)


def operator_formset(data: Any = None, *, initial: Any = None) -> Any:
    return OperatorFormSet(data, prefix="operators", initial=initial)


class AmendmentFileForm(forms.Form):
    kind = forms.ChoiceField(
        label=pgettext_lazy("a change to a registration", "Change"),
        choices=BLANK + [(k.value, k.label) for k in AMENDMENT_KINDS],
        widget=forms.RadioSelect,
    )
    room = forms.CharField(label=_("New place of use (room)"), max_length=100, required=False, validators=[printable])
    responsible_person = forms.CharField(
        label=_("Responsible person there"), max_length=100, required=False, validators=[printable]
    )
    target_facility = forms.ModelChoiceField(
        label=_("Receiving facility (transfer)"), queryset=Facility.objects.none(), required=False
    )
    explanation = forms.CharField(label=_("What changes, and why"), widget=forms.Textarea(attrs={"rows": 3}))
    attachment = ScanField(label=_("Supporting scan (pledges, disposal record)"), required=False)

    def __init__(self, *args: Any, device: UltrasoundDevice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["target_facility"]).queryset = (
            Facility.objects.filter(is_active=True).exclude(pk=device.facility_id).select_related("county")
        )


class AmendForm(DeviceFieldsForm):
    """A returned filing, corrected: the device's facts (first filing) or the change asked for (amendment)."""

    explanation = forms.CharField(label=_("What you changed, and why"), widget=forms.Textarea(attrs={"rows": 3}))
    attachment = ScanField(label=_("Additional scan"), required=False)

    CHANGE_FIELDS = ("room", "responsible_person", "explanation", "attachment")

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind != CaseKind.REGISTRATION:
            for name in list(self.fields):
                if name not in self.CHANGE_FIELDS:
                    del self.fields[name]
            if kind not in {CaseKind.RELOCATION, CaseKind.TRANSFER}:
                del self.fields["room"], self.fields["responsible_person"]


class DecisionForm(SignatureForm):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        help_text=_("Required to return or refuse."),
    )
    field_order = ["decision", "reason", "password"]

    def __init__(self, *args: Any, decisions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["decision"]).choices = [(d, Decision(d).label) for d in decisions]

    def clean(self) -> dict[str, Any]:
        decision, reason = self.cleaned_data.get("decision"), (self.cleaned_data.get("reason") or "").strip()
        if decision in {Decision.RETURN, Decision.REJECT} and not reason:
            self.add_error("reason", _("A reason is required to return or refuse."))
        return super().clean()


class ReviewForm(forms.Form):
    """The officer's routing: no signature (the decision signs)."""

    decision = forms.ChoiceField(label=_("Next step"), widget=forms.RadioSelect)
    supervisor = forms.ModelChoiceField(label=_("Supervisor"), queryset=User.objects.none(), required=False)
    reason = forms.CharField(
        label=_("Note or reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )

    def __init__(self, *args: Any, decisions: list[str], supervisors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["decision"]).choices = [(d, Decision(d).label) for d in decisions]
        cast(forms.ModelChoiceField, self.fields["supervisor"]).queryset = supervisors

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == Decision.CHECK and not data.get("supervisor"):
            self.add_error("supervisor", _("Choose the supervisor who checks on site."))
        if data.get("decision") == Decision.RETURN and not (data.get("reason") or "").strip():
            self.add_error("reason", _("A reason is required to return or refuse."))
        return data


class CheckForm(SignatureForm):
    notice_displayed = forms.BooleanField(label=_("The prohibition notice is displayed"), required=False)
    register_kept = forms.BooleanField(label=_("The register of exams at 14 weeks and beyond is kept"), required=False)
    operators_qualified = forms.BooleanField(label=_("The operators are qualified"), required=False)
    serial_matches = forms.BooleanField(label=_("The serial number matches the filing"), required=False)
    findings = forms.CharField(
        label=_("Findings"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
        help_text=_("Required for every item not in order."),
    )
    photo1 = ScanField(label=_("Photo"), required=False)
    photo2 = ScanField(label=_("Photo"), required=False)
    photo3 = ScanField(label=_("Photo"), required=False)
    field_order = [*OnsiteCheck.CHECKLIST, "findings", "photo1", "photo2", "photo3", "password"]

    def checklist(self) -> dict[str, bool]:
        return {item: bool(self.cleaned_data.get(item)) for item in OnsiteCheck.CHECKLIST}

    def photos(self) -> list[Any]:
        return [self.cleaned_data[name] for name in ("photo1", "photo2", "photo3") if self.cleaned_data.get(name)]


class RenewForm(SignatureForm):
    renewed_on = forms.DateField(label=_("Pledges renewed on"), widget=DATE_WIDGET, validators=[not_in_future])
    pledges = ScanField(label=_("The operators' renewed pledges (one scan)"))
    field_order = ["renewed_on", "pledges", "password"]


class ScheduleCheckForm(forms.Form):
    device = forms.ModelChoiceField(label=_("Device"), queryset=UltrasoundDevice.objects.none())
    supervisor = forms.ModelChoiceField(label=_("Supervisor"), queryset=User.objects.none())

    def __init__(self, *args: Any, devices: Any, supervisors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["device"]).queryset = devices
        cast(forms.ModelChoiceField, self.fields["supervisor"]).queryset = supervisors

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        device, supervisor = data.get("device"), data.get("supervisor")
        if device is not None and supervisor is not None:
            counties = set(
                supervisor.role_assignments.filter(revoked_at__isnull=True).values_list("jurisdiction_id", flat=True)
            )
            if device.county_id not in counties:
                self.add_error("supervisor", _("This supervisor does not work for the device's county."))
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("A reason is required to withdraw a filing."))
        return reason


class RegistryFilterForm(forms.Form):
    """The registry page's filters (GET). Unknown or malformed values are ignored, never a 500."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    device_type = forms.ChoiceField(label=_("Device type"), required=False, choices=BLANK + DeviceType.choices)
    facility = forms.ModelChoiceField(label=_("Facility"), required=False, queryset=Facility.objects.none())
    late = forms.BooleanField(label=_("Filed late"), required=False)
    renewal_overdue = forms.BooleanField(label=_("Pledge renewal overdue"), required=False)

    def __init__(self, *args: Any, facilities: Any, **kwargs: Any) -> None:
        from .models import DeviceStatus

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = BLANK + DeviceStatus.choices
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = facilities
