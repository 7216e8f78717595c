from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import template

from audit.actions import action_label, record_label
from audit.display import changes_are_pairs, local_datetime, validity_label

register = template.Library()


@register.filter
def audit_datetime(value: datetime | None) -> str:
    """A UTC time in the display zone with its offset: 2026-11-30 08:41:02 +08:00."""
    return local_datetime(value)


@register.filter
def audit_action(action: str) -> str:
    return action_label(action)


@register.simple_tag
def audit_record(object_type: str, object_id: str) -> str:
    return record_label(object_type, object_id)


@register.filter
def audit_validity(valid: bool | None) -> str:
    return validity_label(valid)


def _shown(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@register.filter
def audit_change_rows(changes: Any) -> list[dict[str, Any]]:
    """{field: [old, new]} as rows for display; any other dict is shown value by value, as it is."""
    if not isinstance(changes, dict):
        return [{"key": "", "pair": False, "value": _shown(changes)}] if changes else []
    rows = []
    pairs = changes_are_pairs(changes)
    for key, value in sorted(changes.items()):
        if pairs:
            rows.append({"key": key, "pair": True, "old": _shown(value[0]), "new": _shown(value[1])})
        else:
            rows.append({"key": key, "pair": False, "value": _shown(value)})
    return rows


@register.filter
def audit_invalid_count(signatures: Any) -> int:
    """How many of the signatures (rows from audit.selectors) failed their check."""
    return sum(1 for s in signatures or [] if getattr(s, "valid", None) is False)
