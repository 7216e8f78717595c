"""Resident ID numbers (GB 11643-1999): 17 digits, a check character, a real birth date."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def resident_id_check_character(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def resident_id_birth_date(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def resident_id_normalise(value: str) -> str:
    return (value or "").strip().upper()


def validate_resident_id(value: str) -> None:
    value = resident_id_normalise(value)
    if not _SHAPE.match(value):
        raise ValidationError(_("A resident ID number has 17 digits followed by a digit or X."), code="shape")
    try:
        born = resident_id_birth_date(value)
    except ValueError:
        raise ValidationError(_("The birth date inside this resident ID number does not exist."), code="date") from None
    if born > timezone.localdate() or born.year < 1900:
        raise ValidationError(_("The birth date inside this resident ID number is not plausible."), code="date")
    if resident_id_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("The check digit of this resident ID number is wrong: please check every digit."), code="check"
        )


def resident_id_compose(*, region: str, born: str, serial: int) -> str:
    """A valid number from its parts (6-digit region, YYYYMMDD birth date, 3-digit serial): for demo and test data."""
    first17 = f"{region}{born}{serial % 1000:03d}"
    return first17 + resident_id_check_character(first17)


def resident_id_mask(value: str) -> str:
    """3401**********1234: enough to tell two cases apart in a list, not enough to identify anyone."""
    value = resident_id_normalise(value)
    return f"{value[:4]}{'*' * 10}{value[-4:]}"


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
