"""A scan's declared type must be its real type, and a scan carries no web page (issue #9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from documents.validators import validate_scan
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import TerminationCase, TerminationDocument

from .conftest import PDF, PNG, request_data, scan

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64
POLYGLOT = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n" + PDF[9:]
SCRIPT_IN_COMMENT = b"%PDF-1.4\n% <SCRIPT src=//evil.example/x.js></SCRIPT>\n" + PDF[9:]

REFUSED = {
    "png_renamed_pdf": (("scan.pdf", PNG, "application/pdf"), "declared as PDF but its content is PNG"),
    "png_declared_pdf": (("scan.png", PNG, "application/pdf"), "declared as PDF but its content is PNG"),
    "pdf_renamed_png": (("scan.png", PDF, "image/png"), "declared as PNG but its content is PDF"),
    "jpeg_renamed_png": (("photo.png", JPEG, "application/octet-stream"), "declared as PNG but its content is JPG"),
    "pdf_html_polyglot": (("scan.pdf", POLYGLOT, "application/pdf"), "web-page or script content"),
    "script_in_a_pdf_comment": (("scan.pdf", SCRIPT_IN_COMMENT, "application/pdf"), "web-page or script content"),
    "no_extension": (("scan", PDF, "application/pdf"), "must end in .pdf, .jpg, .jpeg or .png"),
    "html_named_pdf": (("scan.pdf", b"<!DOCTYPE html><html>%PDF-1.4</html>", "application/pdf"), "Upload a PDF"),
}

ACCEPTED = {
    "pdf": (("scan.pdf", PDF, "application/pdf"), "application/pdf"),
    "png_generic_type": (("scan.PNG", PNG, "application/octet-stream"), "image/png"),
    "jpeg_alias_type": (("photo.jpeg", JPEG, "image/jpg"), "image/jpeg"),
    "jpg": (("photo.jpg", JPEG, "image/jpeg; charset=binary"), "image/jpeg"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_scan_whose_declared_type_is_not_its_content_is_refused(case: str) -> None:
    (name, content, content_type), message = REFUSED[case]
    with pytest.raises(ValidationError) as refused:
        validate_scan(scan(name=name, content=content, content_type=content_type))
    assert message in " ".join(refused.value.messages)


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_a_scan_whose_declared_type_is_its_content_is_accepted(case: str) -> None:
    (name, content, content_type), mime = ACCEPTED[case]
    assert validate_scan(scan(name=name, content=content, content_type=content_type)) == mime


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_scan_saves_nothing(driver: Any, world: Any, case: str) -> None:
    (name, content, content_type), message = REFUSED[case]
    data = request_data(world)
    data["documents-1-file"] = scan(name=name, content=content, content_type=content_type)
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TerminationCase.objects.exists() and not TerminationDocument.objects.exists()


def test_the_refusals_are_translated(driver: Any, world: Any) -> None:
    data = request_data(world)
    data["documents-1-file"] = scan(name="scan.pdf", content=PNG, content_type="application/pdf")
    client = driver.client(world.clerk)
    with translation.override("en"):  # LocaleMiddleware leaves the request's language active on this thread
        response = client.post(F.submit.reverse("execute"), data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "此文件声明为 PDF，但其内容是 PNG" in response.content.decode()
