"""How audit times and signatures are written out, the same on screen, in CSV and in PDF.

Times are stored in UTC and shown in the display zone (settings.TIME_ZONE)
with their offset, so that a printed copy is unambiguous on its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from .models import Signature


def display_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_datetime(value: datetime | None) -> str:
    """'2026-11-30 08:41:02 +08:00' in the display zone."""
    if value is None:
        return ""
    local = value.astimezone(display_zone())
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def changes_are_pairs(changes: Any) -> bool:
    """True for the {field: [old, new]} shape that model_changes produces.

    Only when every value is a two-item list: a dict that also holds plain
    values (a snapshot of a new record) is not read as old and new, so that a
    value such as [15, 1] (weeks and days) is never shown as "15 → 1".
    """
    return (
        isinstance(changes, dict)
        and bool(changes)
        and all(isinstance(v, list) and len(v) == 2 for v in changes.values())
    )


def validity_label(valid: bool | None) -> str:
    if valid is None:
        return _("NOT CHECKED (record unavailable)")
    return _("VALID") if valid else _("INVALID: the record changed after signing, or the signature was moved")


def signature_manifestation(signature: Signature) -> str:
    """One line that says who signed, when (with offset) and what the signature means."""
    return _("Signed by %(name)s on %(when)s — %(meaning)s") % {
        "name": signature.printed_name,
        "when": local_datetime(signature.signed_at),
        "meaning": signature.get_meaning_display(),
    }
