"""Audit PDFs embed their font, so that a copy reads the same in any reader, years later."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from audit import exports
from audit.services import audit_record
from tests.conftest import World

pytestmark = pytest.mark.django_db

# The embedding tests need the font file; CI installs it and refuses to skip them.
needs_font = pytest.mark.fonts


def fonts_of(reader: PdfReader) -> list[dict[str, Any]]:
    """Every font the pages use, with the descriptor of its glyphs (a Type0 font's is on its descendant)."""
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            glyphs = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = glyphs.get("/FontDescriptor")
            found.append({"name": str(font["/BaseFont"]), "descriptor": descriptor.get_object() if descriptor else {}})
    return found


@needs_font
def test_every_font_of_the_trail_pdf_is_embedded_and_the_chinese_extracts(
    world: World, login: Any, signable: Any
) -> None:
    world.officer.profile.printed_name = "阿依古丽·买买提"
    world.officer.profile.save()
    audit_record(actor=world.officer, action="facility.amend", obj=world.hospital_a, reason="核对材料原件")
    client = login(world.inspector)
    client.cookies["django_language"] = "zh-hans"
    url = reverse("audit:trail_pdf", args=["permissions.facility", world.hospital_a.pk])
    reader = PdfReader(io.BytesIO(client.get(url).content))
    fonts = fonts_of(reader)
    assert fonts
    for font in fonts:
        assert {"/FontFile2", "/FontFile3"} & set(font["descriptor"]), f"{font['name']} is not embedded"
        assert re.fullmatch(r"/[A-Z]{6}\+.+", font["name"]), f"{font['name']} is not a subset"
    text = "".join(page.extract_text() for page in reader.pages)
    assert "阿依古丽·买买提" in text and "核对材料原件" in text and "审计追踪" in text


@needs_font
def test_the_search_pdf_embeds_its_fonts_too(world: World, login: Any) -> None:
    reader = PdfReader(io.BytesIO(login(world.inspector).get(reverse("audit:search_pdf")).content))
    assert all({"/FontFile2", "/FontFile3"} & set(font["descriptor"]) for font in fonts_of(reader))


def test_a_missing_font_falls_back_to_the_built_in_one_and_says_so(
    settings: Any, tmp_path: Any, monkeypatch: Any, caplog: Any
) -> None:
    settings.AUDIT_PDF_FONT = tmp_path / "missing.ttc"
    registered = {k: v for k, v in pdfmetrics._fonts.items() if k not in {exports.FONT, exports.FALLBACK_FONT}}
    monkeypatch.setattr(pdfmetrics, "_fonts", registered)
    with caplog.at_level("WARNING", logger="audit.exports"):
        assert exports._register_font() == exports.FALLBACK_FONT
    assert "fonts-wqy-microhei" in caplog.text


def test_a_font_that_is_not_truetype_fails_with_a_clear_error(settings: Any, tmp_path: Any, monkeypatch: Any) -> None:
    not_a_font = tmp_path / "broken.ttc"
    not_a_font.write_bytes(b"not a font")
    settings.AUDIT_PDF_FONT = not_a_font
    registered = {k: v for k, v in pdfmetrics._fonts.items() if k not in {exports.FONT, exports.FALLBACK_FONT}}
    monkeypatch.setattr(pdfmetrics, "_fonts", registered)
    with pytest.raises(ImproperlyConfigured, match="fonts-wqy-microhei"):
        exports._register_font()
