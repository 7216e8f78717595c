"""What a stored scan may be: PDF, JPEG or PNG, its bytes agreeing with its name and declared type."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SCAN_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
# What a file's name declares.
SCAN_EXTENSIONS = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
# Other spellings of the three types in a Content-Type; a generic type declares nothing, and is not held against a file.
CONTENT_TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "application/x-pdf": "application/pdf"}
UNDECLARED_CONTENT_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
# Bytes that make a browser, or a viewer that sniffs, take the file for a web page: a PDF/HTML polyglot
# passes the magic-byte check, so these are refused anywhere in the leading bytes, whatever the type.
ACTIVE_MARKERS = (
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<svg",
    b"<object",
    b"<embed",
    b"<img",
    b"javascript:",
)
SNIFFED_BYTES = 8192


def _type_label(mime: str) -> str:
    return SCAN_TYPES.get(mime, mime).upper()


def validate_scan(upload: Any) -> str:
    """The scan's real type from its first bytes, which must agree with the type its name and upload declare.

    Refused, each with its own message: over the size limit; content that is not PDF, JPEG or PNG; a name
    without one of their extensions; a name or declared content type that says one type while the bytes are
    another (a PNG renamed .pdf); leading bytes that carry HTML or script (a PDF/HTML polyglot).
    """
    import os

    import filetype
    from django.conf import settings
    from django.template.defaultfilters import filesizeformat

    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)},
            code="size",
        )
    upload.seek(0)
    head = upload.read(SNIFFED_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in SCAN_TYPES:
        raise ValidationError(_("Upload a PDF, JPEG or PNG scan."), code="type")
    actual = str(kind.mime)
    by_name = SCAN_EXTENSIONS.get(os.path.splitext(str(upload.name or ""))[1].lower())
    if by_name is None:
        raise ValidationError(_("The file's name must end in .pdf, .jpg, .jpeg or .png."), code="extension")
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    declared = CONTENT_TYPE_ALIASES.get(declared, declared)
    for claim in (by_name, declared):
        if claim not in UNDECLARED_CONTENT_TYPES and claim != actual:
            raise ValidationError(
                _("This file is declared as %(declared)s but its content is %(actual)s: upload the scan as it is.")
                % {"declared": _type_label(claim), "actual": _type_label(actual)},
                code="mismatch",
            )
    lowered = head.lower()
    if any(marker in lowered for marker in ACTIVE_MARKERS):
        raise ValidationError(
            _("This file carries web-page or script content and cannot be stored as a scan."), code="active"
        )
    return actual
