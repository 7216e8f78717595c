"""Termination's API for hospital information systems (workflows.cases.api, docs/api.md).

A system files a request with its scans and reads its facility's own requests. Filing is validated by the
request page's own forms (forms.SubmitForm, forms.DocumentFormSet) and performed by the page's own service
(services.termination_submit): one set of rules, whichever way a request comes in.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from permissions.selectors import facilities_for_user
from workflows.cases.api import (
    ApiResource,
    ScanField,
    VisibleFieldsSerializer,
    flow_start,
    form_errors,
    refusal,
)

from . import selectors, services
from .forms import DocumentFormSet, SubmitForm
from .models import DocumentType, MaritalStatus, Pathway, TerminationCase
from .rules import designated_facilities
from .visibility import VISIBILITY


class DocumentReadSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    doc_type = serializers.CharField()
    number = serializers.CharField()
    issued_on = serializers.DateField()
    revision = serializers.IntegerField()


class RequestRowSerializer(serializers.Serializer[Any]):
    """A request in a list: no restricted field, nothing read beyond the row."""

    id = serializers.IntegerField(source="pk")
    stage = serializers.CharField()
    facility = serializers.IntegerField(source="facility_id")
    created = serializers.DateTimeField()
    pathway = serializers.CharField()
    emergency = serializers.BooleanField()
    resident_id_masked = serializers.CharField()
    certificate_number = serializers.CharField(allow_null=True)


class RequestSerializer(RequestRowSerializer, VisibleFieldsSerializer):
    """One request, for a reader allowed to see it; restricted fields by the visibility table."""

    county = serializers.IntegerField(source="county_id")
    revision = serializers.IntegerField()
    gestational_weeks = serializers.IntegerField()
    gestational_days = serializers.IntegerField()
    last_decision = serializers.CharField()
    certificate_valid_until = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    patient_name = serializers.CharField(required=False)  # restricted (visibility.py)
    certificate_token = serializers.CharField(required=False, allow_null=True)  # restricted
    documents = serializers.SerializerMethodField()

    def get_documents(self, case: TerminationCase) -> list[dict[str, Any]]:
        current = case.documents.filter(withdrawn_at__isnull=True).order_by("pk")
        return [dict(DocumentReadSerializer(document).data) for document in current]


class DocumentMetaSerializer(serializers.Serializer[Any]):
    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    number = serializers.CharField(max_length=60)
    issuer = serializers.CharField(max_length=200)
    issued_on = serializers.DateField()
    is_original = serializers.BooleanField(required=False, default=False)


class RequestFileSerializer(serializers.Serializer[Any]):
    """A new request (multipart/form-data): the request's fields, ``documents`` (a JSON array describing each
    scan) and ``scans`` (the files, in the same order). The facility is the client's own."""

    patient_name = serializers.CharField(max_length=100)
    resident_id = serializers.CharField(max_length=18, min_length=18)
    marital_status = serializers.ChoiceField(choices=MaritalStatus.choices)
    gestational_weeks = serializers.IntegerField(min_value=1, max_value=44)
    gestational_days = serializers.IntegerField(min_value=0, max_value=6)
    lmp_date = serializers.DateField()
    pathway = serializers.ChoiceField(choices=Pathway.choices)
    emergency = serializers.BooleanField(required=False, default=False)
    emergency_justification = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    documents = serializers.CharField(
        help_text=_("A JSON array: one object per scan (doc_type, number, issuer, issued_on, is_original).")
    )
    scans = serializers.ListField(child=ScanField(), min_length=1, max_length=10)

    def validate_documents(self, value: str) -> list[dict[str, Any]]:
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ValidationError(_("Send a JSON array of documents.")) from None
        rows = DocumentMetaSerializer(data=parsed, many=True)
        if not isinstance(parsed, list) or not rows.is_valid():
            raise ValidationError(rows.errors if isinstance(parsed, list) else _("Send a JSON array of documents."))
        return list(rows.validated_data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs["documents"]) != len(attrs["scans"]):
            raise ValidationError({"scans": [_("Send one scan for each document described, in the same order.")]})
        return attrs


def _the_facility(user: Any) -> Any:
    facilities = list(designated_facilities(facilities_for_user(user))[:2])
    if len(facilities) != 1:
        raise ValidationError({"non_field_errors": [_("This client's facility is not designated for terminations.")]})
    return facilities[0]


def request_file(*, user: Any, data: dict[str, Any], request: Any) -> TerminationCase:
    """Validate with the request page's forms, then submit through the page's service."""
    facility = _the_facility(user)
    fields = {name: value for name, value in data.items() if name not in {"documents", "scans"}}
    form_data = {**{k: ("on" if v is True else "" if v is False else v) for k, v in fields.items()}}
    form_data["facility"] = facility.pk
    form = SubmitForm(form_data, facilities=designated_facilities(facilities_for_user(user)))
    formset_data: dict[str, Any] = {
        "documents-TOTAL_FORMS": len(data["documents"]),
        "documents-INITIAL_FORMS": 0,
        "documents-MAX_NUM_FORMS": 10,
    }
    formset_files: dict[str, Any] = {}
    for index, (meta, scan) in enumerate(zip(data["documents"], data["scans"], strict=True)):
        for key, value in meta.items():
            if key == "is_original":
                value = "on" if value else ""
            formset_data[f"documents-{index}-{key}"] = value
        formset_files[f"documents-{index}-file"] = scan
    documents: Any = DocumentFormSet(formset_data, formset_files, prefix="documents")  # type: ignore[arg-type]
    if not (form.is_valid() and documents.is_valid()):
        errors = form_errors(form)
        for index, document_form in enumerate(documents.forms):
            for field, messages in form_errors(document_form).items():
                errors[f"documents[{index}].{field}"] = messages
        if documents.non_form_errors():
            errors.setdefault("documents", []).extend(str(m) for m in documents.non_form_errors())
        raise ValidationError(errors)
    cleaned = dict(form.cleaned_data)
    cleaned.pop("facility")
    from .flows import TerminationFlow

    activation = flow_start(node=TerminationFlow.submit, user=user, request=request)
    try:
        return services.termination_submit(
            activation=activation,
            user=user,
            facility=facility,
            data=cleaned,
            documents=documents.documents(),
            request=request,
        )
    except services.ValidationError as error:
        raise refusal(error) from None


def _visible(user: Any) -> Any:
    return selectors.cases_visible(user).select_related("facility")


API = (
    ApiResource(
        name="requests",
        label=_("Termination requests"),
        records=_visible,
        detail_serializer=RequestSerializer,
        list_serializer=RequestRowSerializer,
        roles=lambda *, user, record: selectors.case_roles(user=user, case=record),
        visibility=VISIBILITY,
        file_serializer=RequestFileSerializer,
        file=request_file,
        multipart=True,
    ),
)
