from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from audit.actions import action_label, record_label, step_label
from audit.display import change_rows, local_datetime, validity_label

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


@register.simple_tag
def audit_change_rows(changes: Any, object_type: str = "") -> list[dict[str, Any]]:
    """{field: [old, new]} as labelled rows for display; any other dict is shown value by value."""
    return change_rows(changes, object_type)


@register.filter
def audit_step(signature: Any) -> str:
    """The title of the step a signature was given at."""
    return step_label(signature.object_type, signature.step) if signature.step else ""


@register.filter
def audit_invalid_count(signatures: Any) -> int:
    """How many of the signatures (rows from audit.selectors) failed their check."""
    return sum(1 for s in signatures or [] if getattr(s, "valid", None) is False)
