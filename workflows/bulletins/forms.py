"""The bulletin's forms: the officer's review, and the period the analysis looks at."""

from __future__ import annotations

import datetime
import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from . import srb
from .models import Decision

# The analysis reads at most this many months at once (ten years of a county's facility-months).
MAX_MONTHS = 120
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


class ReviewForm(forms.Form):
    """The officer's review: no signature (the director's signs), but the reviewer may not sign."""

    decision = forms.ChoiceField(
        label=_("Next step"),
        widget=forms.RadioSelect,
        choices=[(d, Decision(d).label) for d in (Decision.FORWARD, Decision.RECOMPILE)],
    )
    reason = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)


class MonthField(forms.CharField):
    """A month written YYYY-MM (the first day of it), between 2000 and 2100."""

    default_error_messages = {"invalid": _("Write the month as YYYY-MM, e.g. 2026-03.")}

    def clean(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        text = super().clean(value)  # the text's own checks first (length, NUL)
        if not text:
            return None
        match = MONTH_PATTERN.match(text)
        if not match:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month = int(match.group(1)), int(match.group(2))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return datetime.date(year, month, 1)


UNIT_CHOICES = [("county", _("County")), ("township", _("Township")), ("facility", _("Facility"))]
PERIOD_CHOICES = [(srb.MONTH, _("Month")), (srb.QUARTER, _("Quarter")), (srb.YEAR, _("Year"))]


class AnalysisForm(forms.Form):
    """Which counts to look at: a county (or a director's own facility), the units, the periods, the months."""

    scope = forms.ChoiceField(label=_("County or facility"))
    unit = forms.ChoiceField(label=_("Units"), choices=UNIT_CHOICES, initial="facility", required=False)
    period = forms.ChoiceField(label=_("Periods"), choices=PERIOD_CHOICES, initial=srb.MONTH, required=False)
    start = MonthField(label=_("From (month)"), required=False, max_length=7)
    end = MonthField(label=_("To (month, included)"), required=False, max_length=7)

    def __init__(self, *args: Any, scopes: list[tuple[str, str]], default_end: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scope"]).choices = scopes
        self.default_end = default_end

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        end = data.get("end") or self.default_end
        start = data.get("start") or datetime.date(end.year - 1, end.month, 1)
        if start > end:
            self.add_error("start", _("The first month comes after the last."))
            return data
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months > MAX_MONTHS:
            self.add_error("start", _("Look at %(max)s months at most.") % {"max": MAX_MONTHS})
            return data
        data["start"], data["end"] = start, end
        data["unit"] = data.get("unit") or "facility"
        data["period"] = data.get("period") or srb.MONTH
        return data
