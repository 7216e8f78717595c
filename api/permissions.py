"""What a caller may do: systems by their token's scopes, people by their session (reading only)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .authentication import client_of


class ProcedureScope(BasePermission):
    """A system needs the view's scope (``<procedure>:read`` to read, ``<procedure>:file`` to file).

    A person signed in may read through the API what the pages show them; writing through the API is
    for systems (a person files on the pages, where they also sign).
    """

    message = _("This client's token does not carry the scope this endpoint needs.")

    def has_permission(self, request: Any, view: Any) -> bool:
        if client_of(request) is not None:
            token = request.auth
            required = view.required_scope(request)
            return bool(required) and token is not None and token.allow_scopes([required])
        if request.user and request.user.is_authenticated:
            if request.method not in SAFE_METHODS:
                self.message = _("Filing through the API is for systems: people file on the pages.")
                return False
            return True
        return False
