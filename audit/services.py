"""The one way to write the audit trail and to sign a record.

Every service that changes regulated state calls ``audit_record`` inside its
own transaction, so the event commits or rolls back with the change.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .canonical import AUDIT_DOMAIN, GENESIS_HASH, SIGNATURE_DOMAIN, canonical_json, normalise, sha256_hex
from .models import AuditEvent, Signature

# Any constant works; it names the one advisory lock that orders appends.
_AUDIT_LOCK_KEY = 0x52454746  # "REGF"


def object_ref(obj: models.Model) -> tuple[str, str]:
    """('app_label.model', 'pk') for a model instance, proxy models included."""
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}", str(obj.pk)


def printed_name_of(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.printed_name:
        return profile.printed_name
    return user.get_full_name() or user.get_username()


def client_address_of(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def event_hash(*, prev_hash: str, payload: dict[str, Any]) -> str:
    return sha256_hex(AUDIT_DOMAIN, prev_hash, canonical_json(payload))


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The content an event's hash covers: every column but the hashes and the row id."""
    return {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": event.changes,
        "reason": event.reason,
        "request_id": event.request_id,
        "client_address": event.client_address,
    }


def _lock_chain_head() -> None:
    """Serialise appends so that sequence numbers and prev_hash never fork.

    PostgreSQL: a transaction-scoped advisory lock, released at commit or
    rollback. SQLite: write transactions already run one at a time (IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_LOCK_KEY])


@transaction.atomic
def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the chain. The time is always the server's."""
    if obj is not None:
        object_type, object_id = object_ref(obj)
    _lock_chain_head()
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        sequence=sequence,
        occurred_at=timezone.now(),
        actor_id=actor.pk if authenticated else None,  # type: ignore[union-attr]
        actor_name=printed_name_of(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=normalise(changes or {}),
        reason=reason,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        client_address=client_address_of(request),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(prev_hash=prev_hash, payload=event_payload(event))
    event.save(force_insert=True)
    return event


def model_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs."""
    return {
        key: [normalise(before.get(key)), normalise(after.get(key))]
        for key in sorted(set(before) | set(after))
        if normalise(before.get(key)) != normalise(after.get(key))
    }


# --- Electronic signatures ---------------------------------------------------


def signature_password_check(
    *, request: HttpRequest, user: Any, password: str, obj: models.Model | None = None
) -> bool:
    """Re-authenticate a signer. A wrong password is audited and counts toward login throttling.

    Goes through django.contrib.auth.authenticate so that django-axes sees the
    failure exactly as it sees a failed login. Call it from form validation, not
    from inside a transaction that a refusal would roll back.
    """
    authenticated = authenticate(request, username=user.get_username(), password=password)
    if authenticated is not None and authenticated.pk == user.pk:
        return True
    audit_record(actor=user, action="signature.password_refused", obj=obj, request=request)
    return False


def signature_content_hash(
    *,
    object_type: str,
    object_id: str,
    signer_id: int,
    printed_name: str,
    signed_at: Any,
    meaning: str,
    step: str,
    reason: str,
    content: dict[str, Any],
) -> str:
    """Bind who, when, what it means and for which record to the record's content."""
    manifest = {
        "object_type": object_type,
        "object_id": object_id,
        "signer_id": signer_id,
        "printed_name": printed_name,
        "signed_at": signed_at,
        "meaning": meaning,
        "step": step,
        "reason": reason,
    }
    return sha256_hex(SIGNATURE_DOMAIN, canonical_json(manifest), canonical_json(content))


@transaction.atomic
def signature_sign(
    *,
    signer: Any,
    meaning: str,
    obj: models.Model,
    content: dict[str, Any],
    step: str = "",
    reason: str = "",
    request: HttpRequest | None = None,
) -> Signature:
    """Record a signature over ``content`` (the canonical content of ``obj`` now) and audit it.

    The caller has already re-checked the password with signature_password_check.
    """
    object_type, object_id = object_ref(obj)
    signature = Signature(
        signer=signer,
        printed_name=printed_name_of(signer),
        signed_at=timezone.now(),
        meaning=meaning,
        object_type=object_type,
        object_id=object_id,
        step=step,
        reason=reason,
    )
    signature.content_hash = _hash_for(signature, content)
    signature.save(force_insert=True)
    audit_record(
        actor=signer,
        action=f"signature.{meaning}",
        obj=obj,
        changes={"signature_id": signature.pk, "content_hash": signature.content_hash, "step": step},
        reason=reason,
        request=request,
    )
    return signature


def _hash_for(signature: Signature, content: dict[str, Any]) -> str:
    return signature_content_hash(
        object_type=signature.object_type,
        object_id=signature.object_id,
        signer_id=signature.signer_id,
        printed_name=signature.printed_name,
        signed_at=signature.signed_at,
        meaning=signature.meaning,
        step=signature.step,
        reason=signature.reason,
        content=content,
    )


def signature_is_valid(*, signature: Signature, obj: models.Model, content: dict[str, Any]) -> bool:
    """True only if the signature was made over this very record with this very content."""
    object_type, object_id = object_ref(obj)
    if (signature.object_type, signature.object_id) != (object_type, object_id):
        return False
    return signature.content_hash == _hash_for(signature, content)
