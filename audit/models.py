"""The append-only audit trail and electronic signatures.

Nothing here is ever updated or deleted by the application; on PostgreSQL a
trigger installed by migration makes UPDATE, DELETE and TRUNCATE fail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    sequence = models.BigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time (UTC)"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,  # the trail must outlive any row it names
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    # Jurisdiction scope of the object, copied at write time so that inspector
    # search can filter by county without knowing every procedure's models.
    # Plain integers, not foreign keys: the trail must outlive any row it names.
    county_id = models.BigIntegerField(_("county"), null=True, blank=True)
    facility_id = models.BigIntegerField(_("facility"), null=True, blank=True, db_index=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)
    # HMAC of ``hash`` under a key kept outside the database (settings.AUDIT_CHAIN_KEYS), and which key:
    # a chain rebuilt from the middle cannot be re-sealed without it. Empty on events written before
    # seals existed (migration 0004); see audit.chain.
    seal = models.CharField(_("seal"), max_length=64, blank=True, default="")
    seal_key = models.CharField(_("seal key"), max_length=16, blank=True, default="")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "sequence"], name="audit_object_idx"),
            models.Index(fields=["occurred_at"], name="audit_time_idx"),
            models.Index(fields=["county_id", "sequence"], name="audit_county_idx"),
        ]

    def __str__(self) -> str:
        from .actions import action_label  # labels read the models

        return f"#{self.sequence} {action_label(self.action)}"


class Signature(models.Model):
    class Meaning(models.TextChoices):
        """The meanings every procedure shares. A procedure registers its own beside them
        (audit.actions.register_signature_meanings), so ``meaning`` has no choices and needs no migration."""

        SUBMITTED = "submitted", _("Submitted")
        REVIEWED = "reviewed", _("Reviewed and forwarded")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned for information")
        AMENDED = "amended", _("Amended")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ESCALATED = "escalated", _("Escalation handled")
        UNDERTAKING = "undertaking", _("Undertaking signed")
        VERIFIED = "verified", _("Verified")
        CANCELLED = "cancelled", _("Cancelled")
        INSPECTED = "inspected", _("Inspection recorded")

    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signer"), on_delete=models.PROTECT, related_name="signatures"
    )
    printed_name = models.CharField(_("printed name"), max_length=150)
    signed_at = models.DateTimeField(_("signed at (UTC)"))
    meaning = models.CharField(_("meaning"), max_length=30)  # a registered meaning: audit.actions.signature_meanings
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    step = models.CharField(_("step"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at", "pk"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="signature_object_idx")]

    def __str__(self) -> str:
        return f"{self.printed_name} · {self.get_meaning_display()}"

    def get_meaning_display(self) -> str:
        from .actions import signature_meaning_label  # labels read the models

        return signature_meaning_label(self.meaning)
