"""Forms of the termination procedure. They validate shape; services.py applies the county's rules."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from permissions.models import Facility
from workflows.cases.forms import (
    DATE_WIDGET,
    ResidentIdField,
    SignatureForm,
    case_document_formset,
    contradiction,
    fact_choices,
    not_in_future,
    offer_facilities,
)
from workflows.cases.forms import DecisionForm as DecisionForm  # re-exported: the termination steps' forms
from workflows.cases.forms import WithdrawForm as WithdrawForm

from .models import DocumentType, FetalSex, MaritalStatus, Pathway, ProcedureMethod

# A personal-circumstance pathway states the patient's marital status: the two answers must agree.
PATHWAY_MARITAL_STATUS: dict[Pathway, MaritalStatus] = {
    Pathway.DIVORCED: MaritalStatus.DIVORCED,
    Pathway.WIDOWED: MaritalStatus.WIDOWED,
    Pathway.UNMARRIED: MaritalStatus.UNMARRIED,
}


class RequestFieldsForm(forms.Form):
    """The request's own fields: shared by submission and amendment."""

    patient_name = forms.CharField(label=_("Patient name"), max_length=100)
    resident_id = ResidentIdField(
        label=_("Resident ID number"), help_text=_("18 characters; the last one is a check digit (0-9 or X).")
    )
    marital_status = forms.ChoiceField(label=_("Marital status"), choices=fact_choices(MaritalStatus.choices))
    gestational_weeks = forms.IntegerField(label=_("Gestational age: weeks"), min_value=1, max_value=44)
    gestational_days = forms.IntegerField(label=_("and days"), min_value=0, max_value=6, initial=0)
    lmp_date = forms.DateField(label=_("Last menstrual period"), widget=DATE_WIDGET, validators=[not_in_future])
    pathway = forms.ChoiceField(label=_("Pathway"), choices=fact_choices(Pathway.choices))

    def clean_patient_name(self) -> str:
        name = self.cleaned_data["patient_name"].strip()
        if not name or any(ord(ch) < 32 for ch in name):
            raise ValidationError(_("Enter the patient's name as on her ID card."))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weeks, days, lmp = data.get("gestational_weeks"), data.get("gestational_days"), data.get("lmp_date")
        if weeks is not None and days is not None and lmp is not None:
            by_lmp = (timezone.localdate() - lmp).days
            stated = weeks * 7 + days
            # Ultrasound dating may differ from LMP dating, but not by more than four weeks.
            if abs(by_lmp - stated) > 28:
                self.add_error(
                    "lmp_date",
                    _("The last menstrual period does not fit a gestation of %(weeks)d weeks %(days)d days.")
                    % {"weeks": weeks, "days": days},
                )
        pathway, marital_status = str(data.get("pathway") or ""), str(data.get("marital_status") or "")
        stated = PATHWAY_MARITAL_STATUS.get(Pathway(pathway)) if pathway in Pathway.values else None
        if stated is not None and marital_status in MaritalStatus.values and marital_status != stated:
            contradiction(
                self,
                "marital_status",
                "pathway",
                _("the pathway “%(pathway)s” needs the marital status “%(status)s”, not “%(given)s”.")
                % {
                    "pathway": Pathway(pathway).label,
                    "status": stated.label,
                    "given": MaritalStatus(marital_status).label,
                },
            )
        return data


class SubmitForm(RequestFieldsForm):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    emergency = forms.BooleanField(
        label=_("Emergency: the procedure was already performed to save the patient's life or health"),
        required=False,
    )
    emergency_justification = forms.CharField(
        label=_("Emergency justification"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )
    field_order = ["facility"]

    def __init__(self, *args: Any, facilities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_facilities(self, facilities)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("emergency") and (data.get("emergency_justification") or "").strip():
            contradiction(
                self,
                "emergency",
                "emergency_justification",
                _("a justification was written, but the request is not marked as an emergency."),
            )
        return data


class AmendForm(RequestFieldsForm):
    emergency_justification = forms.CharField(
        label=_("Emergency justification"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )
    reason = forms.CharField(
        label=_("What changed, and why"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


DocumentFormSet = case_document_formset(DocumentType.choices)
DocumentForm = DocumentFormSet.form  # one row: a document of a type termination knows


class OpinionForm(SignatureForm):
    agrees = forms.TypedChoiceField(
        label=_("Opinion"),
        choices=[("yes", _("The medical grounds are met")), ("no", _("The medical grounds are not met"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Grounds"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    field_order = ["agrees", "reason", "password"]


DRUG_LINE = re.compile(r"^\s*(?P<name>[^;:|]{2,100}?)\s*[;:|]\s*(?P<batch>[A-Za-z0-9-]{2,40})\s*$")


class RecordForm(SignatureForm):
    resident_id = ResidentIdField(label=_("Patient's resident ID number, checked against her ID card"))
    procedure_date = forms.DateField(label=_("Procedure date"), widget=DATE_WIDGET, validators=[not_in_future])
    procedure_method = forms.ChoiceField(
        label=pgettext_lazy("of a procedure", "Method"), choices=fact_choices(ProcedureMethod.choices)
    )
    physician_name = forms.CharField(label=_("Performing physician"), max_length=100)
    physician_licence = forms.RegexField(
        label=_("Physician licence number"),
        regex=r"^[0-9A-Za-z-]{6,30}$",
        error_messages={"invalid": _("Enter the licence number as printed: 6-30 letters, digits or dashes.")},
    )
    drugs = forms.CharField(
        label=_("Drugs and batch numbers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One per line: drug name; batch number"),
        max_length=2000,
    )
    fetal_sex = forms.ChoiceField(label=_("Fetal sex"), choices=fact_choices(FetalSex.choices))
    complications = forms.CharField(
        label=_("Complications"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    field_order = ["resident_id", "procedure_date", "procedure_method", "physician_name", "physician_licence"]

    def clean_drugs(self) -> list[dict[str, str]]:
        drugs = []
        for number, line in enumerate(self.cleaned_data.get("drugs", "").splitlines(), start=1):
            if not line.strip():
                continue
            match = DRUG_LINE.match(line)
            if match is None:
                raise ValidationError(
                    _("Line %(line)d: write the drug name, a semicolon, then the batch number.") % {"line": number}
                )
            drugs.append({"name": match["name"], "batch": match["batch"]})
        return drugs

    def clean_procedure_date(self) -> Any:
        value = self.cleaned_data["procedure_date"]
        if value < timezone.localdate() - timedelta(days=365):
            raise ValidationError(_("This date is more than a year ago."))
        return value
