"""Termination's reference data in the admin: each county's rules and each facility's designation.

Saves go through the audited services (permissions.admin's bases), never deletes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from permissions.admin import AuditedModelAdmin, CountyRulesAdmin, CountyRulesForm

from .models import PERSONAL_PATHWAYS, Pathway
from .rules import TerminationCountyRules, TerminationDesignation


class TerminationCountyRulesForm(CountyRulesForm):
    accepted_personal_pathways = forms.MultipleChoiceField(
        label=_("accepted personal-circumstance pathways"),
        choices=[(pathway.value, pathway.label) for pathway in Pathway if pathway in PERSONAL_PATHWAYS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


@admin.register(TerminationCountyRules)
class TerminationCountyRulesAdmin(CountyRulesAdmin):
    form = TerminationCountyRulesForm
    list_display = ["county", "gestational_threshold_weeks", "decision_deadline_days", "certificate_validity_days"]


@admin.register(TerminationDesignation)
class TerminationDesignationAdmin(AuditedModelAdmin):
    list_display = ["facility", "designated", "max_weeks"]
    list_filter = ["designated"]
    search_fields = ["facility__name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["facility"] if obj else []
