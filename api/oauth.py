"""The token endpoint's rules: client credentials only, and only for a live service account."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class ServiceAccountValidator(OAuth2Validator):
    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        from .models import ServiceAccount

        if not super().authenticate_client(request, *args, **kwargs):
            return False
        return ServiceAccount.objects.active().filter(application=request.client).exists()

    def validate_grant_type(
        self, client_id: Any, grant_type: Any, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        return grant_type == "client_credentials" and super().validate_grant_type(
            client_id, grant_type, client, request, *args, **kwargs
        )
