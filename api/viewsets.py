"""Endpoints for every procedure that declares an API (workflows.cases.api.ApiResource), built the same way.

``GET /api/v1/<code>/<resource>/`` lists the records the caller may read (cursor-paginated, newest first);
``GET .../<id>/`` reads one (404 for anything outside the caller's scope, as on the pages); ``POST .../``
files one, for a system holding ``<code>:file``, through the procedure's own service, once per
Idempotency-Key. There is no endpoint that decides or signs: a person does that on the pages.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from permissions.access import deny
from workflows.cases.api import FILE, READ, ApiAction, ApiResource, scope_of
from workflows.cases.registry import Procedure, procedures
from workflows.cases.selectors import case_read_audit

from .authentication import client_of
from .idempotency import idempotent
from .permissions import ProcedureScope


class ProcedureResourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]):
    procedure: Procedure
    resource: ApiResource
    permission_classes = [ProcedureScope]
    lookup_value_regex = r"[0-9]+"

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # patients' records: no cache keeps them
        return response

    def required_scope(self, request: Request) -> str:
        return scope_of(self.procedure.code, FILE if request.method == "POST" else READ)

    def get_queryset(self) -> Any:
        return self.resource.records(self.request.user).order_by("-pk")

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return self.resource.list_serializer
        if self.action == "create" and self.resource.file_serializer is not None:
            return self.resource.file_serializer
        return self.resource.detail_serializer

    def get_object(self) -> Any:
        pk = self.kwargs.get("pk", "")
        record = self.get_queryset().filter(pk=int(pk)).first() if str(pk).isdigit() and len(str(pk)) < 18 else None
        if record is None:
            model = self.get_queryset().model._meta
            raise deny(user=self.request.user, route=f"api.{self.procedure.code}", obj=f"{model.label_lower}:{pk}")
        return record

    def reader_context(self, record: Any) -> dict[str, Any]:
        roles = self.resource.roles(user=self.request.user, record=record) if self.resource.roles else set()
        return {**self.get_serializer_context(), "roles": roles, "visibility": self.resource.visibility}

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        if hasattr(record, "county_id") and hasattr(record, "facility_id"):
            case_read_audit(case=record, request=request._request)
        return Response(self.resource.detail_serializer(record, context=self.reader_context(record)).data)


class FilingMixin:
    """POST: a system files one record (the resource declares ``file``)."""

    resource: ApiResource
    reader_context: Any  # ProcedureResourceViewSet's

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        client = client_of(request)
        if client is None or self.resource.file is None:
            raise PermissionDenied
        return idempotent(client=client, request=request, perform=lambda: self._file(request))

    def _file(self, request: Request) -> Response:
        body = self.resource.file_serializer(data=request.data)  # type: ignore[misc]
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            record = self.resource.file(user=request.user, data=dict(body.validated_data), request=request._request)  # type: ignore[misc]
        data = self.resource.detail_serializer(record, context=self.reader_context(record)).data
        response = Response(data, status=status.HTTP_201_CREATED)
        response["Location"] = f"{request.path.rstrip('/')}/{record.pk}/"
        return response


def action_endpoint(api_action: ApiAction) -> Any:
    """A resource's extra endpoint (``ApiAction``) as a viewset method: validated, scoped, idempotent when it files."""

    def perform(self: ProcedureResourceViewSet, request: Request) -> Response:
        if api_action.allowed is not None:
            api_action.allowed(request.user)
        serializer = api_action.request_serializer
        data: dict[str, Any] = {}
        if serializer is not None:
            body = serializer(data=request.data if api_action.method == "post" else request.query_params)
            body.is_valid(raise_exception=True)
            data = dict(body.validated_data)
        if api_action.method == "post":
            with transaction.atomic():
                result = api_action.perform(user=request.user, data=data, request=request._request)
            return Response(api_action.response_serializer(result).data, status=status.HTTP_201_CREATED)
        result = api_action.perform(user=request.user, data=data, request=request._request)
        return Response(api_action.response_serializer(result).data)

    def endpoint(self: ProcedureResourceViewSet, request: Request, *args: Any, **kwargs: Any) -> Response:
        if api_action.method == "post":
            client = client_of(request)
            if client is None:
                raise PermissionDenied
            return idempotent(client=client, request=request, perform=lambda: perform(self, request))
        return perform(self, request)

    endpoint.__name__ = api_action.name
    return action(detail=False, methods=[api_action.method], url_path=api_action.name, url_name=api_action.name)(
        endpoint
    )


def resource_viewset(procedure: Procedure, resource: ApiResource) -> type[ProcedureResourceViewSet]:
    """The viewset of one resource: list and read always, filing when the procedure takes filings."""
    bases: tuple[type, ...] = (ProcedureResourceViewSet,)
    attrs: dict[str, Any] = {"procedure": procedure, "resource": resource, "queryset": None}
    if resource.file is not None:
        bases = (FilingMixin, ProcedureResourceViewSet)
    if resource.takes_filings:
        attrs["parser_classes"] = [MultiPartParser] if resource.multipart else [JSONParser]
    for api_action in resource.actions:
        attrs[api_action.name] = action_endpoint(api_action)
    tag = f"{procedure.code}"
    name = f"{procedure.code.title().replace('_', '')}{resource.name.title().replace('_', '')}ViewSet"
    viewset = type(name, bases, attrs)
    schemas = {
        "list": extend_schema(tags=[tag], summary=f"{resource.label}: the list", responses=resource.list_serializer),
        "retrieve": extend_schema(
            tags=[tag], summary=f"{resource.label}: read one", responses=resource.detail_serializer
        ),
    }
    if resource.file is not None:
        schemas["create"] = extend_schema(
            tags=[tag],
            summary=f"{resource.label}: file one",
            request={("multipart/form-data" if resource.multipart else "application/json"): resource.file_serializer},
            responses={201: resource.detail_serializer},
        )
    for api_action in resource.actions:
        schemas[api_action.name] = extend_schema(
            tags=[tag],
            summary=api_action.summary or f"{api_action.name} of {resource.name}",
            request=api_action.request_serializer if api_action.method == "post" else None,
            parameters=[api_action.request_serializer]
            if api_action.method == "get" and api_action.request_serializer
            else None,
            responses={201 if api_action.method == "post" else 200: api_action.response_serializer},
        )
    return extend_schema_view(**schemas)(viewset)


def procedure_routes() -> list[tuple[str, type[ProcedureResourceViewSet], str]]:
    """(prefix, viewset, basename) for every resource of every procedure in the registry."""
    routes = []
    for procedure in procedures():
        for resource in procedure.api:
            routes.append(
                (
                    f"{procedure.code}/{resource.name}",
                    resource_viewset(procedure, resource),
                    f"{procedure.code}-{resource.name}",
                )
            )
    return routes
