"""The one way to write the audit trail and to sign a record.

Every service that changes regulated state calls ``audit_record`` inside its
own transaction, so the event commits or rolls back with the change.

Rules enforced here, for every caller:

- the time is the server's (``timezone.now()`` taken under the chain lock);
  nothing a client sends can set it;
- an action whose verb (the part after the last dot) is one of
  ``REASON_REQUIRED_VERBS`` needs a reason, and so does a signature whose
  meaning is one of ``REASON_REQUIRED_MEANINGS``; otherwise ValidationError;
- ``changes`` is ``{field: [old, new]}`` for a change (``model_changes``
  builds it); a dict that mixes in plain values (a snapshot of a new record) is
  shown value by value, never as old → new;
- the event records the object's jurisdiction (county, facility), taken from
  ``obj.audit_scope()`` when the object has it, so that inspectors can search
  by jurisdiction without knowing each procedure's models.

Lock order: ``audit_record`` takes the chain lock and holds it until the
caller's transaction ends. Call it after the row locks your service needs
(as the last write of the service), never before them, or two services can
wait on each other.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.transaction import TransactionManagementError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .actions import reason_required_meanings, signature_meanings
from .canonical import (
    AUDIT_DOMAIN,
    GENESIS_HASH,
    SEAL_DOMAIN,
    SEAL_KEY_ID_DOMAIN,
    SIGNATURE_DOMAIN,
    canonical_json,
    normalise,
    sha256_hex,
)
from .models import AuditEvent, Signature

# Any constant works; it names the one advisory lock that orders appends.
_AUDIT_LOCK_KEY = 0x52454746  # "REGF"

# Changes to data already submitted, withdrawals and cancellations must say why.
REASON_REQUIRED_VERBS = frozenset({"amend", "correct", "withdraw", "cancel", "revoke", "reopen", "void"})

Scope = tuple[int | None, int | None]


def object_ref(obj: models.Model) -> tuple[str, str]:
    """('app_label.model', 'pk') for a model instance, proxy models included."""
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}", str(obj.pk)


def scope_of(obj: models.Model | None) -> Scope:
    """(county_id, facility_id) an event about ``obj`` belongs to, or (None, None).

    Procedure models say it themselves through ``audit_scope()``. The reference
    data that permissions/services audits (facilities, counties, their
    configuration, role assignments) is recognised by shape, so that the audit
    app does not need to import it.
    """
    if obj is None:
        return None, None
    audit_scope = getattr(obj, "audit_scope", None)
    if callable(audit_scope):
        county_id, facility_id = audit_scope()
        return county_id, facility_id
    label = f"{obj._meta.app_label}.{obj._meta.model_name}"
    if label == "permissions.facility":
        return getattr(obj, "county_id", None), obj.pk
    if label == "permissions.jurisdiction":
        return (obj.pk, None) if getattr(obj, "level", "") == "county" else (None, None)
    facility = getattr(obj, "facility", None) if hasattr(obj, "facility_id") else None
    if facility is not None:
        return facility.county_id, facility.pk
    county_id = getattr(obj, "county_id", None)
    if county_id is not None:
        return county_id, None
    jurisdiction = getattr(obj, "jurisdiction", None) if hasattr(obj, "jurisdiction_id") else None
    if jurisdiction is not None and getattr(jurisdiction, "level", "") == "county":
        return jurisdiction.pk, None
    return None, None


def printed_name_of(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.printed_name:
        return str(profile.printed_name)
    return str(user.get_full_name() or user.get_username())


def _parse_address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:  # "[2001:db8::1]:443", as some proxies write it
        raw = raw[1 : raw.index("]")]
    elif raw.count(":") == 1:  # "203.0.113.9:51234"
        raw = raw.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address_of(request: HttpRequest | None) -> str | None:
    """The client's address, as our own proxies saw it; the one function for the trail and for login throttling.

    With ``PROXY_COUNT`` = N trusted proxies in front of daphne, each proxy
    appends the address it received the connection from to X-Forwarded-For, so
    the client is the N-th entry counted from the RIGHT; everything to its left
    was written by the client and may be anything. N = 0 means daphne faces the
    clients and REMOTE_ADDR is the client. A header shorter than N entries, or
    an entry our proxy wrote that is not an address, means the request did not
    come the configured way: the nearest peer (REMOTE_ADDR) is used, never a
    value the client chose. (django-axes calls this through AXES_CLIENT_IP_CALLABLE.)

    Not django-ipware: by default it reads a list of headers (X-Real-IP, Client-IP, ...) that
    a client can send past a proxy which does not strip them, and counts proxies from the
    left; the rule here is one header, counted from the right, in a dozen lines.

    The result is hashed into the trail, so it is given in the one spelling
    PostgreSQL's inet gives back: IPv4-mapped IPv6 addresses are unpacked, IPv6
    is compressed and lowercase. Nothing usable gives None.
    """
    if request is None:
        return None
    address = None
    proxies = settings.PROXY_COUNT
    if proxies > 0:
        # Django joins repeated headers with commas, so a second header cannot hide from this.
        entries = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
        if len(entries) >= proxies:
            address = _parse_address(entries[-proxies])
    if address is None:
        address = _parse_address(request.META.get("REMOTE_ADDR") or "")
    return None if address is None else str(address)


def request_id_of(request: HttpRequest | None) -> str:
    return str(getattr(request, "request_id", "") or "")[:64] if request is not None else ""


def event_hash(*, prev_hash: str, payload: dict[str, Any]) -> str:
    return sha256_hex(AUDIT_DOMAIN, prev_hash, canonical_json(payload))


def seal_key_id(key: str) -> str:
    """A short public name for a seal key (a hash of it), stored with each seal: which key to verify with."""
    return hashlib.sha256(SEAL_KEY_ID_DOMAIN + key.encode("utf-8")).hexdigest()[:16]


def seal_keys() -> dict[str, bytes]:
    """Every configured seal key by its id, the sealing (first) key first."""
    return {seal_key_id(key): key.encode("utf-8") for key in settings.AUDIT_CHAIN_KEYS}


def event_seal(*, hash: str, key: bytes) -> str:
    """The HMAC-SHA256 of an event's hash. The hash covers the event and the previous hash, so a seal
    vouches for the whole chain up to its event; only the key's holder can seal a rewritten one."""
    return hmac.new(key, SEAL_DOMAIN + hash.encode("ascii"), hashlib.sha256).hexdigest()


