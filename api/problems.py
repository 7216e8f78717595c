"""Every API error in one shape: RFC 9457 problem details (application/problem+json), in the reader's language.

``{"type", "title", "status", "detail", "errors"}``: ``type`` names the kind of problem (a path under
/api/problems/, documented in docs/api.md), ``title`` says it in words, ``detail`` says what happened this
time, ``errors`` (validation only) maps each field to its messages. Titles and details follow Accept-Language
(English or Simplified Chinese). Nothing a caller sends reaches a 500: parse failures, unknown objects,
wrong methods and media types all come out here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler
from viewflow.workflow.exceptions import FlowLockFailed

PROBLEM_CONTENT_TYPE = "application/problem+json"

# status -> (type slug, title)
PROBLEMS: dict[int, tuple[str, Any]] = {
    400: ("invalid", gettext_lazy("The request is not valid")),
    401: ("unauthenticated", gettext_lazy("Authentication is required")),
    403: ("forbidden", gettext_lazy("Not allowed")),
    404: ("not-found", gettext_lazy("Not found")),
    405: ("method-not-allowed", gettext_lazy("Method not allowed")),
    406: ("not-acceptable", gettext_lazy("Cannot answer in the media type asked for")),
    409: ("busy", gettext_lazy("Busy, try again")),
    415: ("unsupported-media-type", gettext_lazy("Unsupported media type")),
    422: ("idempotency-key-reused", gettext_lazy("Idempotency-Key reused with a different request")),
    429: ("throttled", gettext_lazy("Too many requests")),
}


class Busy(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Another request is changing this record: nothing was saved, try again.")


def problem_type(slug: str) -> str:
    return f"/api/problems/{slug}"


def problem(
    status_code: int, *, detail: Any = "", errors: dict[str, Any] | None = None, slug: str = ""
) -> dict[str, Any]:
    default_slug, title = PROBLEMS.get(status_code, ("error", gettext_lazy("Error")))
    body: dict[str, Any] = {
        "type": problem_type(slug or default_slug),
        "title": str(title),
        "status": status_code,
        "detail": str(detail or title),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status_code: int, **kwargs: Any) -> Response:
    return Response(problem(status_code, **kwargs), status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail, flattened: ``documents[0].number`` -> messages (items of a list by index)."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(key, int) and prefix:  # a list's items by index, as DRF reports them: ``entries[3]``
                name = f"{prefix}[{key}]"
            flat.update(_field_errors(value, name))
    elif isinstance(detail, list) and detail and all(isinstance(item, (dict, list)) for item in detail):
        for index, item in enumerate(detail):
            flat.update(_field_errors(item, f"{prefix}[{index}]"))
    elif isinstance(detail, list):
        flat[prefix or "non_field_errors"] = [str(item) for item in detail]
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, answering in problem details."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(getattr(exc, "message_dict", None) or {"non_field_errors": exc.messages})
    if isinstance(exc, FlowLockFailed):  # another request holds the record: nothing was written, retry
        exc = Busy()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args[:1] or ()))
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        body = problem(code, detail=_("Some fields are not valid: see errors."), errors=_field_errors(exc.detail))
    elif isinstance(exc, exceptions.Throttled):
        wait = exc.wait
        body = problem(code, detail=_("Try again in %(seconds)d seconds.") % {"seconds": int(wait or 1)})
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        body = problem(status.HTTP_401_UNAUTHORIZED, detail=_("Send a valid bearer token (OAuth2 client credentials)."))
        code = response.status_code
    elif isinstance(exc, exceptions.MethodNotAllowed):
        body = problem(
            code, detail=_("This endpoint does not take %(method)s.") % {"method": context["request"].method}
        )
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        body = problem(code, detail=_("This endpoint does not take that media type."))
    elif isinstance(exc, exceptions.NotFound):
        body = problem(code, detail=_("No such record, or not yours to see."))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else ""
        body = problem(code, detail=detail if isinstance(detail, str) else "")
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def api_not_found(request: Any, *args: Any, **kwargs: Any) -> JsonResponse:
    """A path under /api/ that names no endpoint: the same problem shape as every other error."""
    return JsonResponse(
        problem(404, detail=_("No endpoint at this address.")), status=404, content_type=PROBLEM_CONTENT_TYPE
    )
