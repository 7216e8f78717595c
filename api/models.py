"""Service accounts of facilities' information systems, and what the API keeps about their requests."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceAccountQuerySet(models.QuerySet["ServiceAccount"]):
    def active(self) -> ServiceAccountQuerySet:
        return self.filter(revoked_at__isnull=True)


class ServiceAccount(models.Model):
    """A facility's information system: an OAuth2 client (client credentials) acting for that facility only.

    It is not a person: its user row has no usable password (nobody signs in as it), holds the facility
    clerk's role at its one facility (so the access layer gives it exactly the facility's records), and
    the signing service refuses it (api.apps registers it with audit.services.register_non_signer).
    """

    facility: models.ForeignKey[Any, Any] = models.ForeignKey(
        "permissions.Facility", verbose_name=_("facility"), on_delete=models.PROTECT, related_name="api_clients"
    )
    name = models.CharField(_("name"), max_length=100)
    user: models.OneToOneField[Any, Any] = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("service user"), on_delete=models.PROTECT, related_name="api_client"
    )
    application: models.OneToOneField[Any, Any] = models.OneToOneField(
        "oauth2_provider.Application",
        verbose_name=_("OAuth2 application"),
        on_delete=models.PROTECT,
        related_name="service_account",
    )
    scopes = models.CharField(_("scopes"), max_length=500)
    created_by: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ServiceAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["facility", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.facility.county_id, self.facility_id


class IdempotencyRecord(models.Model):
    """The response given to one client's POST under one Idempotency-Key: a retry gets it again.

    The unique constraint on (client, key) decides between concurrent retries: the second insert
    waits for the first transaction and then finds its row (api.idempotency).
    """

    client: models.ForeignKey[Any, Any] = models.ForeignKey(
        ServiceAccount, verbose_name=_("API client"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), default=0)
    body = models.JSONField(_("response body"), default=dict)
    location = models.CharField(_("location"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_client_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_created")]  # the expiry sweep

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"


class WebhookSubscription(models.Model):
    """A facility's URL that hears of status changes of its own records (ids and statuses only)."""

    facility: models.ForeignKey[Any, Any] = models.ForeignKey(
        "permissions.Facility", verbose_name=_("facility"), on_delete=models.PROTECT, related_name="webhooks"
    )
    url = models.URLField(_("URL"), max_length=300)
    secret = models.CharField(_("signing secret"), max_length=64)
    created_by: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.facility.county_id, self.facility_id


class WebhookDelivery(models.Model):
    """One event for one subscription: sent by the dispatcher's sweep, retried with back-off until it lands."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Given up")

    subscription: models.ForeignKey[Any, Any] = models.ForeignKey(
        WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(_("event id"), max_length=64)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_status_code = models.PositiveSmallIntegerField(_("last response status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="api_webhook_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.event_id}"
