"""The toolbar's notification bell: unread count, socket address and the words the script shows."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from ..events import DEFAULT_LABEL, KIND_LABELS, subject_templates, unread_count
from ..routing import SOCKET_PATH

register = template.Library()


@register.inclusion_tag("workflows/includes/notification_badge.html", takes_context=True)
def notification_badge(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"enabled": False}
    # A page that shows the count itself (the notification list) has read it already.
    unread = context.get("unread_total")
    if unread is None:
        unread = unread_count(user.pk)
    # Translated here, in the page's language, so the script needs no catalogue of its own.
    words = {
        "kinds": {kind: str(label) for kind, label in KIND_LABELS.items()},
        "default": str(DEFAULT_LABEL),
        "subjects": subject_templates(),
        "unread": _("Unread notifications: %(count)s"),
        "none": _("No unread notifications"),
        "missed": _("Notifications while you were away: %(count)s"),
        "open": _("Open"),
        "all": _("All notifications"),
        "dismiss": _("Dismiss"),
        "offline": _("Live updates paused; reconnecting…"),
    }
    return {"enabled": True, "user_id": user.pk, "unread": unread, "socket_path": SOCKET_PATH, "words": words}
