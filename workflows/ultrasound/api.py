"""The ultrasound registry's API for hospital information systems (workflows.cases.api, docs/api.md).

A facility's system files a newly bought device (the filing page's forms and service) and reads its filings
and its devices in the registry.
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
    VisibleFieldsSerializer,
    facility_of,
    flow_start,
    formset_errors,
    page_form,
    serializer_from_form,
    service_refusals,
)

from . import selectors, services
from .forms import FileForm, operator_formset
from .models import DocumentType, UltrasoundCase
from .visibility import VISIBILITY


class DeviceFilingRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    stage = serializers.CharField()
    facility = serializers.IntegerField(source="facility_id", allow_null=True)
    device = serializers.IntegerField(source="device_id", allow_null=True)
    created = serializers.DateTimeField()


class DeviceFilingReadSerializer(DeviceFilingRowSerializer):
    county = serializers.IntegerField(source="county_id")
    last_decision = serializers.CharField()
    ended_at = serializers.DateTimeField(allow_null=True)


class DeviceRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    facility = serializers.IntegerField(source="facility_id")
    status = serializers.CharField()
    device_type = serializers.CharField()
    manufacturer = serializers.CharField()
    model = serializers.CharField()
    serial_number = serializers.CharField()
    registration_number = serializers.CharField(allow_null=True)


class OperatorSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    licence_number = serializers.CharField()
    pledge_date = serializers.DateField()


class DeviceSerializer(DeviceRowSerializer, VisibleFieldsSerializer):
    county = serializers.IntegerField(source="county_id")
    room = serializers.CharField()
    filed_on = serializers.DateField()
    days_late = serializers.IntegerField()
    registered_at = serializers.DateTimeField(allow_null=True)
    pledges_due_on = serializers.DateField(allow_null=True)
    retired_at = serializers.DateTimeField(allow_null=True)
    operators = serializers.SerializerMethodField()  # restricted (visibility.py)
    certificate_token = serializers.CharField(required=False, allow_null=True)  # restricted

    def get_operators(self, device: Any) -> list[dict[str, Any]]:
        return [dict(OperatorSerializer(o).data) for o in device.active_operators().order_by("pk")]


FilingFileSerializer = serializer_from_form(
    FileForm,
    name="DeviceFilingSerializer",
    exclude=("facility",),
    extra={
        "operators": serializers.CharField(
            help_text="A JSON array: one object per operator (name, licence_number, mch_certificate_number, "
            "pledge_date, resident_id)."
        )
    },
)


def _facilities(user: Any) -> Any:
    return facilities_for_user(user).filter(is_active=True)


def _operators(raw: str) -> Any:
    try:
        rows = json.loads(raw)
    except ValueError:
        rows = None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValidationError({"operators": [_("Send a JSON array of operators.")]})
    data: dict[str, Any] = {"operators-TOTAL_FORMS": len(rows), "operators-INITIAL_FORMS": 0}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"operators-{index}-{key}"] = str(value)
    formset = operator_formset(data)
    if not formset.is_valid():
        raise ValidationError(formset_errors(formset, "operators"))
    return formset


def device_file(*, user: Any, data: dict[str, Any], request: Any) -> UltrasoundCase:
    """Validate with the filing page's forms, then file through the page's service."""
    facility = facility_of(user, _facilities(user))
    operators = _operators(str(data.get("operators", "")))
    form = page_form(FileForm, request=request, facility=facility, facilities=_facilities(user))
    cleaned = dict(form.cleaned_data)
    documents: list[tuple[str, Any]] = [(DocumentType.UNDERTAKING, cleaned.pop("undertaking"))]
    if cleaned.get("pledges"):
        documents.append((DocumentType.PLEDGE, cleaned["pledges"]))
    cleaned.pop("facility")
    from .flows import UltrasoundRegistrationFlow

    activation = flow_start(node=UltrasoundRegistrationFlow.file, user=user, request=request)
    with service_refusals():
        return services.ultrasound_file(
            activation=activation,
            user=user,
            facility=facility,
            data=cleaned,
            operators=operators.operators(),
            documents=documents,
            request=request,
        )


API = (
    ApiResource(
        name="filings",
        label=_("Ultrasound device filings"),
        records=lambda user: selectors.ultrasound_cases_for_user(user),
        detail_serializer=DeviceFilingReadSerializer,
        list_serializer=DeviceFilingRowSerializer,
        roles=lambda *, user, record: selectors.ultrasound_case_roles(user=user, case=record),
        visibility=VISIBILITY,
        file_serializer=FilingFileSerializer,
        file=device_file,
        multipart=True,
    ),
    ApiResource(
        name="devices",
        label=_("Ultrasound registry entries"),
        records=lambda user: selectors.ultrasound_devices_for_user(user),
        detail_serializer=DeviceSerializer,
        list_serializer=DeviceRowSerializer,
        roles=lambda *, user, record: selectors.device_roles(user=user, device=record),
        visibility=VISIBILITY,
    ),
)
