"""Back-off and once-per-outage logging, shared by the dispatcher, the pushes and the web requests."""

from __future__ import annotations

import logging
from typing import Any

from workflows.outages import Backoff, Outage


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    backoff = Backoff(base=1.0, cap=60.0)
    delays = [backoff.next_delay() for _ in range(12)]
    for attempt, delay in enumerate(delays):
        ceiling = min(60.0, 2.0**attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 60.0
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_an_outage_is_logged_once_and_its_end_once(caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="regflow.test")
    outage = Outage(logger=logging.getLogger("regflow.test"), what="thing")
    assert not outage.succeeded()  # nothing to report while all is well
    assert outage.failed(OSError("connection refused"))
    assert not any(outage.failed(OSError("connection refused")) for _ in range(50))
    assert outage.succeeded()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("thing unavailable: OSError: connection refused")
    assert "available again" in messages[1] and "(51 failed attempt(s))" in messages[1]
