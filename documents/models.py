"""Uploaded documents, kept in the database so that one backup holds everything.

``Blob`` holds each distinct content once, addressed by its SHA-256; nothing
updates or deletes a blob. A procedure's document model subclasses
``StoredDocument``: it records the hash it was given (which the case's
signatures cover) and points at the blob with that hash. The blob is null only
for a document whose file was already lost when scans moved into the database
(migration ``termination/0003``); ``manage.py verify_storage`` lists those.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Blob(models.Model):
    """One distinct content. Loading a Blob loads its content: query ``blob_id`` where the bytes are not needed."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content = models.BinaryField(_("content"))
    created_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored content")
        verbose_name_plural = _("stored contents")

    def __str__(self) -> str:
        return self.sha256


class StoredDocument(models.Model):
    """What every procedure's document row keeps about its content."""

    content_type = models.CharField(pgettext_lazy("of a file", "content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    blob: models.ForeignKey[Any, Any] = models.ForeignKey(
        Blob, verbose_name=_("content"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True
        constraints = [
            # The row points only at the content its recorded (and signed) hash names.
            models.CheckConstraint(
                condition=models.Q(blob__isnull=True) | models.Q(blob=models.F("sha256")),
                name="%(app_label)s_%(class)s_blob_matches_sha256",
            ),
        ]
