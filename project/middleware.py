"""Request-level policies that Django does not ship."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.template.loader import render_to_string
from django.utils.http import is_same_domain

from core.sessions import SESSION_RENEWED_KEY, SESSION_STARTED_KEY
from workflows.outages import Outage, is_connection_failure

log = logging.getLogger("regflow.requests")


def session_clocks_start(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At login (connected to ``user_logged_in``): the 12 hours and the idle renewal start now, saved with the
    login's own write of the session, so the first page after it writes nothing more."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = request.session[SESSION_RENEWED_KEY] = time.time()


class SessionLifetimeMiddleware:
    """Sessions end after 30 idle minutes, and 12 hours after login however active.

    Idle expiry is Django's (SESSION_COOKIE_AGE): a session saved is renewed for that long. Saving it on
    every request (SESSION_SAVE_EVERY_REQUEST) would write its row on every page, a write per page view
    under load; it is renewed here at most once every SESSION_RENEW_SECONDS instead, so a session ends
    between SESSION_COOKIE_AGE less that interval and SESSION_COOKIE_AGE after the last request.
    Both clocks start at login (``session_clocks_start``); login rotates the session key, so a fresh login
    always starts a fresh 12 hours. A session from before that has its start written on its next request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.get(SESSION_STARTED_KEY)
            if started is None:
                session[SESSION_STARTED_KEY] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect_to_login(request.get_full_path())
            renewed = session.get(SESSION_RENEWED_KEY)
            if renewed is None or not 0 <= now - float(renewed) < settings.SESSION_RENEW_SECONDS:
                session[SESSION_RENEWED_KEY] = now  # marks it modified: saved with a fresh expiry
        return self.get_response(request)


class RequestIdMiddleware:
    """Give each request an id that audit events and log lines can quote."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


# How long a client is asked to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 30
database_outage = Outage(logger=log, what="database (web requests)")


def database_unavailable_response() -> HttpResponse:
    """Our translated 503 page, rendered without the request: no context processor may touch the database."""
    body = render_to_string("503.html", {"SITE_NAME": settings.SITE_NAME, "SOURCE_URL": settings.SOURCE_URL})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # type: ignore[attr-defined]  # logged once per outage, not per request
    return response


class DatabaseUnavailableMiddleware:
    """Degraded, not broken: a database that cannot be reached answers 503 with Retry-After.

    A view's failure arrives in process_exception. A failure in another
    middleware (loading the session, say) has already become an error response
    by then; project.views.server_error (handler500) turns that into the same
    page. Either way the outage is logged once, and its end once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 500:
            database_outage.succeeded()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_connection_failure(exception):
            return None
        database_outage.failed(exception)
        return database_unavailable_response()


class SameOriginWebsocketValidator:
    """Accept a websocket only from this site's own origin, compared as Django's CSRF check compares it.

    channels' AllowedHostsOriginValidator looks at the host name alone, so ``http://`` or another
    port on an allowed host passed. Here the whole origin (scheme, host, port) must be either the
    socket's own (``https`` when the socket is secure, directly or per SECURE_PROXY_SSL_HEADER; the
    Host header, itself in ALLOWED_HOSTS) or one of CSRF_TRUSTED_ORIGINS (``https://*.example.org``
    matches the subdomains, as it does for CSRF). No Origin header, no socket.
    """

    def __init__(self, application: Any):
        self.application = application

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginWebsocketValidator only guards websockets")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def _scope_headers(scope: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


def _scope_is_secure(scope: Any, headers: dict[str, str]) -> bool:
    if scope.get("scheme") in {"wss", "https"}:
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, secure_value = proxy_header
        header = name.removeprefix("HTTP_").replace("_", "-").lower()
        return headers.get(header, "").split(",", 1)[0].strip() == secure_value
    return False


def origin_allowed(scope: Any) -> bool:
    headers = _scope_headers(scope)
    origin = headers.get("origin")
    if not origin:
        return False
    host = headers.get("host", "")
    domain, _port = split_domain_port(host)
    if domain and validate_host(domain, settings.ALLOWED_HOSTS):
        own = f"{'https' if _scope_is_secure(scope, headers) else 'http'}://{host}"
        if origin == own:
            return True
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in trusted:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parts.netloc, pattern.split("://", 1)[1][1:])  # "https://*.x.org" -> ".x.org"
        for pattern in trusted
        if "://*." in pattern and pattern.startswith(f"{parts.scheme}://")
    )
