"""Cross-checks through the kit's person index, both ways: whichever procedure files the person first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from core.fields import identifier_digest
from workflows.cases.persons import PersonRecord, person_filed, person_index_register, person_records
from workflows.models import Notification
from workflows.retired_practitioners.flows import RetiredPractitionerFlow as F
from workflows.retired_practitioners.models import CaseKind, PractitionerCase

from .conftest import resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def devices(rp_world: Any) -> Iterator[list[PersonRecord]]:
    """A stand-in procedure that files device operators: its records, as the index sees them."""
    from workflows.cases import persons

    filed: list[PersonRecord] = []
    person_index_register(procedure="devices", lookup=lambda digests: [r for r in filed if r.digest in set(digests)])
    yield filed
    persons._LOOKUPS.pop("devices", None)


def operator(world: Any, serial: int) -> PersonRecord:
    return PersonRecord(
        procedure="devices",
        kind="operator",
        digest=identifier_digest(resident_id(serial)),
        county_id=world.county_a.pk,
        facility_id=world.centre_a.pk,
        object_type="devices.device",
        object_id=77,
    )


def test_an_operator_filed_after_the_practitioner_gives_the_officer_a_flagged_task(
    driver: Any, rp_world: Any, devices: list[PersonRecord]
) -> None:
    w = rp_world
    entry = driver.on_file(serial=3)
    record = operator(w, 3)
    devices.append(record)
    with transaction.atomic():
        person_filed(record)
        person_filed(record)  # the same finding, open already: not twice
    check = PractitionerCase.objects.get(kind=CaseKind.CROSS_CHECK)
    assert check.practitioner_id == entry.pk and check.county == w.county_a
    assert check.details["finding"] == "operator" and check.details["object_id"] == 77
    assert driver.open_task(check, F.review_cross_check) is not None
    assert Notification.objects.filter(recipient=w.officer, kind="task.available", object_id=str(check.pk)).exists()
    # Someone else's digest matches nobody.
    with transaction.atomic():
        person_filed(operator(w, 4))
    assert PractitionerCase.objects.filter(kind=CaseKind.CROSS_CHECK).count() == 1


def test_a_practitioner_filed_after_the_operator_is_flagged_at_filing(
    driver: Any, rp_world: Any, devices: list[PersonRecord]
) -> None:
    devices.append(operator(rp_world, 5))
    case = driver.file(serial=5)
    check = PractitionerCase.objects.get(kind=CaseKind.CROSS_CHECK)
    assert check.practitioner_id == case.practitioner_id and check.details["finding"] == "operator"
    assert case.practitioner.__class__.objects.get(pk=case.practitioner_id).flagged


def test_the_index_answers_by_digest_and_never_with_identifiers(driver: Any, rp_world: Any) -> None:
    entry = driver.on_file(serial=6)
    [record] = person_records([identifier_digest(resident_id(6))])
    assert (record.procedure, record.kind, record.object_id) == (
        "retired_practitioners",
        "retired_practitioner",
        entry.pk,
    )
    assert resident_id(6) not in repr(record) and entry.name not in repr(record)
    assert person_records([identifier_digest(resident_id(6))], exclude="retired_practitioners") == []


# --- With the ultrasound registry, through both procedures' real pages ----------------------------


def ultrasound_filing(world: Any, *, operator_id: str, serial: str) -> dict[str, Any]:
    from tests.workflows.ultrasound.conftest import filing_data

    return {**filing_data(world, serial=serial), "operators-0-resident_id": operator_id}


def test_a_practitioner_on_file_named_as_a_device_operator_is_flagged_to_the_officer(
    driver: Any, rp_world: Any
) -> None:
    from workflows.ultrasound.flows import UltrasoundRegistrationFlow

    w = rp_world
    entry = driver.on_file(serial=11)
    url = UltrasoundRegistrationFlow.file.reverse("execute")
    bad = ultrasound_filing(w, operator_id="92010119600110001A", serial="SN-X1")
    response = driver.client(w.clerk_other).post(url, {**bad, "facility": str(w.centre_a.pk)})
    assert response.status_code == 200 and "17 digits" in response.content.decode()
    assert not PractitionerCase.objects.filter(kind=CaseKind.CROSS_CHECK).exists()
    data = ultrasound_filing(w, operator_id=resident_id(11).lower(), serial="SN-X1")
    response = driver.client(w.clerk_other).post(url, {**data, "facility": str(w.centre_a.pk)})
    assert response.status_code == 302, response.content.decode()[:2000]
    check = PractitionerCase.objects.get(kind=CaseKind.CROSS_CHECK)
    assert check.practitioner_id == entry.pk and check.details["finding"] == "operator"
    assert check.details["procedure"] == "ultrasound" and check.details["facility"] == w.centre_a.pk
    assert Notification.objects.filter(recipient=w.officer, kind="task.available", object_id=str(check.pk)).exists()
    # The operator's number is kept only as digest and mask.
    from workflows.ultrasound.models import DeviceOperator

    operator = DeviceOperator.objects.get(resident_id_digest=entry.resident_id_digest)
    assert operator.resident_id_masked == entry.resident_id_masked
    assert resident_id(11) not in str(DeviceOperator.objects.filter(pk=operator.pk).values().get())


def test_an_operator_on_a_device_filing_who_retires_later_is_flagged_at_the_retirement_filing(
    driver: Any, rp_world: Any
) -> None:
    from workflows.ultrasound.flows import UltrasoundRegistrationFlow

    w = rp_world
    url = UltrasoundRegistrationFlow.file.reverse("execute")
    response = driver.client(w.clerk).post(url, ultrasound_filing(w, operator_id=resident_id(12), serial="SN-X2"))
    assert response.status_code == 302
    assert not PractitionerCase.objects.exists()  # nobody on file yet: nothing to flag
    case = driver.file(serial=12)
    check = PractitionerCase.objects.get(kind=CaseKind.CROSS_CHECK)
    assert check.practitioner_id == case.practitioner_id and check.details["procedure"] == "ultrasound"
