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

from .actions import field_label, value_label
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


def change_rows(changes: Any, object_type: str = "") -> list[dict[str, Any]]:
    """An event's changes as rows of labels: the field's name and its old and new values (or its value).

    Keys and values go through the labels of the record's kind (audit.actions), so that people read
    'pathway: Medical, fetal: serious defect', not 'pathway: fetal_defect'.
    """
    if not isinstance(changes, dict):
        return [{"key": "", "pair": False, "value": value_label(object_type, "", changes)}] if changes else []
    rows = []
    pairs = changes_are_pairs(changes)
    for key, value in changes.items():
        label = field_label(object_type, key)
        if pairs:
            old, new = (value_label(object_type, key, v) for v in value)
            rows.append({"key": label, "pair": True, "old": old, "new": new})
        else:
            rows.append({"key": label, "pair": False, "value": value_label(object_type, key, value)})
    return sorted(rows, key=lambda row: row["key"])


def changes_text(changes: Any, object_type: str = "") -> str:
    """The same rows as text, one per line, for the CSV and PDF copies."""
    lines = []
    for row in change_rows(changes, object_type):
        shown = f"{row['old']} → {row['new']}" if row["pair"] else row["value"]
        lines.append(f"{row['key']}: {shown}" if row["key"] else shown)
    return "\n".join(lines)


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
