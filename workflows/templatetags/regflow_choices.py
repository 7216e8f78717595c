"""``{{ obj|choice_label:"field" }}``: a choice's label, as ``get_FOO_display`` gives it, from a table built once.

Django's ``get_FOO_display`` hashes every lazy label of the field's choices on each call (make_hashable over
``flatchoices``), which translates them all: on a list of fifty rows with two such columns that is some
eight hundred translations per page. Here each (model, field, language) table is built once per process.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()

_labels: dict[tuple[str, str, str | None], dict[Any, str]] = {}


@register.filter
def choice_label(obj: Any, field_name: str) -> Any:
    value = getattr(obj, field_name)
    key = (obj._meta.label, field_name, get_language())
    labels = _labels.get(key)
    if labels is None:
        labels = _labels[key] = {choice: str(label) for choice, label in obj._meta.get_field(field_name).flatchoices}
    return labels.get(value, value)
