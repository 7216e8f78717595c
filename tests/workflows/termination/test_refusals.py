"""Refusals that are audited stay on record after the refused request (issue #9).

Real transactions (the flow view's own, around the service), on SQLite and on PostgreSQL (set DATABASE_URL).
"""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent, Signature
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import Stage

from .conftest import resident_id
from .test_paths import record_data

pytestmark = pytest.mark.django_db(transaction=True)


def approved_case(driver: Any, world: Any) -> Any:
    case = driver.submit(pathway="divorced")
    assert driver.act(world.director, case, F.review, {"decision": "forward"}).status_code == 302
    assert driver.act(world.officer, case, F.decide, {"decision": "approve"}).status_code == 302
    return driver.refresh(case)


def test_a_wrong_patient_at_the_procedure_is_on_record_and_the_case_is_unchanged(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    response = driver.act(world.clerk, case, F.record_procedure, record_data(resident_id=resident_id(serial=2)))
    assert response.status_code == 200
    assert "does not match the certificate" in response.content.decode()

    event = AuditEvent.objects.get(action="termination.id_mismatch")
    assert (event.actor_id, event.object_id, event.facility_id) == (world.clerk.pk, str(case.pk), case.facility_id)
    after = driver.refresh(case)
    assert after.stage == Stage.APPROVED and after.procedure_date is None and after.physician_name == ""
    assert not Signature.objects.filter(object_id=str(case.pk), meaning="recorded").exists()
    assert not AuditEvent.objects.filter(action="termination.record_procedure").exists()
    assert driver.open_task(case, F.record_procedure) is not None


def test_a_wrong_signing_password_is_on_record_and_nothing_is_signed(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    response = driver.act(world.director, case, F.review, {"decision": "forward", "password": "wrong-password"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="signature.password_refused", actor_id=world.director.pk).count() == 1
    assert not Signature.objects.filter(object_id=str(case.pk)).exists()
    assert driver.refresh(case).stage == Stage.FACILITY_REVIEW
