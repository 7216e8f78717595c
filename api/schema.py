"""The OpenAPI schema: every operation documents the problem responses it can give (application/problem+json)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .problems import PROBLEM_CONTENT_TYPE


class ProblemSerializer(serializers.Serializer[Any]):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=True,
    type=str,
    description="A unique key per filing (1-200 printable ASCII characters): a retry with the same key and body "
    "returns the first response and never files twice; the same key with another body is a 422.",
)


class ProblemAutoSchema(AutoSchema):
    def _problem_codes(self) -> list[int]:
        method = self.method.upper()
        codes = [400, 401, 403, 404, 405, 406, 429]
        if method == "POST":
            codes += [415, 422]
        if getattr(self.view, "public", False):
            codes = [400, 404, 405, 406, 429]
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies = super()._get_response_bodies(direction)
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        for code in self._problem_codes():
            bodies.setdefault(
                str(code),
                {"content": {PROBLEM_CONTENT_TYPE: {"schema": problem}}, "description": ""},
            )
        return bodies

    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        if self.method.upper() == "POST" and not getattr(self.view, "public", False):
            params.append(IDEMPOTENCY_KEY)
        return params


class ServiceAccountScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """OAuth2 client credentials, with the registry's scopes."""

    target_class = "api.authentication.ServiceAccountAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        from .selectors import all_scopes

        return {
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": "/api/oauth/token/", "scopes": all_scopes()}},
        }

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[str]]:
        view = auto_schema.view
        if hasattr(view, "required_scope"):
            from workflows.cases.api import FILE, READ, scope_of

            action = FILE if auto_schema.method.upper() == "POST" else READ
            return {self.name: [scope_of(view.procedure.code, action)]}
        return {self.name: []}


class StaffSessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.StaffSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
