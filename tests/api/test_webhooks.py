"""Webhooks: a facility's URL hears of its records' status changes, signed, retried with back-off.

A real HTTP receiver on 127.0.0.1 (no internet) records what arrives; it answers with the statuses a test
queues. Sends happen in the dispatcher's sweep, called here as run_timers calls it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from api.models import WebhookDelivery
from api.services import webhook_create
from api.webhooks import backoff, webhook_deliveries_send
from audit.models import AuditEvent

from .test_termination_api import filing, post

pytestmark = pytest.mark.django_db


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers.items()), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.API_WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1, which a webhook never reaches
    server = Receiver()
    yield server
    server.close()


def verify(headers: dict[str, str], body: bytes, secret: str) -> bool:
    parts = dict(item.split("=", 1) for item in headers["Regflow-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_status_change_reaches_the_facilitys_url_signed_with_ids_and_statuses_only(
    world: Any, system: Any, receiver: Receiver
) -> None:
    subscription, secret = webhook_create(actor=world.director, facility=world.hospital_a, url=receiver.url)
    assert AuditEvent.objects.filter(action="api.webhook_create", actor_id=world.director.pk).exists()
    body = post(system, filing())
    case_id = body.json()["id"]
    assert WebhookDelivery.objects.filter(subscription=subscription).exists()  # queued with the change
    assert receiver.received == []  # nothing sent from the request
    assert webhook_deliveries_send() >= 1
    headers, raw = receiver.received[0]
    assert verify(headers, raw, secret)
    assert not verify(headers, raw, "another secret")
    payload = json.loads(raw)
    assert payload["object_id"] == str(case_id) and payload["object_type"] == "termination.terminationcase"
    assert payload["stage"] and set(payload) == {
        "id",
        "type",
        "object_type",
        "object_id",
        "facility",
        "stage",
        "occurred_at",
    }
    assert "Wang Fang" not in raw.decode() and filing()["resident_id"] not in raw.decode()
    assert WebhookDelivery.objects.filter(status="delivered").count() >= 1


def test_a_failed_delivery_is_retried_with_exponential_back_off_then_given_up(
    world: Any, system: Any, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    webhook_create(actor=world.director, facility=world.hospital_a, url=receiver.url)
    post(system, filing())
    WebhookDelivery.objects.exclude(pk=WebhookDelivery.objects.order_by("pk").first().pk).delete()
    delivery = WebhookDelivery.objects.get()
    receiver.statuses = [500, 503, 500]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert webhook_deliveries_send() == 1
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.status, delivery.last_status_code) == (1, "pending", 500)
        assert delivery.next_attempt_at == start + backoff(1) == start + dt.timedelta(seconds=30)
        assert webhook_deliveries_send() == 0  # not due yet
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        assert webhook_deliveries_send() == 1
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=30) + dt.timedelta(seconds=60)
    with time_machine.travel(start + dt.timedelta(seconds=90), tick=False):
        assert webhook_deliveries_send() == 1
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.status) == (3, "failed")
    assert len(receiver.received) == 3
    # The same event every time: the receiver can tell a retry by its id.
    assert len({headers["Regflow-Event-Id"] for headers, _body in receiver.received}) == 1


def test_an_outsiders_records_never_reach_a_facilitys_webhook(world: Any, outsider: Any, receiver: Receiver) -> None:
    webhook_create(actor=world.director, facility=world.hospital_a, url=receiver.url)
    assert post(outsider, filing(serial=11)).status_code == 201
    webhook_deliveries_send()
    assert receiver.received == []


def test_the_delivery_log_is_the_directors(world: Any, login: Any, system: Any, receiver: Receiver) -> None:
    webhook_create(actor=world.director, facility=world.hospital_a, url=receiver.url)
    post(system, filing())
    webhook_deliveries_send()
    page = login(world.director).get("/api/webhooks/deliveries/")
    assert page.status_code == 200 and receiver.url in page.content.decode()
    assert login(world.clerk).get("/api/webhooks/deliveries/").status_code == 404
