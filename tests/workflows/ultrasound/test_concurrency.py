"""A serial number is live in one registration only, even when filed at the same moment (PostgreSQL)."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.db import connection

from workflows.ultrasound.flows import UltrasoundRegistrationFlow as F
from workflows.ultrasound.models import UltrasoundCase, UltrasoundDevice

from .conftest import filing_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Any]) -> list[Any]:
    """Run the calls at the same moment, one thread (and one connection) each; return their responses."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("attempt", range(2))
def test_simultaneous_filings_of_one_serial_in_two_counties_register_it_once(
    driver: Any, us_world: Any, attempt: int
) -> None:
    w = us_world
    filings = [
        (w.clerk, filing_data(w, serial="SN-RACE")),
        (w.clerk, filing_data(w, serial="sn-race")),
        (w.clerk_b, filing_data(w, serial="SN-RACE", facility=str(w.hospital_b.pk))),
        (w.clerk_b, filing_data(w, serial=" SN-RACE ", facility=str(w.hospital_b.pk), manufacturer="mindray")),
    ]
    clients = [(driver.client(user), data) for user, data in filings]
    url = F.file.reverse("execute")
    responses = race([lambda c=c, d=d: c.post(url, d) for c, d in clients])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 200, 302], codes  # one filing in, three clear refusals, never a 500
    refused = [r for r in responses if r.status_code == 200]
    for r in refused:
        assert "already filed or registered" in r.content.decode(), re.findall(
            r"errorlist[^<]*<li>([^<]*)", r.content.decode()
        )
    assert UltrasoundDevice.objects.filter(serial_number="SN-RACE").count() == 1
    assert UltrasoundCase.objects.count() == 1
