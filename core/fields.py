"""Field-level encryption for patient identifiers.

A database dump alone must not expose a resident ID, so the value is stored
as a Fernet token (AES-128-CBC + HMAC-SHA256, from the ``cryptography``
package). Keys come from settings.FIELD_ENCRYPTION_KEYS: the first key
encrypts, every key decrypts, so a new key is put first and the old one kept
until ``manage.py rotate_field_keys`` has re-encrypted every value under it.
Equality lookups on an encrypted column are impossible by design; compare a
keyed hash (``identifier_digest``) instead.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _cipher() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS: at least one key is required")
    return _cipher_for(tuple(keys))


@functools.lru_cache(maxsize=4)
def _cipher_for(keys: tuple[str, ...]) -> MultiFernet:
    """One MultiFernet per key list (not one per value decrypted); a changed setting makes a new one."""
    return MultiFernet([Fernet(key) for key in keys])


def ciphertext_rotate(token: str) -> str:
    """The same value encrypted again under the first key (raises InvalidToken if no key reads it)."""
    return _cipher().rotate(token.encode()).decode()


def identifier_digest(value: str) -> str:
    """A keyed hash (HMAC-SHA256) so that a re-entered identifier can be compared without decrypting."""
    key = settings.FIELD_HASH_KEY.encode()
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stores text encrypted; reads it back decrypted. Not searchable, not orderable."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return _cipher().encrypt(str(value).encode()).decode()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            return _cipher().decrypt(value.encode()).decode()
        except InvalidToken:
            # A key was removed from FIELD_ENCRYPTION_KEYS, or the row was edited
            # outside the application: never show ciphertext as if it were data.
            return ""


def encrypted_fields(model: Any, *, prefix: str = "") -> list[str]:
    """The names of ``model``'s encrypted fields (``prefix`` before each: a path through ``select_related``), for
    ``defer()``: a list that shows none of them neither reads nor decrypts them."""
    return [prefix + field.name for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]
