"""One live entry per person, even when two facilities file them at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from audit.models import AuditEvent
from workflows.retired_practitioners.flows import RetiredPractitionerFlow as F
from workflows.retired_practitioners.models import PractitionerCase, RetiredPractitioner

from .conftest import filing_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Any]) -> list[Any]:
    """Run the calls at the same moment, one thread (and one connection) each; return their results."""
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


def test_simultaneous_filings_of_one_person_put_them_on_file_once(driver: Any, rp_world: Any) -> None:
    w = rp_world
    filings = [
        (w.clerk, filing_data(w, serial=9)),
        (w.director, filing_data(w, serial=9)),
        (w.clerk_b, filing_data(w, serial=9, facility=str(w.hospital_b.pk))),
    ]
    clients = [(driver.client(user), data) for user, data in filings]
    url = F.file.reverse("execute")
    responses = race([lambda c=c, d=d: c.post(url, d) for c, d in clients])
    assert sorted(r.status_code for r in responses) == [200, 200, 302]  # one in, two clear refusals, no 500
    for response in responses:
        if response.status_code == 200:
            assert "already on file" in response.content.decode()
    assert RetiredPractitioner.objects.count() == 1 and PractitionerCase.objects.count() == 1


def test_two_officers_verifying_at_once_verify_once(driver: Any, rp_world: Any) -> None:
    from tests.factories import PASSWORD

    w = rp_world
    case = driver.file()
    assert driver.act(w.director, case, F.sign_filing, {"decision": "forward"}).status_code == 302
    task = driver.open_task(case, F.verify)
    assert driver.claim(w.officer, task).status_code == 302
    client = driver.client(w.officer)
    url = F.verify.reverse("execute", args=[case.pk, task.pk])
    data = {"decision": "approve", "reason": "", "password": PASSWORD}
    responses = race([lambda: client.post(url, data), lambda: client.post(url, data)])
    assert all(r.status_code in {302, 403} for r in responses), [r.status_code for r in responses]
    verified = AuditEvent.objects.filter(action="retired_practitioners.verify", object_id=str(case.pk))
    assert verified.count() == 1
