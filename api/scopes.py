"""django-oauth-toolkit's scopes backend: the registry's scopes, and a client's own grant."""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import BaseScopes


class ProcedureScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        from .selectors import all_scopes

        return all_scopes()

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        """What this client may ask for: the scopes its director granted it; nothing once revoked."""
        from .models import ServiceAccount

        account = ServiceAccount.objects.active().filter(application=application).first() if application else None
        if account is None:
            return []
        known = self.get_all_scopes()
        return [scope for scope in account.scope_list if scope in known]

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        return self.get_available_scopes(application, request)
