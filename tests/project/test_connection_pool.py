"""A burst of requests leaves the PostgreSQL connection count bounded by the pool (issue #16).

With CONN_MAX_AGE and no pool, daphne kept a connection per worker thread and
never closed it, until PostgreSQL refused new clients. The pool caps each
process at DATABASE_POOL_MAX connections, however many requests arrive at once.
"""

from __future__ import annotations

import os
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.workflows.conftest import login_cookie
from tests.workflows.servers import daphne, server_env, shared_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

POOL_MAX = 2
BURST = 30
APPLICATION = "regflow-pool-test"


def daphne_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
            [APPLICATION],
        )
        return int(cursor.fetchone()[0])


def test_a_burst_of_concurrent_requests_never_holds_more_connections_than_the_pool(world: Any) -> None:
    cookie = login_cookie(world.clerk)
    with shared_database() as database_url:
        env = server_env(
            database_url=f"{database_url}?application_name={APPLICATION}", redis_url=os.environ["REDIS_URL"]
        )
        # Many worker threads, as a busy daphne has: without the pool each one keeps a connection.
        env.update(DATABASE_POOL_MIN="1", DATABASE_POOL_MAX=str(POOL_MAX), ASGI_THREADS="16")
        with daphne(env=env) as (port,):
            start = threading.Barrier(BURST)
            done = threading.Event()

            def request(_: int) -> int:
                start.wait(30)
                page = urllib.request.Request(
                    f"http://127.0.0.1:{port}/notifications/",
                    headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"},
                )
                with urllib.request.urlopen(page, timeout=60) as response:  # noqa: S310
                    response.read()
                    return int(response.status)

            seen = [daphne_connections()]
            with ThreadPoolExecutor(BURST) as pool:
                futures = [pool.submit(request, i) for i in range(BURST)]
                threading.Thread(target=lambda: [f.result() for f in futures] and done.set(), daemon=True).start()
                while not done.wait(0.05):
                    seen.append(daphne_connections())
                statuses = [future.result() for future in futures]
            seen.append(daphne_connections())
            assert statuses == [200] * BURST
            assert 0 < max(seen) <= POOL_MAX, seen
