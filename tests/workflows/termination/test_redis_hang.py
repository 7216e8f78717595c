"""A hung Redis never stalls a request that notifies (issue #11, item 3).

With Redis SIGSTOPped (as in a network partition: no refusal, no answer) the
requests that notify used to wait for Redis timeouts: submit 10 s, a signed
approval 20 s. Each step is timed with Redis healthy and hung, in the same run;
hung may cost at most 0.5 s more.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import Stage

from ..servers import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_with_redis_hung_submitting_and_signed_approvals_take_no_longer(driver: Any, world: Any, settings: Any) -> None:
    redis = RedisServer()
    redis.start()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis.url]}}
    }

    def one_case() -> dict[str, float]:
        started = time.monotonic()
        case = driver.submit(pathway="divorced")  # notifies the facility director
        submitted = time.monotonic()
        assert driver.act(world.director, case, F.review, {"decision": "forward"}).status_code == 302
        reviewed = time.monotonic()
        assert driver.act(world.officer, case, F.decide, {"decision": "approve"}).status_code == 302
        approved = time.monotonic()
        assert driver.refresh(case).stage == Stage.APPROVED
        return {
            "submit": submitted - started,
            "signed review": reviewed - submitted,
            "signed approval": approved - reviewed,
        }

    def fastest_of_two() -> dict[str, float]:
        runs = [one_case(), one_case()]
        return {step: min(run[step] for run in runs) for step in runs[0]}

    try:
        one_case()  # warm up: URLconf, templates, the Redis connections
        healthy = fastest_of_two()
        assert redis.process is not None
        os.kill(redis.process.pid, signal.SIGSTOP)
        try:
            hung = fastest_of_two()
        finally:
            os.kill(redis.process.pid, signal.SIGCONT)
        for step in healthy:
            assert hung[step] - healthy[step] < 0.5, (step, healthy, hung)
    finally:
        redis.close()
