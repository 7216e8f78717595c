"""Idempotency-Key records last API_IDEMPOTENCY_HOURS: a retry within replays, a request after is a new one,
and the dispatcher's sweep deletes what has expired."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from api.idempotency import idempotency_records_expire
from api.models import IdempotencyRecord
from workflows.births.models import BirthEntry

from .conftest import System
from .test_births_api import ENTRIES, entry, post

pytestmark = pytest.mark.django_db


def test_a_key_replays_within_its_time_and_is_a_new_request_after(world: Any, system: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = post(system, ENTRIES, entry(world, 1), key="nightly-batch-7")
        assert first.status_code == 201
    with time_machine.travel(start + dt.timedelta(hours=23, minutes=59), tick=False):
        http = System(system.account, system.secret)  # tokens last an hour: a fresh one
        replay = post(http, ENTRIES, entry(world, 1, hours_ago=2 + 24), key="nightly-batch-7")
        # A different body under a live key is still the key's misuse.
        assert replay.status_code == 422
        assert BirthEntry.objects.count() == 1
    with time_machine.travel(start + dt.timedelta(hours=24, minutes=1), tick=False):
        http = System(system.account, system.secret)
        again = post(http, ENTRIES, entry(world, 2), key="nightly-batch-7")
        assert again.status_code == 201 and "Idempotent-Replayed" not in again
        assert again.json()["id"] != first.json()["id"]
        assert BirthEntry.objects.count() == 2
        # The new request's record replaces the expired one, and replays from now on.
        record = IdempotencyRecord.objects.get(key="nightly-batch-7")
        assert record.created_at == timezone.now() and record.body["id"] == again.json()["id"]


def test_the_same_body_replays_until_the_key_expires(world: Any, system: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        body = entry(world, 3, hours_ago=1, late_reason="Night shift")  # the same body, whenever sent
        assert post(system, ENTRIES, body, key="k").status_code == 201
    with time_machine.travel(start + dt.timedelta(hours=12), tick=False):
        replay = post(System(system.account, system.secret), ENTRIES, body, key="k")
        assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    with time_machine.travel(start + dt.timedelta(hours=25), tick=False):
        # After expiry the same body is filed anew: here the register refuses it as the same birth.
        late = post(System(system.account, system.secret), ENTRIES, body, key="k")
        assert late.status_code == 400 and "Idempotent-Replayed" not in late
        assert "already in the register" in str(late.json()["errors"])
    assert BirthEntry.objects.count() == 1


def test_the_sweep_deletes_expired_records_only(world: Any, system: Any, settings: Any) -> None:
    from workflows.sweeps import _SWEEPS

    assert idempotency_records_expire in _SWEEPS  # the dispatcher (run_timers) runs it
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert post(system, ENTRIES, entry(world, 4), key="old").status_code == 201
    with time_machine.travel(start + dt.timedelta(hours=20), tick=False):
        assert post(System(system.account, system.secret), ENTRIES, entry(world, 5), key="new").status_code == 201
        assert idempotency_records_expire() == 0
    with time_machine.travel(start + dt.timedelta(hours=24, seconds=1), tick=False):
        assert idempotency_records_expire() == 1
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
        settings.API_IDEMPOTENCY_HOURS = 2
        assert idempotency_records_expire() == 1
        assert not IdempotencyRecord.objects.exists()
    assert BirthEntry.objects.count() == 2  # the filings stay: only the keys' memory goes
