"""Content stored once per SHA-256 and read back only when it still matches it."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Blob
from documents.services import ContentCorrupt, ContentMissing, blob_content, blob_store
from tests.audit.conftest import as_superuser_without_triggers

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.4\n% a scan\n%%EOF\n"


def test_the_same_content_is_stored_once_under_its_sha256() -> None:
    first = blob_store(upload=SimpleUploadedFile("a.pdf", CONTENT))
    second = blob_store(upload=SimpleUploadedFile("b.pdf", CONTENT))
    assert first.sha256 == second.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert list(Blob.objects.values_list("pk", "size")) == [(first.sha256, len(CONTENT))]
    assert blob_content(sha256=first.sha256) == CONTENT


def test_storing_leaves_the_upload_readable_from_the_start() -> None:
    upload = SimpleUploadedFile("a.pdf", CONTENT)
    upload.read(5)
    blob_store(upload=upload)
    assert upload.read() == CONTENT


@pytest.mark.parametrize("sha256", [None, "", "0" * 64])
def test_content_never_stored_is_missing(sha256: str | None) -> None:
    with pytest.raises(ContentMissing):
        blob_content(sha256=sha256)


def test_content_that_no_longer_matches_its_key_is_corrupt() -> None:
    blob = blob_store(upload=SimpleUploadedFile("a.pdf", CONTENT))
    with as_superuser_without_triggers():
        Blob.objects.filter(pk=blob.pk).update(content=CONTENT.replace(b"scan", b"fake"))
    with pytest.raises(ContentCorrupt):
        blob_content(sha256=blob.pk)
