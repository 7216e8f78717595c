"""The forms every procedure's signing steps share: the password that signs, a decision, a withdrawal."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from audit.services import signature_password_check

from .models import Decision
from .services import decision_reason_check, withdrawal_reason_check


class SignatureForm(forms.Form):
    """Signing means typing one's password again; a wrong one is refused and audited."""

    password = forms.CharField(
        label=_("Your password, to sign"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )

    def __init__(self, *args: Any, request: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request, self.case = request, case

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        checked = isinstance(password, str) and not self.errors
        if checked and not signature_password_check(
            request=self.request, user=self.request.user, password=str(password), obj=self.case
        ):
            self.add_error("password", _("The password is wrong: nothing was signed."))
        return data


class DecisionForm(SignatureForm):
    """A decision among those the step offers, with its reason (required to return or reject), signed."""

    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        help_text=_("Required to return or reject."),
    )
    field_order = ["decision", "reason", "password"]

    def __init__(self, *args: Any, decisions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The procedure's own words for each decision when its case model redeclares last_decision's choices.
        labels = dict(type(self.case)._meta.get_field("last_decision").choices or Decision.choices)
        cast(forms.ChoiceField, self.fields["decision"]).choices = [(d, labels.get(d, d)) for d in decisions]

    def clean(self) -> dict[str, Any]:
        try:
            decision_reason_check(self.cleaned_data.get("decision", ""), self.cleaned_data.get("reason") or "")
        except ValidationError as error:
            self.add_error(None, error)  # the error names its field (reason)
        return super().clean()


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def clean_reason(self) -> str:
        try:
            return withdrawal_reason_check(self.cleaned_data["reason"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["reason"]) from None
