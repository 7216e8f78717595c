"""Log every refused request exactly once, as one structured line.

Access functions (permissions.access) log the 404s they raise themselves; this
middleware tells them which route is being served, and logs the 403s that come
from anywhere else (viewflow's permission checks, CSRF failures, Django's
PermissionDenied). A 403 whose refusal an access function already logged is not
logged a second time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch

from .access import RequestAccessState, current_request_access, log_denied


def object_ref_from_kwargs(kwargs: dict[str, Any]) -> str:
    """``process_pk=12,task_pk=40`` from the URL's keyword arguments.

    URL kwargs in Regflow are ids (int or path converters on primary keys and
    tokens), never names; a password-reset token is the one secret-ish value a
    URL carries, so it is left out.
    """
    return ",".join(f"{key}={value}" for key, value in sorted(kwargs.items()) if key not in {"token", "uidb64"})


def route_name(match: ResolverMatch) -> str:
    """The namespaced URL name, or the pattern for the few unnamed routes."""
    return match.view_name if match.url_name else match.route


class DeniedRequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = RequestAccessState()
        token = current_request_access.set(state)
        try:
            response = self.get_response(request)
            if response.status_code == 403 and not state.logged:
                # An earlier middleware (CSRF) may have refused before process_view ran.
                match = getattr(request, "resolver_match", None)
                if not state.route and match is not None:
                    state.route = route_name(match)
                    state.obj = object_ref_from_kwargs(match.kwargs)
                log_denied(user=getattr(request, "user", None), route=state.route or request.path_info)
            return response
        finally:
            current_request_access.reset(token)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: dict[str, Any]
    ) -> None:
        state = current_request_access.get()
        match = request.resolver_match
        if state is not None and match is not None:
            state.route = route_name(match)
            state.obj = object_ref_from_kwargs(view_kwargs)
        return None
