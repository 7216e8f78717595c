"""Reading service accounts and the scopes procedures publish."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from permissions.access import staff_facility_ids
from permissions.roles import Role
from workflows.cases.api import ACTIONS, FILE, READ, scope_of
from workflows.cases.registry import procedures

from .models import ServiceAccount, WebhookDelivery, WebhookSubscription

ACTION_LABELS = {
    "api.client_create": _("API client created"),
    "api.client_rotate": _("API client secret rotated"),
    "api.client_revoke": _("API client revoked"),
    "api.webhook_create": _("Webhook subscribed"),
    "api.webhook_revoke": _("Webhook removed"),
}

ACTION_WORDS = {READ: _("read"), FILE: _("file")}


def is_service_user(user: Any) -> bool:
    """Whether this user row is a facility's information system (never a person)."""
    if user is None or getattr(user, "pk", None) is None:
        return False
    cached = getattr(user, "_regflow_is_service", None)
    if cached is None:
        cached = ServiceAccount.objects.filter(user_id=user.pk).exists()
        user._regflow_is_service = cached
    return bool(cached)


def all_scopes() -> dict[str, str]:
    """Every scope a client may hold: <procedure>:read and, for procedures that take filings, <procedure>:file."""
    scopes: dict[str, str] = {}
    for procedure in procedures():
        if not procedure.api:
            continue
        for action in ACTIONS:
            if action == FILE and not any(resource.takes_filings for resource in procedure.api):
                continue
            scopes[scope_of(procedure.code, action)] = f"{procedure.label}: {ACTION_WORDS[action]}"
    return scopes


def directed_facility_ids(user: Any) -> set[int]:
    """Facilities whose API clients and webhooks the user manages: those they direct."""
    return staff_facility_ids(user, roles={Role.FACILITY_DIRECTOR})


def clients_for_user(user: Any) -> QuerySet[ServiceAccount]:
    return ServiceAccount.objects.filter(facility_id__in=directed_facility_ids(user)).select_related(
        "facility", "application", "created_by"
    )


def webhooks_for_user(user: Any) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(facility_id__in=directed_facility_ids(user)).select_related("facility")


def deliveries_for_user(user: Any) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(subscription__facility_id__in=directed_facility_ids(user)).select_related(
        "subscription"
    )
