"""An event of a facility without webhook subscriptions costs no query (the shared cache knows which have one)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import webhooks
from api.models import WebhookDelivery
from api.services import webhook_create, webhook_revoke
from tests.workflows.births.scene import entry_add, months_back
from workflows.events import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def flags(settings: Any) -> Any:
    """The shared cache, as one process sees it (the tests' local memory stands in for Redis)."""
    settings.API_WEBHOOK_FLAGS_CACHE = "default"
    settings.API_WEBHOOK_ALLOW_PRIVATE = True
    caches["default"].clear()
    webhooks._flags_state.update(down_until=0.0, stale=False)
    return caches["default"]


def queries_of_notify(obj: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        notify(recipients=[], kind="births.entry", obj=obj)
    # notify's own savepoint (the test runs in a transaction) is no query of the webhooks'.
    return [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]


def test_no_query_for_a_facility_without_subscriptions_and_events_still_reach_the_others(
    world: Any, flags: Any
) -> None:
    entry_a = entry_add(user=world.clerk, facility=world.hospital_a, month=months_back(0))
    entry_b = entry_add(user=world.clerk_b, facility=world.hospital_b, month=months_back(0))
    assert len(queries_of_notify(entry_a)) == 1  # the first event reads which facilities subscribed
    assert queries_of_notify(entry_a) == []  # then none
    # Hospital B subscribes: the set is read afresh once, and B's events are queued; A's still cost nothing.
    subscription, _secret = webhook_create(actor=world.director, facility=world.hospital_b, url="http://127.0.0.1/h")
    assert len(queries_of_notify(entry_a)) == 1
    assert queries_of_notify(entry_a) == []
    assert len(queries_of_notify(entry_b)) == 2  # its subscriptions, and the delivery's insert
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1
    # Removed: B's events stop, and cost nothing again once the set is read afresh.
    webhook_revoke(actor=world.director, subscription=subscription)
    queries_of_notify(entry_b)
    assert queries_of_notify(entry_b) == []
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1


def test_without_the_shared_cache_the_database_is_asked_each_time(world: Any, flags: Any, settings: Any) -> None:
    entry_a = entry_add(user=world.clerk, facility=world.hospital_a, month=months_back(0))
    settings.API_WEBHOOK_FLAGS_CACHE = ""
    assert len(queries_of_notify(entry_a)) == 1
    assert len(queries_of_notify(entry_a)) == 1


def test_a_cache_that_fails_is_left_alone_and_replaced_when_back(world: Any, flags: Any, monkeypatch: Any) -> None:
    entry_a = entry_add(user=world.clerk, facility=world.hospital_a, month=months_back(0))
    queries_of_notify(entry_a)
    assert queries_of_notify(entry_a) == []

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("redis is down")

    with monkeypatch.context() as patched:
        patched.setattr(flags, "set", down)
        patched.setattr(flags, "add", down)
        # A subscription made while the cache is down: its new version could not be written.
        subscription, _secret = webhook_create(
            actor=world.director, facility=world.hospital_a, url="http://127.0.0.1/h"
        )
        assert len(queries_of_notify(entry_a)) == 2  # the database is asked, and the event queued
    webhooks._flags_state["down_until"] = 0.0  # the retry delay has passed
    queries_of_notify(entry_a)  # back: the version is replaced, the set read afresh
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 2
