"""People named by more than one procedure, matched by the keyed hash of their resident ID (docs/kit.md).

A procedure that files people (a device's operators, a retired practitioner)
registers two things here from its AppConfig.ready():

- ``lookup(digests) -> list[PersonRecord]``: its live records of those people;
- ``on_filed(record)`` (optional): what it does when another procedure files
  someone (the retired-practitioner registry flags a match to its officer).

Then, whenever it files a person, it calls ``person_filed(record)``: every
other procedure's ``on_filed`` runs, in the caller's transaction. To look the
other way (someone filed before), it calls ``person_records(digests,
exclude=<its code>)``. Matching uses only the digest (an HMAC of the
normalised resident ID): nobody decrypts identifiers in bulk, and no procedure
imports another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction

from core.fields import identifier_digest
from core.validators import resident_id_mask, resident_id_normalise


@dataclass(frozen=True)
class PersonRecord:
    """One procedure's live record of a person: what another procedure may know of it (no name, no ID)."""

    procedure: str  # the registering procedure's code
    kind: str  # what the person is there, e.g. "operator", "retired_practitioner"
    digest: str  # identifier_digest of the resident ID
    county_id: int
    facility_id: int | None
    object_type: str  # the audit trail's name of the record ("app_label.model")
    object_id: int
    details: dict[str, object] = field(default_factory=dict, compare=False)


Lookup = Callable[[Iterable[str]], list[PersonRecord]]
OnFiled = Callable[[PersonRecord], None]

_LOOKUPS: dict[str, Lookup] = {}
_LISTENERS: dict[str, OnFiled] = {}


def person_index_register(*, procedure: str, lookup: Lookup, on_filed: OnFiled | None = None) -> None:
    """Declare the people a procedure files (from its AppConfig.ready()). Registering again replaces."""
    _LOOKUPS[procedure] = lookup
    if on_filed is not None:
        _LISTENERS[procedure] = on_filed
    else:
        _LISTENERS.pop(procedure, None)


def person_records(digests: Iterable[str], *, exclude: str = "") -> list[PersonRecord]:
    """Every live record, in every procedure but ``exclude``, of the people with these digests."""
    wanted = sorted({d for d in digests if d})
    if not wanted:
        return []
    found: list[PersonRecord] = []
    for code, lookup in _LOOKUPS.items():
        if code != exclude:
            found.extend(lookup(wanted))
    return found


def person_filed(record: PersonRecord) -> None:
    """A procedure filed ``record``: every other procedure that listens hears it, in this transaction."""
    assert transaction.get_connection().in_atomic_block, "person_filed runs inside the filing's transaction"
    for code, on_filed in _LISTENERS.items():
        if code != record.procedure:
            on_filed(record)


def resident_id_fields(value: str) -> dict[str, str]:
    """A person's resident ID as a record keeps it: the number (an encrypted field), its keyed hash (to match and
    to check it again) and its masked form (for lists)."""
    number = resident_id_normalise(value)
    return {
        "resident_id": number,
        "resident_id_digest": identifier_digest(number),
        "resident_id_masked": resident_id_mask(number),
    }
