"""Who is calling: a facility's system (an OAuth2 bearer token) or a signed-in person (their session)."""

from __future__ import annotations

from typing import Any

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from .models import ServiceAccount


class ServiceAccountAuthentication(OAuth2Authentication):
    """A bearer token issued to a live service account; the request acts as the account's service user.

    Client-credentials tokens carry no user: the account does. A revoked account's tokens stop working
    at once, whatever their expiry.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        # A bearer token in the Authorization header only: never in the body or the query (the toolkit would
        # read the body to look for one, parsing it before anyone checked who is calling).
        if not request.META.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
            return None
        result = super().authenticate(request)
        if result is None:
            return None
        _user, token = result
        account = (
            ServiceAccount.objects.active()
            .select_related("user", "facility")
            .filter(application_id=token.application_id)
            .first()
        )
        if account is None or not account.user.is_active:
            return None
        request.api_client = account  # type: ignore[attr-defined]
        account.user._regflow_is_service = True
        return account.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class StaffSessionAuthentication(SessionAuthentication):
    """People keep their sessions: signed-in staff may read what the pages show them (CSRF as usual)."""


def client_of(request: Any) -> ServiceAccount | None:
    return getattr(request, "api_client", None) or getattr(getattr(request, "_request", None), "api_client", None)
