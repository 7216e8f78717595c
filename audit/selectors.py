"""Reads of the audit trail for case pages, inspector views and exports.

Query counts are pinned in tests/audit/test_selectors.py:
- ``signatures_for_object``: 1 query, plus whatever ``obj.signature_content()`` needs (called once);
- ``events_for_object``: 3 queries (events, their neighbours in the chain, the head), plus the signatures;
- ``object_trail``: the two together, sharing the signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Max, Q, QuerySet

from .canonical import GENESIS_HASH
from .chain import seal_problem
from .models import AuditEvent, Signature
from .services import event_hash, event_payload, object_ref, seal_keys, signature_is_valid

# --- Cases, for the search by case number and by certificate number -------------------------

CertificateLookup = Callable[[str], Iterable[Any]]
_CASE_TYPES: dict[str, CertificateLookup | None] = {}


def register_case_type(object_type: str, *, certificate_lookup: CertificateLookup | None = None) -> None:
    """Declare a procedure's case model ('app_label.model'), whose number is its primary key.

    ``certificate_lookup(number)`` returns the primary keys of the cases that issued that certificate
    (one query). Procedures call this from their AppConfig.ready().
    """
    _CASE_TYPES[object_type] = certificate_lookup


def case_events(events: QuerySet[AuditEvent], *, number: int) -> QuerySet[AuditEvent]:
    """The events of the case(s) numbered ``number``: an indexed (object_type, object_id) lookup."""
    return events.filter(object_type__in=sorted(_CASE_TYPES), object_id=str(number))


def certificate_events(events: QuerySet[AuditEvent], *, number: str) -> QuerySet[AuditEvent]:
    """The events of the case that issued certificate ``number``: one query per procedure, then an indexed lookup.

    ``events`` is already limited to what the reader may see, so a certificate of another county finds nothing.
    """
    refs = Q(pk__in=[])
    for object_type, lookup in sorted(_CASE_TYPES.items()):
        if lookup is not None:
            ids = [str(pk) for pk in lookup(number)]
            if ids:
                refs |= Q(object_type=object_type, object_id__in=ids)
    return events.filter(refs)


def object_for_ref(object_type: str, object_id: str) -> models.Model | None:
    """The live record an ('app_label.model', 'pk') reference names, or None when it cannot be loaded."""
    try:
        model = apps.get_model(object_type)
        return model._default_manager.get(pk=object_id)
    except (LookupError, ValueError, TypeError, ValidationError, models.ObjectDoesNotExist):
        return None


def _content_of(obj: models.Model | None) -> dict[str, Any] | None:
    content = getattr(obj, "signature_content", None)
    return content() if callable(content) else None


def signatures_for_ref(object_type: str, object_id: str, obj: models.Model | None = None) -> list[Signature]:
    """Signatures on a record, oldest first, each with ``.valid``: True, False, or None (record unavailable)."""
    signatures = list(
        Signature.objects.filter(object_type=object_type, object_id=object_id).order_by("signed_at", "pk")
    )
    content = _content_of(obj) if signatures else None
    for signature in signatures:
        signature.valid = (  # type: ignore[attr-defined]
            None
            if obj is None or content is None
            else signature_is_valid(signature=signature, obj=obj, content=content)
        )
    return signatures


def signatures_for_object(obj: models.Model) -> list[Signature]:
    """Signatures on ``obj``, each with ``.valid`` checked against ``obj.signature_content()`` now."""
    object_type, object_id = object_ref(obj)
    return signatures_for_ref(object_type, object_id, obj)


@dataclass
class TrailCheck:
    """The result of checking one record's events against the chain around them."""

    checked: int = 0
    head_sequence: int = 0
    bad_sequences: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad_sequences


