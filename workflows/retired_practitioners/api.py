"""Retired practitioners' API for hospital information systems (workflows.cases.api, docs/api.md).

The former facility's system files a retirement (the filing page's form and service) and reads its filings.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from permissions.selectors import facilities_for_user
from workflows.cases.api import ApiResource, facility_of, flow_start, page_form, serializer_from_form, service_refusals

from . import selectors, services
from .forms import FileForm
from .models import PractitionerCase
from .visibility import VISIBILITY


class RetirementFilingRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    stage = serializers.CharField()
    facility = serializers.IntegerField(source="facility_id", allow_null=True)
    practitioner = serializers.IntegerField(source="practitioner_id")
    created = serializers.DateTimeField()


class RetirementFilingReadSerializer(RetirementFilingRowSerializer):
    county = serializers.IntegerField(source="county_id")
    last_decision = serializers.CharField()
    ended_at = serializers.DateTimeField(allow_null=True)
    practitioner_status = serializers.CharField(source="practitioner.status")
    resident_id_masked = serializers.CharField(source="practitioner.resident_id_masked")
    days_late = serializers.IntegerField(source="practitioner.days_late")


FilingFileSerializer = serializer_from_form(FileForm, name="RetirementFilingSerializer", exclude=("facility",))


def _facilities(user: Any) -> Any:
    return facilities_for_user(user).filter(is_active=True)


def filing_file(*, user: Any, data: dict[str, Any], request: Any) -> PractitionerCase:
    """Validate with the filing page's form, then file through the page's service."""
    facility = facility_of(user, _facilities(user))
    form = page_form(FileForm, request=request, facility=facility, facilities=_facilities(user))
    cleaned = dict(form.cleaned_data)
    cleaned.pop("facility")
    from .flows import RetiredPractitionerFlow

    activation = flow_start(node=RetiredPractitionerFlow.file, user=user, request=request)
    with service_refusals():
        return services.practitioner_file(
            activation=activation,
            user=user,
            facility=facility,
            pledge=cleaned.pop("pledge"),
            data=cleaned,
            request=request,
        )


API = (
    ApiResource(
        name="filings",
        label=_("Retired practitioner filings"),
        records=lambda user: selectors.practitioner_cases_for_user(user).select_related("practitioner"),
        detail_serializer=RetirementFilingReadSerializer,
        list_serializer=RetirementFilingRowSerializer,
        roles=lambda *, user, record: selectors.practitioner_case_roles(user=user, case=record),
        visibility=VISIBILITY,
        file_serializer=FilingFileSerializer,
        file=filing_file,
        multipart=True,
    ),
)
