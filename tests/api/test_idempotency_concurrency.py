"""Concurrent retries of one filing on PostgreSQL: two threads, one Idempotency-Key, exactly one request filed.

The main thread holds the audit chain's lock (a real PostgreSQL advisory lock every filing needs), releases
both threads through a barrier, and lets go only once PostgreSQL shows both waiting: the first on that lock,
the second on the first's uncommitted idempotency row. No sleeps: the server's own lock table says when.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from api.models import IdempotencyRecord
from audit.services import audit_chain_lock
from tests.pg import lock_waiters
from workflows.termination.models import TerminationCase

from .conftest import filing

pytestmark = pytest.mark.django_db(transaction=True)


def waiters_now() -> int:
    """Connections waiting on a lock, read afresh: inside a transaction PostgreSQL keeps one snapshot of its
    activity statistics until told to drop it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
    return lock_waiters()


def test_two_concurrent_retries_with_one_key_file_exactly_once(on_postgres: bool, system: Any) -> None:
    if not on_postgres:
        pytest.skip("concurrency is PostgreSQL's to decide")
    barrier = threading.Barrier(2)
    done = threading.Event()
    answers: list[Any] = []

    def retry() -> None:
        try:
            http = Client(HTTP_AUTHORIZATION=f"Bearer {system.token}")
            barrier.wait(timeout=30)
            response = http.post("/api/v1/termination/requests/", filing(), HTTP_IDEMPOTENCY_KEY="race-1")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()
            if len(answers) == 2:
                done.set()

    with transaction.atomic():
        audit_chain_lock()  # every filing audits: both requests must queue behind this transaction
        threads = [threading.Thread(target=retry) for _ in range(2)]
        for thread in threads:
            thread.start()
        while waiters_now() < 2:  # polls PostgreSQL's lock table, not the clock
            assert not done.is_set(), "a request finished without waiting for the lock"
            done.wait(timeout=0.01)
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _body in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]  # the second got the first's stored response
    assert TerminationCase.objects.count() == 1
    assert IdempotencyRecord.objects.filter(client=system.account, key="race-1").count() == 1
