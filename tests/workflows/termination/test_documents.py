"""Scans live in the database with the case: stored once, served only when they match the hash the case signs."""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from documents.models import Blob
from tests.audit.conftest import as_superuser_without_triggers
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import TerminationDocument

from .conftest import PDF, request_data

pytestmark = pytest.mark.django_db

OTHER_PDF = b"%PDF-1.4\n% another scan\n%%EOF\n"


def download_url(document: TerminationDocument) -> str:
    return F.instance.reverse("document", args=[document.case_id, document.pk])


def case_url(case_pk: int) -> str:
    return F.instance.reverse("process_detail", args=[case_pk])


def on_disk(settings: Any, directory: Path) -> None:
    """Give Django's file storage a directory, as older versions did for scans."""
    settings.UPLOADS_DIR = settings.MEDIA_ROOT = directory
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": directory}},
    }


def test_a_scan_is_kept_in_the_database_not_on_the_web_host(driver: Any, world: Any, settings: Any, tmp_path) -> None:
    on_disk(settings, tmp_path / "uploads")
    case = driver.submit(pathway="divorced")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    shutil.rmtree(tmp_path / "uploads", ignore_errors=True)  # another web host, or a restore without the disk
    for document in case.documents.all():
        response = driver.client(world.officer).get(download_url(document))
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == document.sha256 == document.blob_id
        assert response.content == PDF


def test_the_case_page_links_each_scan_to_its_download(driver: Any, world: Any) -> None:
    """The kit gives every document its download address (cases.selectors.case_page_context), reversed, not pasted."""
    case = driver.submit(pathway="divorced")
    body = driver.client(world.officer).get(case_url(case.pk)).content.decode()
    documents = list(case.documents.order_by("pk"))
    assert documents
    for document in documents:
        assert f'href="{download_url(document)}"' in body
    assert 'href=""' not in body


def test_identical_scans_are_stored_once(driver: Any, world: Any) -> None:
    first = driver.submit(pathway="divorced")  # two documents, same bytes
    second = driver.submit(pathway="widowed")
    digest = hashlib.sha256(PDF).hexdigest()
    assert TerminationDocument.objects.filter(case__in=[first, second], blob_id=digest).count() == 4
    assert list(Blob.objects.values_list("pk", "size")) == [(digest, len(PDF))]


def test_a_refused_request_leaves_no_stored_content(driver: Any, world: Any) -> None:
    data = request_data(world, gestational_weeks="8")  # below the county threshold: the service refuses
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    assert response.status_code == 200
    assert not Blob.objects.exists()
    assert not TerminationDocument.objects.exists()


def test_a_failure_after_the_scans_are_stored_rolls_them_back(driver: Any, world: Any, monkeypatch) -> None:
    from workflows.termination import services

    def broken_audit(**kwargs: Any) -> None:
        raise RuntimeError("audit write failed")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        driver.client(world.clerk).post(F.submit.reverse("execute"), request_data(world))
    assert not Blob.objects.exists()


