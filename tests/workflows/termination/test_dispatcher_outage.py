"""The timer dispatcher outlives a database outage (issue #11, item 2).

A real ``manage.py run_timers`` process reaches PostgreSQL through a TCP proxy
the test cuts, as a restart, a failover or a partition would. It must not exit,
must log the outage once and its end once, and must fire a timer that falls due
after the database is back.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows.models import DispatcherHeartbeat
from workflows.termination.flows import TerminationFlow as F

from ..servers import ROOT, TcpProxy, server_env, shared_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

UNAVAILABLE = "database (timer dispatcher) unavailable"
RECOVERED = "database (timer dispatcher) available again"


class Output:
    """The lines a process writes, collected by a thread, to wait on without sleeping blind."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stream = process.stdout
        threading.Thread(target=lambda: [self._queue.put(line) for line in stream], daemon=True).start()

    def wait_for(self, text: str, *, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {text!r} within {timeout:.0f}s; output:\n{''.join(self.lines)}")
            try:
                self.lines.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                continue

    def count(self, text: str) -> int:
        while not self._queue.empty():
            self.lines.append(self._queue.get_nowait())
        return sum(text in line for line in self.lines)


def wait_until(condition: Callable[[], bool], *, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f}s")
        time.sleep(0.1)


def test_the_dispatcher_outlives_a_database_outage_and_fires_a_timer_made_due_after_it(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    timer = Task.objects.get(process=case, flow_task_type="TIMER", status=STATUS.SCHEDULED)
    with shared_database() as database_url:
        database = database_url.rsplit("@", 1)[1].split("/", 1)
        host, port = database[0].rsplit(":", 1)
        with TcpProxy(host, int(port)) as proxy:
            proxied = database_url.replace(f"@{host}:{port}/", f"@127.0.0.1:{proxy.port}/")
            env = server_env(database_url=proxied, redis_url=os.environ["REDIS_URL"])
            env.update(LOG_LEVEL="INFO", DATABASE_POOL_TIMEOUT="2", DATABASE_CONNECT_TIMEOUT="2")
            process = subprocess.Popen(
                [sys.executable, "manage.py", "run_timers", "--interval", "0.5"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            output = Output(process)
            try:
                output.wait_for("sweeping every 0.5s")
                wait_until(lambda: DispatcherHeartbeat.objects.filter(name="timers").exists(), what="a heartbeat")

                proxy.cut()
                output.wait_for(UNAVAILABLE)
                wait_until(lambda: proxy.refused >= 3, what="three refused connections")  # it kept retrying
                assert process.poll() is None, "".join(output.lines)

                proxy.restore()
                restored_at = timezone.now()
                Task.objects.filter(pk=timer.pk).update(scheduled=timezone.now() - dt.timedelta(minutes=1))
                wait_until(lambda: driver.refresh(case).escalated_at is not None, what="the escalation")
                output.wait_for(RECOVERED)
                wait_until(
                    lambda: DispatcherHeartbeat.objects.get(name="timers").beat_at > restored_at,
                    what="a heartbeat after the outage",
                )
                assert process.poll() is None
                assert output.count(UNAVAILABLE) == 1, "".join(output.lines)  # once per outage
                assert output.count(RECOVERED) == 1
                assert output.count("Traceback") == 0
            finally:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
    assert Task.objects.get(pk=timer.pk).status == STATUS.DONE
