"""Termination's API for hospital information systems (workflows.cases.api, docs/api.md).

A system files a request with its scans and reads its facility's own requests. Filing is validated by the
request page's own forms (forms.SubmitForm, forms.DocumentFormSet) and performed by the page's own service
(services.termination_submit): one set of rules, whichever way a request comes in.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from permissions.selectors import facilities_for_user
from workflows.cases.api import (
    ApiResource,
    CaseDocumentsFilingSerializer,
    VisibleFieldsSerializer,
    facility_of,
    flow_start,
    form_errors,
    form_post,
    formset_errors,
    formset_post,
    service_refusals,
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


class RequestFieldsSerializer(serializers.Serializer[Any]):
    """A new request's own fields (multipart/form-data, with its scans: RequestFileSerializer)."""

    patient_name = serializers.CharField(max_length=100)
    resident_id = serializers.CharField(max_length=18, min_length=18)
    marital_status = serializers.ChoiceField(choices=MaritalStatus.choices)
    gestational_weeks = serializers.IntegerField(min_value=1, max_value=44)
    gestational_days = serializers.IntegerField(min_value=0, max_value=6)
    lmp_date = serializers.DateField()
    pathway = serializers.ChoiceField(choices=Pathway.choices)
    emergency = serializers.BooleanField(required=False, default=False)
    emergency_justification = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class RequestFileSerializer(RequestFieldsSerializer, CaseDocumentsFilingSerializer):
    """A new request (multipart/form-data): the request's fields, ``documents`` (a JSON array describing each
    scan) and ``scans`` (the files, in the same order). The facility is the client's own."""

    document_types = DocumentType.choices


def _facilities(user: Any) -> Any:
    return designated_facilities(facilities_for_user(user))


def request_file(*, user: Any, data: dict[str, Any], request: Any) -> TerminationCase:
    """Validate with the request page's forms, then submit through the page's service."""
    message = _("This client's facility is not designated for terminations.")
    facility = facility_of(user, _facilities(user), message=message)
    form_data = {**form_post(data, exclude=("documents", "scans")), "facility": facility.pk}
    form = SubmitForm(form_data, facilities=_facilities(user))
    formset_data, formset_files = formset_post("documents", data["documents"], data["scans"])
    documents: Any = DocumentFormSet(formset_data, formset_files, prefix="documents")  # type: ignore[arg-type]
    if not (form.is_valid() and documents.is_valid()):
        raise ValidationError({**form_errors(form), **formset_errors(documents, "documents")})
    cleaned = dict(form.cleaned_data)
    cleaned.pop("facility")
    from .flows import TerminationFlow

    activation = flow_start(node=TerminationFlow.submit, user=user, request=request)
    with service_refusals():
        return services.termination_submit(
            activation=activation,
            user=user,
            facility=facility,
            data=cleaned,
            documents=documents.documents(),
            request=request,
        )


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