def event_seal_now(*, hash: str) -> tuple[str, str]:
    """(key id, seal) under the current sealing key."""
    key = settings.AUDIT_CHAIN_KEYS[0]
    return seal_key_id(key), event_seal(hash=hash, key=key.encode("utf-8"))


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
        "county_id": event.county_id,
        "facility_id": event.facility_id,
        "changes": event.changes,
        "reason": event.reason,
        "request_id": event.request_id,
        "client_address": event.client_address,
    }


def audit_chain_lock() -> None:
    """Serialise appends so that sequence numbers and prev_hash never fork.

    PostgreSQL: a transaction-scoped advisory lock, released at commit or
    rollback; the head is read after it is granted, so it is the committed
    head. SQLite: write transactions already run one at a time (IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_LOCK_KEY])


def _reason_required(action: str) -> bool:
    return action.rsplit(".", 1)[-1] in REASON_REQUIRED_VERBS


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
    scope: Scope | None = None,
) -> AuditEvent:
    """Append one event to the chain. The time is always the server's.

    ``scope`` overrides the (county_id, facility_id) otherwise taken from ``obj``.
    """
    if not action or len(action) > 64:
        raise ValueError(f"audit action must be 1-64 characters, got {action!r}")
    reason = normalise(reason or "").strip()
    if _reason_required(action) and not reason:
        raise ValidationError(_("A reason is required."), code="reason_required")
    if obj is not None:
        object_type, object_id = object_ref(obj)
    county_id, facility_id = scope if scope is not None else scope_of(obj)
    audit_chain_lock()
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        sequence=sequence,
        occurred_at=timezone.now(),
        actor_id=actor.pk if authenticated else None,  # type: ignore[union-attr]
        actor_name=normalise(printed_name_of(actor))[:150],
        action=action,
        object_type=normalise(object_type)[:100],
        object_id=normalise(str(object_id))[:64],
        county_id=county_id,
        facility_id=facility_id,
        changes=normalise(changes or {}),
        reason=reason,
        request_id=request_id_of(request),
        client_address=client_address_of(request),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(prev_hash=prev_hash, payload=event_payload(event))
    event.seal_key, event.seal = event_seal_now(hash=event.hash)
    event.save(force_insert=True)
    return event


# --- Refusals that must stay on record -------------------------------------------------


class AuditedRefusal(ValidationError):
    """A refusal that must be on record although the transaction that refused rolls back.

    A service raises it instead of a plain ValidationError (same message, same
    field errors) with the event to record; ``audit_refusals`` records it once
    the service's transaction has rolled back. Writing the event before raising
    does not work: the rollback takes the event with it.
    """

    def __init__(
        self,
        message: Any,
        *,
        actor: Any,
        action: str,
        obj: models.Model | None = None,
        changes: dict[str, Any] | None = None,
        request: HttpRequest | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.audit: dict[str, Any] = {
            "actor": actor,
            "action": action,
            "obj": obj,
            "changes": changes,
            "request": request,
        }


def audit_record_refusal(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record a refusal in a transaction of its own, after the transaction that refused has rolled back.

    Outside any transaction the event commits at once. Inside a caller's
    transaction (a flow view holds one with the flow lock) it is written in a
    savepoint of its own after the refused one, and commits with the caller's,
    which the refusal no longer spoils. Called where a rollback is already
    pending, it would be lost too: that is a programming error, raised as such.
    """
    if connection.in_atomic_block and connection.needs_rollback:
        raise TransactionManagementError(f"{action}: a refusal recorded here would be rolled back with the refusal")
    with transaction.atomic():
        return audit_record(actor=actor, action=action, obj=obj, changes=changes, request=request)


