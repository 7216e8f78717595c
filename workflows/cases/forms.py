"""The forms every procedure shares: the password that signs, a decision, a withdrawal, a case's documents, and the
small pieces of a procedure's own forms (a fact's blank choice, dates, scans)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import signature_password_check
from core.validators import resident_id_normalise, validate_resident_id
from documents.validators import validate_scan

from .models import Decision
from .services import decision_reason_check, withdrawal_reason_check

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})
BLANK_CHOICE_LABEL = _("— choose —")
MAX_DOCUMENTS = 10


def fact_choices(choices: Any) -> list[tuple[str, Any]]:
    """Choices for a field that records a fact: a blank first option, so that nothing is chosen by default."""
    return [("", BLANK_CHOICE_LABEL), *choices]


def not_in_future(value: Any) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("This date lies in the future."))


def offer_facilities(form: forms.Form, facilities: Any, *, field: str = "facility") -> None:
    """The form's facility choice: the user's own facilities; the only one is chosen for them.

    Choosing a clerk's only facility records nothing untrue, and spares them a step. One query either way.
    """
    choice = cast(forms.ModelChoiceField, form.fields[field])
    choice.queryset = facilities
    first_two = list(facilities[:2])
    if len(first_two) == 1:
        choice.initial = first_two[0].pk


def contradiction(form: forms.Form, first: str, second: str, message: Any) -> None:
    """Refuse two answers that cannot both be true: one error naming both fields, shown on each of them."""
    labels = {"first": form.fields[first].label, "second": form.fields[second].label}
    text = _("%(first)s and %(second)s contradict each other: ") % labels + str(message)
    form.add_error(None, text)
    for name in (first, second):
        if name in form.fields and name not in form.errors:
            form.add_error(name, _("See the contradiction above."))


class ResidentIdField(forms.CharField):
    """A resident ID number (18 characters, the last a check digit), cleaned to its upper-case form."""

    default_validators = [validate_resident_id]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{"max_length": 18, "min_length": 18, **kwargs})

    def to_python(self, value: Any) -> str:
        return resident_id_normalise(super().to_python(value) or "")


class ScanField(forms.FileField):
    """An uploaded scan: a PDF, JPEG or PNG that is what it says (documents.validators.validate_scan)."""

    def clean(self, *args: Any, **kwargs: Any) -> Any:
        upload = super().clean(*args, **kwargs)
        if upload:
            validate_scan(upload)
        return upload


class CaseDocumentForm(forms.Form):
    """One document filed with a case (workflows.cases.models.CaseDocument); case_document_formset sets its types."""

    # A blank first choice, so that an unused row of the formset posts nothing and is skipped.
    doc_type = forms.ChoiceField(label=_("Document type"), choices=fact_choices([]))
    number = forms.CharField(label=_("Number"), max_length=60)
    issuer = forms.CharField(label=_("Issued by"), max_length=200)
    issued_on = forms.DateField(label=_("Issue date"), widget=DATE_WIDGET, validators=[not_in_future])
    is_original = forms.BooleanField(label=_("Original"), required=False)
    file = ScanField(label=_("Scan (PDF, JPEG or PNG)"))


class CaseDocumentFormSet(forms.BaseFormSet):
    def documents(self) -> list[dict[str, Any]]:
        """The rows filled in, as case_documents_add takes them."""
        return [form.cleaned_data for form in self.forms if form.cleaned_data and form.has_changed()]

    def scans_to_attach_again(self, files: Any) -> list[dict[str, Any]]:
        """Rows whose scan was sent with a refused form: browsers cannot keep a file input, so the page names them.

        Unvalidated uploads are never stored to spare the clerk this; each row is marked
        (``form.attach_again``) and the list heads the documents table.
        """
        rows = []
        for index, form in enumerate(self.forms):
            upload = files.get(f"{self.prefix}-{index}-file")
            form.attach_again = ""
            if upload is None:
                continue
            form.attach_again = (upload.name or "")[:100]
            doc_type = form.data.get(f"{self.prefix}-{index}-doc_type", "")
            label = dict(form.fields["doc_type"].choices).get(doc_type, "") if doc_type else ""
            rows.append({"row": index + 1, "type": label, "name": form.attach_again})
        return rows


def case_document_formset(doc_types: Any, *, max_documents: int = MAX_DOCUMENTS) -> type[CaseDocumentFormSet]:
    """The documents formset of a procedure whose documents are of ``doc_types`` (a TextChoices' choices)."""
    form = type("DocumentForm", (CaseDocumentForm,), {"doc_type": forms.ChoiceField(
        label=_("Document type"), choices=fact_choices(doc_types))})  # fmt: skip
    formset = forms.formset_factory(
        form, formset=CaseDocumentFormSet, extra=3, max_num=max_documents, validate_max=True
    )
    return cast(type[CaseDocumentFormSet], formset)


class SignatureForm(forms.Form):
    """Signing means typing one's password again; a wrong one is refused and audited."""

    password = forms.CharField(
        label=_("Your password, to sign"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "required": True}),
        strip=False,
        # Not required at the form level: an empty password goes to the same check as a wrong one, so it
        # is refused by signature_password_check (audited, counted by django-axes), never by a form rule alone.
        required=False,
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
