"""The API's own endpoints beside the procedures': certificate verification, the schema and its docs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required, login_required
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.cases.registry import procedure_for_certificate
from workflows.cases.selectors import verified_certificate

from .throttles import VerifyRateThrottle


class VerificationSerializer(serializers.Serializer[Any]):
    """What anyone may learn of a certificate or registration: no personal data."""

    kind = serializers.CharField()
    number = serializers.CharField()
    status = serializers.CharField()
    in_force = serializers.BooleanField()
    issued_at = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    facility = serializers.CharField()


class VerifyView(APIView):
    """Public and rate-limited: whether certificate ``number`` of ``kind`` with ``token`` is genuine, and in force."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [VerifyRateThrottle]
    public = True

    @extend_schema(tags=["verify"], responses={200: VerificationSerializer}, auth=[])
    def get(self, request: Request, kind: str, number: str, token: str, **kwargs: Any) -> Response:
        holder = verified_certificate(kind=kind, number=number, token=token)
        procedure = procedure_for_certificate(kind)
        if holder is None or procedure is None:
            raise Http404
        status, valid = holder.certificate_status(timezone.now())
        data = {
            "kind": kind,
            "number": holder.certificate_number,
            "status": status,
            "in_force": valid,
            "issued_at": holder.certificate_issued_at,
            "valid_until": holder.certificate_valid_until,
            "facility": holder.facility.name,
        }
        return Response(VerificationSerializer(data).data)


schema_view = login_not_required(SpectacularAPIView.as_view())
# The browsable docs are for signed-in staff: anyone else is sent to sign in (REST framework's views are
# exempt from LoginRequiredMiddleware, hence the decorator). The split
# view serves its script as a file of its own (no inline script: the CSP allows none).
docs_view = login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))
