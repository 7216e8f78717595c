"""A facility director's API clients and webhooks: created, rotated and revoked, each audited."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken

from audit.services import audit_record
from permissions.models import Facility, Profile, RoleAssignment
from permissions.roles import Role
from permissions.services import role_grant, role_revoke

from .models import ServiceAccount, WebhookSubscription
from .selectors import all_scopes
from .webhooks import webhook_url_refusal

# Why a webhook's address is refused (api.webhooks.address_kind), in the director's words.
ADDRESS_KINDS = {
    "unspecified": gettext_lazy("an unspecified address"),
    "loopback": gettext_lazy("this machine's own address"),
    "link-local": gettext_lazy("a link-local address"),
    "multicast": gettext_lazy("a multicast address"),
    "private": gettext_lazy("a private network's address"),
    "reserved": gettext_lazy("a reserved address"),
    "not public": gettext_lazy("not a public address"),
    "invalid": gettext_lazy("not a valid address"),
}


def _scopes_check(scopes: list[str]) -> str:
    known = all_scopes()
    unknown = [scope for scope in scopes if scope not in known]
    if unknown or not scopes:
        raise ValidationError({"scopes": [_("Choose at least one of the scopes offered.")]})
    return " ".join(sorted(set(scopes)))


def _tokens_end(application: Application) -> None:
    RefreshToken.objects.filter(application=application).delete()
    AccessToken.objects.filter(application=application).delete()


@transaction.atomic
def api_client_create(
    *, actor: Any, facility: Facility, name: str, scopes: list[str], request: Any = None
) -> tuple[ServiceAccount, str]:
    """A new client for ``facility``: its service user (the facility clerk's role there, no password) and
    its OAuth2 credentials. Returns the account and its secret, which is shown once and stored only hashed."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": [_("Name the system this client is for.")]})
    granted = _scopes_check(scopes)
    user = get_user_model().objects.create(username=f"api-{facility.pk}-{secrets.token_hex(6)}")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    secret = generate_client_secret()
    application = Application.objects.create(
        name=name[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    Profile.objects.create(
        user=user,
        facility=facility,
        printed_name=(_("API client %(name)s (%(client)s)") % {"name": name, "client": application.client_id})[:100],
        is_service_account=True,
    )
    account = ServiceAccount.objects.create(
        facility=facility, name=name, user=user, application=application, scopes=granted, created_by=actor
    )
    role_grant(actor=actor, user=user, role=Role.FACILITY_CLERK, facility=facility, request=request)
    audit_record(
        actor=actor,
        action="api.client_create",
        obj=account,
        changes={"client_id": application.client_id, "name": name, "scopes": granted.split(), "user": user.pk},
        request=request,
    )
    return account, secret


@transaction.atomic
def api_client_rotate(*, actor: Any, account: ServiceAccount, request: Any = None) -> str:
    """A new secret (shown once); the old one stops working, and so do the tokens issued with it."""
    account = ServiceAccount.objects.select_for_update().select_related("application", "facility").get(pk=account.pk)
    if account.revoked_at is not None:
        raise ValidationError(_("This client is revoked."))
    secret = generate_client_secret()
    application = account.application
    application.client_secret = secret
    application.save()
    _tokens_end(application)
    account.rotated_at = timezone.now()
    account.save(update_fields=["rotated_at"])
    audit_record(
        actor=actor,
        action="api.client_rotate",
        obj=account,
        changes={"client_id": application.client_id},
        request=request,
    )
    return secret


@transaction.atomic
def api_client_revoke(*, actor: Any, account: ServiceAccount, reason: str, request: Any = None) -> None:
    """The client stops at once: its tokens end, its role at the facility is revoked, its user deactivated."""
    if not reason.strip():
        raise ValidationError({"reason": [_("A reason is required.")]})
    account = (
        ServiceAccount.objects.select_for_update().select_related("application", "facility", "user").get(pk=account.pk)
    )
    if account.revoked_at is not None:
        return
    account.revoked_at = timezone.now()
    account.save(update_fields=["revoked_at"])
    _tokens_end(account.application)
    for assignment in RoleAssignment.objects.active().filter(user=account.user):
        role_revoke(actor=actor, assignment=assignment, reason=reason, request=request)
    account.user.is_active = False
    account.user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="api.client_revoke",
        obj=account,
        changes={"client_id": account.application.client_id, "revoked_at": [None, account.revoked_at]},
        reason=reason,
        request=request,
    )


@transaction.atomic
def webhook_create(*, actor: Any, facility: Facility, url: str, request: Any = None) -> tuple[WebhookSubscription, str]:
    """Subscribe ``url`` to status changes of the facility's records. Returns the signing secret (shown once)."""
    if not url.startswith("https://") and not url.startswith("http://"):
        raise ValidationError({"url": [_("Enter an http or https address.")]})
    refusal = webhook_url_refusal(url)
    if refusal is not None:
        raise ValidationError(
            {
                "url": [
                    _(
                        "This address leads into a private network (%(host)s is %(address)s, %(kind)s): "
                        "a webhook goes to a public address only."
                    )
                    % {"host": refusal.host, "address": refusal.address or "-", "kind": ADDRESS_KINDS[refusal.kind]}
                ]
            }
        )
    secret = secrets.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(facility=facility, url=url, secret=secret, created_by=actor)
    audit_record(
        actor=actor,
        action="api.webhook_create",
        obj=subscription,
        changes={"url": url, "facility": facility.pk},
        request=request,
    )
    return subscription, secret


@transaction.atomic
def webhook_revoke(*, actor: Any, subscription: WebhookSubscription, request: Any = None) -> None:
    subscription = WebhookSubscription.objects.select_for_update().select_related("facility").get(pk=subscription.pk)
    if subscription.revoked_at is not None:
        return
    subscription.revoked_at = timezone.now()
    subscription.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api.webhook_revoke",
        obj=subscription,
        changes={"url": subscription.url, "revoked_at": [None, subscription.revoked_at]},
        request=request,
    )
