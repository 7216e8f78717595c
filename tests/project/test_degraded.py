"""Degraded, not broken (issue #11, item 5): a 503 page of ours while the database is unreachable,
and /healthz reporting each dependency with its state."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from workflows.dispatcher import dispatcher_heartbeat_record
from workflows.models import DispatcherHeartbeat
from workflows.outages import is_connection_failure

from ..workflows.servers import free_port

CONNECTION_LOST = "server closed the connection unexpectedly"


def connection_failure() -> OperationalError:
    error = OperationalError(CONNECTION_LOST)
    error.__cause__ = psycopg.OperationalError(CONNECTION_LOST)
    return error


class FailQueries:
    """A query wrapper that fails the queries touching ``table`` as a lost connection would."""

    def __init__(self, table: str) -> None:
        self.table = table

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self.table in sql:
            raise connection_failure()
        return execute(sql, params, many, context)


@pytest.fixture
def signed_in(world: Any) -> Client:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.clerk)
    return client


def assert_our_503(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "暂时无法使用" in body  # "Temporarily unavailable", in the reader's language
    assert "email" not in body and "administrators" not in body  # not viewflow's 500 text


@pytest.mark.django_db
def test_a_page_whose_queries_fail_answers_our_503_and_the_outage_is_logged_once(
    signed_in: Client, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="regflow.requests")
    with connection.execute_wrapper(FailQueries("workflows_notification")):
        for _ in range(3):
            assert_our_503(signed_in.get("/notifications/"))
    assert signed_in.get("/notifications/").status_code == 200
    messages = [r.getMessage() for r in caplog.records if r.name == "regflow.requests"]
    assert sum("unavailable" in m for m in messages) == 1, messages
    assert sum("available again" in m for m in messages) == 1, messages


@pytest.mark.django_db
def test_a_failure_while_loading_the_session_answers_the_same_503(signed_in: Client, caplog: Any) -> None:
    caplog.set_level(logging.ERROR, logger="django.request")
    with connection.execute_wrapper(FailQueries("django_session")):
        assert_our_503(signed_in.get("/"))
    # django.request logs no traceback per request during an outage.
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_only_connection_failures_count_as_the_database_being_down() -> None:
    assert is_connection_failure(connection_failure())
    lock = OperationalError("could not obtain lock")
    lock.__cause__ = psycopg.errors.LockNotAvailable("could not obtain lock on row")
    assert not is_connection_failure(lock)  # contention is "busy, try again", not an outage
    assert not is_connection_failure(ValueError("no"))


# --- /healthz -----------------------------------------------------------------------------------

pytest_healthz = pytest.mark.django_db(transaction=True)  # the checks run on a connection of their own


@pytest.fixture
def no_redis(settings: Any) -> None:
    settings.REDIS_URL = None


@pytest_healthz
def test_healthz_is_200_when_the_database_answers_and_the_dispatcher_swept_recently(
    client: Client, no_redis: None
) -> None:
    dispatcher_heartbeat_record(interval=10)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"state": "ok"}
    assert body["checks"]["dispatcher"]["state"] == "ok"
    assert set(body["checks"]) == {"database", "dispatcher"}  # Redis only when configured
    assert response["Cache-Control"].startswith("max-age=0")


@pytest_healthz
def test_healthz_is_503_when_the_dispatcher_never_swept_or_stopped_sweeping(client: Client, no_redis: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["dispatcher"] == {"state": "missing"}
    DispatcherHeartbeat.objects.create(
        name="timers", beat_at=timezone.now() - dt.timedelta(minutes=5), interval_seconds=10
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["dispatcher"]["state"] == "late"
    assert response.json()["checks"]["database"] == {"state": "ok"}


@pytest_healthz
def test_healthz_reports_an_unreachable_redis(client: Client, settings: Any) -> None:
    dispatcher_heartbeat_record(interval=10)
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["state"] == "down"
    assert response.json()["checks"]["database"] == {"state": "ok"}


@pytest.fixture
def hung_database(monkeypatch: Any) -> Iterator[threading.Event]:
    """The database check blocks as on a server that answers nothing, until the test releases it."""
    release = threading.Event()

    def hang() -> dict:
        release.wait(60)
        raise connection_failure()

    monkeypatch.setattr("project.views._check_database", hang)
    yield release
    release.set()


@pytest_healthz
def test_healthz_answers_even_when_the_database_hangs(client: Client, no_redis: None, hung_database: Any) -> None:
    for _ in range(2):  # the second probe does not start a second hung check
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["checks"] == {"database": {"state": "timeout"}, "dispatcher": {"state": "unknown"}}
    hung_database.set()


@pytest_healthz
def test_healthz_reports_a_database_that_refuses(client: Client, no_redis: None, monkeypatch: Any) -> None:
    def refuse() -> dict:
        raise connection_failure()

    monkeypatch.setattr("project.views._check_database", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"state": "down", "error": "OperationalError"}
    assert response.json()["checks"]["dispatcher"] == {"state": "unknown"}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_with_the_database_cut_a_real_server_answers_503_then_recovers(world: Any) -> None:
    """daphne reaches PostgreSQL through a proxy the test cuts: pages are our 503, /healthz says why."""
    import os
    import urllib.error
    import urllib.request

    from django.conf import settings

    from ..workflows.conftest import login_cookie
    from ..workflows.servers import TcpProxy, daphne, server_env, shared_database

    cookie = login_cookie(world.clerk)

    def get(port: int, path: str, *, signed_in: bool = True) -> tuple[int, dict[str, str], str]:
        headers = {"Accept-Language": "zh-hans"}
        if signed_in:
            headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    with shared_database() as database_url:
        host, port = database_url.rsplit("@", 1)[1].split("/", 1)[0].rsplit(":", 1)
        with TcpProxy(host, int(port)) as proxy:
            env = server_env(
                database_url=database_url.replace(f"@{host}:{port}/", f"@127.0.0.1:{proxy.port}/"),
                redis_url=os.environ["REDIS_URL"],
            )
            env.update(DATABASE_POOL_TIMEOUT="1", DATABASE_CONNECT_TIMEOUT="1")
            with daphne(env=env) as (web,):
                assert get(web, "/notifications/")[0] == 200
                proxy.cut()
                status, headers, body = get(web, "/notifications/")
                assert status == 503
                assert headers["Retry-After"] == "30"
                assert "暂时无法使用" in body and "administrators" not in body
                status, _, body = get(web, "/healthz", signed_in=False)  # as a monitoring system asks
                assert status == 503
                assert json.loads(body)["checks"]["database"]["state"] in {"down", "timeout"}
                proxy.restore()
                deadline = time.monotonic() + 60
                while get(web, "/notifications/")[0] != 200:  # the pool reconnects on its own
                    assert time.monotonic() < deadline, "no recovery within 60 s"
                    time.sleep(0.5)