def events_check(events: list[AuditEvent]) -> TrailCheck:
    """Each event matches its own hash and links to its stored neighbours in the chain.

    This finds an edited, deleted or re-hashed event of this record without
    walking the whole chain; ``manage.py verify_audit`` walks all of it.
    """
    result = TrailCheck(checked=len(events))
    if not events:
        return result
    wanted = {e.sequence - 1 for e in events} | {e.sequence + 1 for e in events}
    neighbours = {
        sequence: (hash_, prev_hash)
        for sequence, hash_, prev_hash in AuditEvent.objects.filter(sequence__in=wanted).values_list(
            "sequence", "hash", "prev_hash"
        )
    }
    head = AuditEvent.objects.aggregate(head=Max("sequence"))["head"] or 0
    result.head_sequence = head
    keys = seal_keys()
    for event in events:
        intact = event_hash(prev_hash=event.prev_hash, payload=event_payload(event)) == event.hash
        if event.seal and seal_problem(hash=event.hash, seal_key=event.seal_key, seal=event.seal, keys=keys):
            intact = False  # rewritten and re-hashed by someone without the seal key
        before = (GENESIS_HASH, "") if event.sequence == 1 else neighbours.get(event.sequence - 1)
        if before is None or before[0] != event.prev_hash:
            intact = False  # the event before it is gone or is not the one it was chained to
        after = neighbours.get(event.sequence + 1)
        if event.sequence < head and (after is None or after[1] != event.hash):
            intact = False  # the event after it is gone or was chained to a different version of this one
        event.intact = intact  # type: ignore[attr-defined]
        if not intact:
            result.bad_sequences.append(event.sequence)
    return result


def events_for_ref(
    object_type: str,
    object_id: str,
    *,
    county_ids: Iterable[int] | None = None,
    signatures: list[Signature] | None = None,
) -> tuple[list[AuditEvent], TrailCheck]:
    """A record's events, oldest first, each with ``.intact`` and, for signing events, ``.signature``."""
    qs = AuditEvent.objects.filter(object_type=object_type, object_id=object_id)
    if county_ids is not None:
        qs = qs.filter(county_id__in=list(county_ids))
    events = list(qs.order_by("sequence"))
    check = events_check(events)
    by_id = {s.pk: s for s in signatures or []}
    for event in events:
        signature_id = event.changes.get("signature_id") if isinstance(event.changes, dict) else None
        signature = by_id.get(signature_id) if isinstance(signature_id, int) else None
        event.signature = signature if event.action.startswith("signature.") else None  # type: ignore[attr-defined]
    return events, check


def events_for_object(obj: models.Model, *, county_ids: Iterable[int] | None = None) -> list[AuditEvent]:
    """The events of ``obj``, oldest first, each with ``.intact`` and ``.signature`` (with ``.valid``)."""
    object_type, object_id = object_ref(obj)
    events, _check = events_for_ref(
        object_type, object_id, county_ids=county_ids, signatures=signatures_for_object(obj)
    )
    return events


@dataclass
class ObjectTrail:
    """Everything the timeline, the case page and the exports show about one record."""

    object_type: str
    object_id: str
    obj: models.Model | None
    events: list[AuditEvent]
    signatures: list[Signature]
    check: TrailCheck

    @property
    def title(self) -> str:
        if self.obj is not None:
            return str(self.obj)
        model = _model_for(self.object_type)
        name = model._meta.verbose_name if model is not None else self.object_type
        return f"{name} #{self.object_id}"

    @property
    def invalid_signatures(self) -> list[Signature]:
        return [s for s in self.signatures if s.valid is False]  # type: ignore[attr-defined]


def _model_for(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_trail(
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    county_ids: Iterable[int] | None = None,
) -> ObjectTrail:
    if obj is not None:
        object_type, object_id = object_ref(obj)
    signatures = signatures_for_ref(object_type, object_id, obj)
    events, check = events_for_ref(object_type, object_id, county_ids=county_ids, signatures=signatures)
    return ObjectTrail(object_type, object_id, obj, events, signatures, check)


def procedure_choices() -> list[tuple[str, str]]:
    """(object_type, readable name) for the kinds of record the trail holds, from the registries
    (audit.actions): no DISTINCT over a county's years of events."""
    from .actions import registered_record_types

    choices = []
    for object_type in registered_record_types():
        model = _model_for(object_type)
        label = str(model._meta.verbose_name).capitalize() if model is not None else object_type
        choices.append((object_type, label))
    return sorted(choices, key=lambda c: c[1])
