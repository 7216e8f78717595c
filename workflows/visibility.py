"""Field visibility: which restricted fields of a case each role may see, as one table per procedure.

A procedure declares its table once (``FieldVisibility({...})``, field -> roles
that may see it) and its pages ask it what to show: ``table.visible(roles)``
gives a ``Visible`` mapping that templates read as ``see.patient_name``. A field
missing from the table is visible to nobody; a role missing from a field's set
does not see it. The roles passed in are the user's roles *on this case*
(permissions.access decides them), not every role the user holds elsewhere.

tests/permissions/test_field_visibility.py walks every page, export and message
each persona can reach and fails when a restricted value appears where the
table says it must not: the table, not the templates, is the source of truth.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class Visible(dict[str, bool]):
    """field -> whether it may be shown; unknown fields read as False (in templates too)."""

    def __missing__(self, key: str) -> bool:
        return False


@dataclass(frozen=True)
class RestrictedField:
    """One restricted field: its code, a label for people, and the roles that may see it."""

    name: str
    label: Any
    roles: frozenset[str]


class FieldVisibility:
    """A procedure's table of restricted fields by roles."""

    def __init__(self, fields: Iterable[RestrictedField]) -> None:
        self.fields: dict[str, RestrictedField] = {field.name: field for field in fields}

    def may_see(self, field: str, roles: Iterable[str]) -> bool:
        spec = self.fields.get(field)
        return spec is not None and bool(spec.roles & set(roles))

    def visible(self, roles: Iterable[str]) -> Visible:
        roles = set(roles)
        return Visible({name: bool(spec.roles & roles) for name, spec in self.fields.items()})

    def as_rows(self, all_roles: Iterable[str]) -> list[tuple[RestrictedField, Mapping[str, bool]]]:
        """The table for documentation and tests: one row per field, one column per role."""
        columns = list(all_roles)
        return [(spec, {role: role in spec.roles for role in columns}) for spec in self.fields.values()]


def redact_changes(events: Iterable[Any], hidden: Iterable[str], *, placeholder: Any) -> list[Any]:
    """Audit events for display, with the values of hidden fields replaced by ``placeholder``.

    Returns copies: the events themselves (checked against the chain already) stay as recorded.
    """
    hidden = set(hidden)
    shown = []
    for event in events:
        changes = getattr(event, "changes", None)
        if isinstance(changes, dict) and hidden & set(changes):
            event = copy.copy(event)
            event.changes = {key: placeholder if key in hidden else value for key, value in changes.items()}
        shown.append(event)
    return shown
