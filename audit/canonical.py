"""Canonical serialisation for hashing.

Hashes must not depend on dict order, float formatting or time zones, so
everything is reduced to JSON with sorted keys, no whitespace, UTF-8, and
times as UTC ISO 8601 with microseconds. Each use prefixes its own domain tag
so that an audit hash can never be replayed as a signature hash.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

AUDIT_DOMAIN = b"regflow.audit.v1\x00"
SIGNATURE_DOMAIN = b"regflow.signature.v1\x00"
SEAL_DOMAIN = b"regflow.audit.seal.v1\x00"
SEAL_KEY_ID_DOMAIN = b"regflow.audit.seal-key-id.v1\x00"
GENESIS_HASH = "0" * 64


def normalise(value: Any) -> Any:
    """Reduce a value to plain JSON types, the same way every time."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes cannot be hashed")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [normalise(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, str):
        # PostgreSQL cannot store NUL in text or jsonb; a stray one must not turn an audit write into a 500.
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float):
        # jsonb rewrites some floats (1e20 comes back as an integer), which would change the hash after a
        # round trip; the shortest repr as a string does not move.
        return repr(value)
    if value is None or isinstance(value, (bool, int)):
        return value
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(domain: bytes, *parts: str) -> str:
    digest = hashlib.sha256(domain)
    for part in parts:
        encoded = part.encode("utf-8")
        # Length-prefix each part so that ("ab", "c") and ("a", "bc") differ.
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()
