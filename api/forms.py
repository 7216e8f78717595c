from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from permissions.models import Facility

from .selectors import all_scopes


class ClientForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    name = forms.CharField(label=_("System name"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("Scopes"), widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args: Any, facilities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = facilities
        cast(forms.MultipleChoiceField, self.fields["scopes"]).choices = list(all_scopes().items())


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class WebhookForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    url = forms.URLField(label=_("URL"), max_length=300, assume_scheme="https")

    def __init__(self, *args: Any, facilities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = facilities
