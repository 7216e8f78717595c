"""Rate limits per client: a system by its account, a person by their user, the public by its address."""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import SimpleRateThrottle

from .authentication import client_of


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"

    def get_cache_key(self, request: Any, view: Any) -> str:
        account = client_of(request)
        if account is not None:
            ident = f"client:{account.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class VerifyRateThrottle(SimpleRateThrottle):
    """The public certificate check: by address (nobody is signed in)."""

    scope = "verify"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
