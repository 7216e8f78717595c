"""The database, not only the form, keeps one live registration per device and one open change per device."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from workflows.ultrasound.models import DeviceStatus, UltrasoundDevice

pytestmark = pytest.mark.django_db


def copy_of(device: UltrasoundDevice, **changes: Any) -> UltrasoundDevice:
    twin = UltrasoundDevice.objects.get(pk=device.pk)
    twin.pk = None
    for field, value in changes.items():
        setattr(twin, field, value)
    return twin


def test_the_database_refuses_a_second_live_device_with_the_same_identity(driver: Any, us_world: Any) -> None:
    device = driver.file(serial="SN-DB").device
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_of(device, manufacturer="MINDRAY", facility=us_world.hospital_b, county=us_world.county_b).save()
    # Another model, or a retired twin, is another matter.
    copy_of(device, model="DC-80").save()
    copy_of(device, status=DeviceStatus.SCRAPPED).save()
    UltrasoundDevice.objects.filter(pk=device.pk).update(status=DeviceStatus.DECOMMISSIONED)
    copy_of(device).save()


def test_the_database_refuses_a_second_open_change_of_one_device(driver: Any, us_world: Any) -> None:
    from workflows.ultrasound.models import UltrasoundCase

    case = driver.register()
    assert driver.file_amendment(case.device, kind="decommission", explanation="Old").status_code == 302
    change = UltrasoundCase.objects.get(kind="decommission")
    with pytest.raises(IntegrityError), transaction.atomic():
        UltrasoundCase.objects.filter(pk=case.pk).update(kind="scrap", ended_at=None)
    assert change.ended_at is None
