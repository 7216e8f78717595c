"""/api/: the versioned endpoints, the OpenAPI schema, its docs for staff, and the OAuth2 token endpoint."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, include, path, re_path
from oauth2_provider import views as oauth_views
from rest_framework.routers import SimpleRouter

from . import pages, problems, views
from .viewsets import procedure_routes


def _public(patterns: list[Any]) -> list[Any]:
    """The API answers anonymous callers itself (401 problem details), not with the login page's redirect."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = login_not_required(pattern.callback)
        elif isinstance(pattern, URLResolver):
            _public(pattern.url_patterns)
    return patterns


router = SimpleRouter()
for prefix, viewset, basename in procedure_routes():
    router.register(prefix, viewset, basename=basename)

v1 = [
    *router.urls,
    path("verify/<slug:kind>/<str:number>/<str:token>/", views.VerifyView.as_view(), name="verify"),
]

app_name = "api"
urlpatterns = [
    path("v1/", include((_public(v1), "v1"), namespace="v1"), {"version": "v1"}),
    path("schema/", views.schema_view, name="schema"),
    path("docs/", views.docs_view, name="docs"),
    path("oauth/token/", login_not_required(oauth_views.TokenView.as_view()), name="token"),
    path("oauth/revoke/", login_not_required(oauth_views.RevokeTokenView.as_view()), name="revoke"),
    # The director's pages: the facility's API clients and webhooks.
    path("clients/", pages.clients, name="clients"),
    path("clients/new/", pages.client_create, name="client_create"),
    path("clients/<int:pk>/rotate/", pages.client_rotate, name="client_rotate"),
    path("clients/<int:pk>/revoke/", pages.client_revoke, name="client_revoke"),
    path("webhooks/new/", pages.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/revoke/", pages.webhook_revoke, name="webhook_revoke"),
    path("webhooks/deliveries/", pages.deliveries, name="deliveries"),
    re_path(r"^v1/", login_not_required(problems.api_not_found)),  # anything else under v1/: a 404 problem
]
