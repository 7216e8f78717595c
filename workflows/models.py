"""The notification outbox: one row per recipient, written with the change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something a user should know about. Carries ids, kinds and links, never personal data.

    The id is the replay cursor: a reconnecting client sends the last id it saw
    and receives every later row, in id order. ``notify`` takes the recipient's
    NotificationCursor row lock before inserting, so one user's ids grow in the
    order their transactions commit and a later id never overtakes an earlier one.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    url = models.CharField(_("link"), max_length=300, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["recipient", "id"], name="notification_replay_idx"),
            # The unread badge on every page counts these.
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class NotificationCursor(models.Model):
    """The id of the last notification written for a user.

    Its row lock, held until commit, serialises the notifications of one user:
    without it two transactions could insert ids 9 and 10 and commit 10 first,
    and a client that saw 10 would never replay 9. ``last_id`` also travels with
    each push as ``prev``, so a consumer sees at once when a push was lost.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_cursor",
    )
    last_id = models.BigIntegerField(_("last notification id"), default=0)

    class Meta:
        verbose_name = _("notification cursor")
        verbose_name_plural = _("notification cursors")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.last_id}"


class DispatcherHeartbeat(models.Model):
    """When the timer dispatcher last finished a sweep: what /healthz reports.

    A row in the database rather than a Redis key: /healthz must answer without
    Redis, and while the database is down the dispatcher cannot fire timers
    anyway, so a heartbeat that stops with the database tells the truth.
    """

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    beat_at = models.DateTimeField(_("last sweep at"))
    interval_seconds = models.FloatField(_("sweep interval (seconds)"))

    class Meta:
        verbose_name = _("dispatcher heartbeat")
        verbose_name_plural = _("dispatcher heartbeats")

    def __str__(self) -> str:
        return f"{self.name}: {self.beat_at.isoformat()}"