def test_a_swapped_scan_makes_the_signatures_invalid(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    page = driver.client(world.officer).get(case_url(case.pk)).content.decode()
    assert "INVALID" not in page

    document = case.documents.order_by("pk").last()
    other = Blob.objects.create(sha256=hashlib.sha256(OTHER_PDF).hexdigest(), size=len(OTHER_PDF), content=OTHER_PDF)
    TerminationDocument.objects.filter(pk=document.pk).update(sha256=other.pk, blob=other)

    page = driver.client(world.officer).get(case_url(case.pk)).content.decode()
    assert "INVALID signatures below" in page
    response = driver.client(world.officer).get(download_url(document))
    assert response.status_code == 200 and response.content == OTHER_PDF  # served, but the signature says INVALID


def test_a_document_row_cannot_point_at_content_other_than_its_recorded_hash(driver: Any, world: Any) -> None:
    from django.db import IntegrityError, transaction

    case = driver.submit(pathway="divorced")
    other = Blob.objects.create(sha256=hashlib.sha256(OTHER_PDF).hexdigest(), size=len(OTHER_PDF), content=OTHER_PDF)
    with pytest.raises(IntegrityError), transaction.atomic():
        TerminationDocument.objects.filter(case=case).update(blob=other)


def test_a_missing_scan_is_our_page_with_the_case_link_and_a_logged_error(driver: Any, world: Any, caplog) -> None:
    case = driver.submit(pathway="divorced")
    document = case.documents.first()
    TerminationDocument.objects.filter(pk=document.pk).update(blob=None)  # lost before it reached the database
    with caplog.at_level(logging.ERROR, logger="documents.views"):
        response = driver.client(world.officer).get(download_url(document))
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-reason="missing"' in page and document.sha256 in page
    assert f'href="{case_url(case.pk)}"' in page
    assert "Content-Disposition" not in response
    assert [r.getMessage() for r in caplog.records] == [
        f"document content missing: termination.terminationdocument {document.pk} (recorded sha256 {document.sha256})"
    ]


def test_a_corrupt_scan_is_refused_in_chinese_too(driver: Any, world: Any, caplog) -> None:
    case = driver.submit(pathway="divorced")
    document = case.documents.first()
    with as_superuser_without_triggers():
        Blob.objects.filter(pk=document.blob_id).update(content=b"%PDF-1.4 altered in place")
    client = driver.client(world.officer)
    client.cookies["django_language"] = "zh-hans"
    with caplog.at_level(logging.ERROR, logger="documents.views"):
        response = client.get(download_url(document))
    assert response.status_code == 410
    page = response.content.decode()
    assert 'data-reason="corrupt"' in page
    assert "无法显示此材料" in page and "返回案卷" in page
    assert b"altered in place" not in response.content
    assert "document content corrupt" in caplog.text


def test_verify_storage_passes_a_clean_store_and_names_every_bad_one(driver: Any, world: Any) -> None:
    import io

    case = driver.submit(pathway="divorced")
    out = io.StringIO()
    call_command("verify_storage", stdout=out, stderr=io.StringIO())
    assert "Storage intact: 1 stored contents checked" in out.getvalue()

    first, second = case.documents.order_by("pk")
    other = Blob.objects.create(sha256=hashlib.sha256(OTHER_PDF).hexdigest(), size=len(OTHER_PDF), content=OTHER_PDF)
    TerminationDocument.objects.filter(pk=second.pk).update(sha256=other.pk, blob=other)
    with as_superuser_without_triggers():
        Blob.objects.filter(pk=first.blob_id).update(content=b"bit rot")
    TerminationDocument.objects.filter(pk=second.pk).update(blob=None)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_storage", stdout=out, stderr=err)
    assert failure.value.returncode == 1
    assert f"blob {first.blob_id}: corrupt" in out.getvalue()
    assert f"termination.terminationdocument {second.pk}: missing" in out.getvalue()
    assert f"blob {other.pk}" not in out.getvalue()
    assert "verified 2 / 2 stored contents (100%)" in err.getvalue()


@pytest.mark.postgres
def test_stored_content_cannot_be_updated_on_postgresql(driver: Any, world: Any) -> None:
    from django.db import DatabaseError, transaction

    case = driver.submit(pathway="divorced")
    digest = case.documents.first().blob_id
    with pytest.raises(DatabaseError, match="stored content never changes"), transaction.atomic():
        Blob.objects.filter(pk=digest).update(content=b"%PDF-1.4 altered in place")
    assert bytes(Blob.objects.get(pk=digest).content) == PDF


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_requests_with_the_same_scan_at_once_both_succeed_and_share_it(
    driver: Any, world: Any, attempt: int
) -> None:
    from .test_concurrency import race

    clients = [driver.client(world.clerk) for _ in range(2)]
    codes = race([lambda c=c: c.post(F.submit.reverse("execute"), request_data(world)) for c in clients])
    assert codes == [302, 302]
    assert TerminationDocument.objects.count() == 4
    assert list(Blob.objects.values_list("pk", flat=True)) == [hashlib.sha256(PDF).hexdigest()]