Service = TypeVar("Service", bound=Callable[..., Any])


def audit_refusals(service: Service) -> Service:
    """Decorate a service (above its ``@transaction.atomic``) so that its AuditedRefusals are recorded.

    The service's transaction rolls back first, with everything it wrote; then
    the refusal is recorded by ``audit_record_refusal`` and re-raised, so the
    caller sees the same ValidationError as before.
    """

    @wraps(service)
    def recorded(*args: Any, **kwargs: Any) -> Any:
        try:
            return service(*args, **kwargs)
        except AuditedRefusal as refusal:
            audit_record_refusal(**refusal.audit)
            raise

    return recorded  # type: ignore[return-value]


def model_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs."""
    return {
        key: [normalise(before.get(key)), normalise(after.get(key))]
        for key in sorted(set(before) | set(after))
        if normalise(before.get(key)) != normalise(after.get(key))
    }


def audit_reader_county_ids(user: Any) -> set[int]:
    """Counties whose records the user reads for the bureau (officer, director, supervisor) or as an inspector."""
    from permissions.access import oversight_county_ids

    if not (user and user.is_authenticated):
        return set()
    return oversight_county_ids(user)


def audit_read(*, user: Any, obj: models.Model, request: HttpRequest | None = None) -> AuditEvent | None:
    """Log a read of a patient's record by a bureau or inspector role ("record.read").

    Facility staff reading their own facility's records are not logged here:
    the privacy rule asks for the reads of the bureau and the inspectors. A
    user who holds both kinds of role is logged when the record lies in a
    county they oversee. Returns the event, or None when nothing was logged.
    """
    counties = audit_reader_county_ids(user)
    if not counties:
        return None
    county_id, _facility_id = scope_of(obj)
    if county_id is not None and county_id not in counties:
        return None
    return audit_record(actor=user, action="record.read", obj=obj, request=request)


# --- Electronic signatures ---------------------------------------------------


def signature_password_check(
    *, request: HttpRequest, user: Any, password: str, obj: models.Model | None = None
) -> bool:
    """Re-authenticate a signer. A wrong password is audited and counts toward login throttling.

    Goes through django.contrib.auth.authenticate so that django-axes sees the
    failure exactly as it sees a failed login (and refuses even the right
    password once the user is locked out). Call it from form validation, not
    from inside a transaction that a refusal would roll back.
    """
    authenticated = authenticate(request, username=user.get_username(), password=password)
    if authenticated is not None and authenticated.pk == user.pk:
        return True
    audit_record_refusal(actor=user, action="signature.password_refused", obj=obj, request=request)
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


# Predicates naming users who are not people and may never sign (a facility's information system):
# registered from above (the api app), so that audit imports nothing of theirs.
_NON_SIGNERS: list[Any] = []


def register_non_signer(predicate: Any) -> None:
    """``predicate(user) -> bool``: True for a user that must never sign (signature_sign refuses it)."""
    if predicate not in _NON_SIGNERS:
        _NON_SIGNERS.append(predicate)


def may_sign(user: Any) -> bool:
    return not any(predicate(user) for predicate in _NON_SIGNERS)


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

    The caller has already re-checked the password with signature_password_check. A system (a
    registered non-signer) never signs: a person does.
    """
    if not may_sign(signer):
        raise PermissionDenied(_("A system cannot sign: a person signs."))
    if meaning not in signature_meanings():
        raise ValueError(f"unknown signature meaning {meaning!r}")
    reason = normalise(reason or "").strip()
    if meaning in reason_required_meanings() and not reason:
        raise ValidationError(_("A reason is required."), code="reason_required")
    object_type, object_id = object_ref(obj)
    signature = Signature(
        signer=signer,
        printed_name=normalise(printed_name_of(signer))[:150],
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
