from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from permissions.models import Facility, Jurisdiction

from .actions import action_label, registered_actions
from .display import display_zone
from .models import AuditEvent
from .selectors import case_events, certificate_events, procedure_choices


class AuditSearchForm(forms.Form):
    """Filters for the inspector's search across the trail of the counties they oversee.

    Dates are calendar days in the display zone; both ends are inclusive.
    """

    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    county = forms.ModelChoiceField(
        label=_("County"), queryset=Jurisdiction.objects.none(), required=False, empty_label=_("Any county")
    )
    facility = forms.ModelChoiceField(
        label=_("Facility"), queryset=Facility.objects.none(), required=False, empty_label=_("Any facility")
    )
    actor = forms.CharField(
        label=_("Actor"),
        max_length=100,
        required=False,
        strip=True,
        help_text=_("Printed name (part of it) or exact user name"),
    )
    case = forms.CharField(
        label=_("Case number"),
        max_length=20,
        required=False,
        strip=True,
        help_text=_("The number after # on the case page, such as 11"),
    )
    certificate = forms.CharField(
        label=_("Certificate number"),
        max_length=32,
        required=False,
        strip=True,
        help_text=_("As printed on the certificate, such as 990101-2026-000001"),
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    procedure = forms.ChoiceField(label=pgettext_lazy("audit search filter", "Procedure"), required=False)

    def __init__(self, *args: Any, county_ids: set[int], events: QuerySet[AuditEvent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.county_ids = county_ids
        counties = Jurisdiction.objects.filter(pk__in=county_ids).order_by("code")
        self.fields["county"].queryset = counties  # type: ignore[attr-defined]
        self.fields["facility"].queryset = Facility.objects.filter(county_id__in=county_ids).order_by(  # type: ignore[attr-defined]
            "county__code", "name"
        )
        # From the registered actions, not a DISTINCT over the trail (audit.actions).
        actions = registered_actions()
        labelled = sorted(((a, action_label(a)) for a in actions), key=lambda choice: choice[1])
        self.fields["action"].choices = [("", _("Any action")), *labelled]  # type: ignore[attr-defined]
        self.fields["procedure"].choices = [("", _("Any kind of record")), *procedure_choices()]  # type: ignore[attr-defined]
        if len(county_ids) < 2:
            del self.fields["county"]

    def clean_case(self) -> int | None:
        value = self.cleaned_data.get("case", "").lstrip("#").strip()
        if not value:
            return None
        if not value.isascii() or not value.isdigit() or len(value) > 12:
            raise forms.ValidationError(_("Enter a case number such as 11."))
        return int(value)

    def clean_certificate(self) -> str:
        return self.cleaned_data.get("certificate", "").upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        data = self.cleaned_data
        if data.get("date_from"):
            events = events.filter(occurred_at__gte=_day_start(data["date_from"]))
        if data.get("date_to"):
            events = events.filter(occurred_at__lt=_day_start(data["date_to"] + timedelta(days=1)))
        if data.get("county"):
            events = events.filter(county_id=data["county"].pk)
        if data.get("facility"):
            events = events.filter(facility_id=data["facility"].pk)
        if data.get("actor"):
            term = data["actor"]
            events = events.filter(Q(actor_name__icontains=term) | Q(actor__username__iexact=term))
        if data.get("case") is not None:
            events = case_events(events, number=data["case"])
        if data.get("certificate"):
            events = certificate_events(events, number=data["certificate"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("procedure"):
            events = events.filter(object_type=data["procedure"])
        return events

    def summary(self) -> list[tuple[str, str]]:
        """(label, value) of each filter in use, for the PDF's header."""
        result = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                choices = dict(getattr(field, "choices", []))
                shown = choices.get(value, value) if name in {"procedure", "action"} else value
                result.append((str(field.label), str(shown)))
        return result


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=display_zone())
