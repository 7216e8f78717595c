from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.models import AuditEvent
from audit.services import audit_record


class Command(BaseCommand):
    help = (
        "Seal the head of an audit chain written before events were sealed (run once at upgrade; the release step "
        "runs it every time, and it does nothing when the last event is already sealed). It appends one event, "
        "audit.sealed, sealed with the current key of AUDIT_CHAIN_KEYS: its hash covers every earlier event, so "
        "from then on the unsealed events before it cannot be rewritten without breaking a seal."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "seal").first()
        if head is None or head[1]:
            self.stdout.write(
                "Nothing to seal: " + ("no events yet." if head is None else f"event {head[0]} is sealed.")
            )
            return
        event = audit_record(actor=None, action="audit.sealed", object_type="audit.chain")
        self.stdout.write(self.style.SUCCESS(f"Sealed the chain up to event {head[0]} with event {event.sequence}."))
