"""Refusals that must be on record survive the rollback of the transaction that refused (issue #9).

Run with real transactions, on SQLite and on PostgreSQL (set DATABASE_URL).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from audit.models import AuditEvent
from audit.services import AuditedRefusal, audit_record, audit_record_refusal, audit_refusals
from permissions.models import Facility
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db(transaction=True)


@audit_refusals
@transaction.atomic
def rename_facility(*, facility: Facility, name: str, user: Any) -> None:
    """A service in the house style: it writes, audits, then finds it must refuse."""
    facility.name = name
    facility.save(update_fields=["name"])
    audit_record(actor=user, action="test.rename", obj=facility)
    if name.startswith("Forbidden"):
        raise AuditedRefusal({"name": ["No."]}, actor=user, action="test.rename_refused", obj=facility)


def test_a_refusal_is_on_record_and_nothing_else_is(world: Any) -> None:
    facility = FacilityFactory(name="Before", county=world.county_a)
    with pytest.raises(AuditedRefusal) as refused:
        rename_facility(facility=facility, name="Forbidden name", user=world.officer)
    assert refused.value.message_dict == {"name": ["No."]}  # the caller sees the same ValidationError
    facility.refresh_from_db()
    assert facility.name == "Before"
    assert not AuditEvent.objects.filter(action="test.rename").exists()
    event = AuditEvent.objects.get(action="test.rename_refused")
    assert (event.actor_id, event.object_id, event.facility_id) == (world.officer.pk, str(facility.pk), facility.pk)


def test_a_refusal_inside_a_callers_transaction_is_recorded_after_the_refused_savepoint(world: Any) -> None:
    """A flow view holds a transaction (with the flow lock) around the service, and commits after a refusal."""
    facility = FacilityFactory(name="Before", county=world.county_a)
    with transaction.atomic():
        with pytest.raises(AuditedRefusal):
            rename_facility(facility=facility, name="Forbidden name", user=world.officer)
        assert AuditEvent.objects.filter(action="test.rename_refused").exists()
    assert AuditEvent.objects.filter(action="test.rename_refused").count() == 1
    assert not AuditEvent.objects.filter(action="test.rename").exists()


def test_an_accepted_call_records_no_refusal(world: Any) -> None:
    facility = FacilityFactory(name="Before", county=world.county_a)
    rename_facility(facility=facility, name="After", user=world.officer)
    assert AuditEvent.objects.filter(action="test.rename").count() == 1
    assert not AuditEvent.objects.filter(action="test.rename_refused").exists()


def test_recording_a_refusal_where_a_rollback_is_pending_is_an_error(world: Any) -> None:
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            audit_record_refusal(actor=world.officer, action="test.refused")
    assert not AuditEvent.objects.filter(action="test.refused").exists()
