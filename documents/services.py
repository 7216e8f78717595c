"""Storing and reading document content. Callers write the record that points at it in the same transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import transaction

from .models import Blob, StoredDocument


class ContentUnavailable(Exception):
    """The content a document records cannot be served."""

    reason = "unavailable"


class ContentMissing(ContentUnavailable):
    reason = "missing"


class ContentCorrupt(ContentUnavailable):
    reason = "corrupt"


def content_sha256(content: bytes | memoryview) -> str:
    return hashlib.sha256(content).hexdigest()


@transaction.atomic
def blob_store(*, upload: Any) -> Blob:
    """Store an upload's content once per distinct content and return its blob (key: the SHA-256).

    The upload is read into memory once (its size is capped by UPLOAD_MAX_BYTES
    before this is called). Two requests storing the same content at once do
    not collide: the second insert waits for the first and then does nothing.
    """
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    blob = Blob(sha256=content_sha256(content), size=len(content), content=content)
    Blob.objects.bulk_create([blob], ignore_conflicts=True)
    return blob


def _as_bytes(value: Any) -> bytes:
    # The driver may hand bytea over as a memoryview; take the bytes under it rather than copy them.
    if isinstance(value, memoryview) and isinstance(value.obj, bytes) and len(value) == len(value.obj):
        return value.obj
    return bytes(value)


def blob_content(*, sha256: str | None) -> bytes:
    """The content stored under ``sha256``, checked against it. Raises ContentMissing or ContentCorrupt."""
    if not sha256:
        raise ContentMissing
    value = Blob.objects.filter(pk=sha256).values_list("content", flat=True).first()
    if value is None:
        raise ContentMissing
    content = _as_bytes(value)
    if content_sha256(content) != sha256:
        raise ContentCorrupt
    return content


@dataclass(frozen=True)
class StorageProblem:
    what: str  # "blob <sha256>" or "<app_label.model> <pk>"
    reason: str  # "corrupt", "missing", "size"

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


def storage_verify(*, progress: Any = None) -> Iterator[StorageProblem]:
    """Check every stored content against its key, and every document row against the content it records.

    Reads one blob at a time, so memory stays at the largest document.
    ``progress(done, total)`` is called after each blob.
    """
    keys = list(Blob.objects.order_by("pk").values_list("pk", flat=True))
    for done, key in enumerate(keys, start=1):
        row = Blob.objects.filter(pk=key).values_list("size", "content").first()
        if row is None:  # deleted while we ran
            continue
        size, value = row
        if content_sha256(value) != key:
            yield StorageProblem(f"blob {key}", "corrupt")
        elif len(value) != size:
            yield StorageProblem(f"blob {key}", "size")
        del row, value
        if progress is not None:
            progress(done, len(keys))
    for model in apps.get_models():
        if not issubclass(model, StoredDocument):
            continue
        label = model._meta.label_lower
        for pk in model._default_manager.filter(blob__isnull=True).order_by("pk").values_list("pk", flat=True):
            yield StorageProblem(f"{label} {pk}", "missing")
