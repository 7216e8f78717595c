"""seed_demo gives both demo counties devices in every state."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from workflows.ultrasound.models import DeviceStatus, Stage, UltrasoundCase, UltrasoundDevice

pytestmark = pytest.mark.django_db


def test_seed_demo_puts_devices_in_every_state_in_both_counties(monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    for prefix in ("DEMO-A-", "DEMO-B-"):
        devices = UltrasoundDevice.objects.filter(serial_number__startswith=prefix)
        assert set(devices.values_list("status", flat=True)) == set(DeviceStatus.values), prefix
        stages = set(UltrasoundCase.objects.filter(device__in=devices).values_list("stage", flat=True))
        assert stages == set(Stage.values), (prefix, set(Stage.values) - stages)
        assert devices.filter(days_late__gt=0, flagged_for_inspection=True).exists()
    before = UltrasoundCase.objects.count()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert UltrasoundCase.objects.count() == before
