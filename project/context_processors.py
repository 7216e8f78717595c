from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from permissions.selectors import user_header_context


def regflow(request: HttpRequest) -> dict[str, Any]:
    """Product name, source link (AGPL section 13) and the signed-in user's role and scope."""
    context: dict[str, Any] = {"SITE_NAME": settings.SITE_NAME, "SOURCE_URL": settings.SOURCE_URL}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["regflow_user"] = user_header_context(user)
    return context
