"""Webhooks go to public addresses only: refused when subscribed, and again at each delivery (DNS can change)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from api import webhooks
from api.models import WebhookDelivery, WebhookSubscription
from api.services import webhook_create
from api.webhooks import address_kind, webhook_deliveries_send

from .test_termination_api import filing, post
from .test_webhooks import Receiver

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # a cloud's metadata service
        ("100.100.100.200", "not public"),  # shared address space: Alibaba Cloud's metadata service
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address to refuse, not one to bind
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("fe80::1%eth0", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("::", "unspecified"),
        ("93.184.216.34", ""),
        ("2606:2800:220:1:248:1893:25c8:1946", ""),
    ],
)
def test_every_kind_of_inside_address_is_named(address: str, kind: str) -> None:
    assert address_kind(address) == kind


def resolving_to(monkeypatch: Any, *addresses: str) -> None:
    def resolve(host: str, port: int) -> list[str]:
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(addresses)

    monkeypatch.setattr(webhooks, "resolve", resolve)


def subscribe(director: Any, world: Any, url: str, **headers: Any) -> Any:
    return director.post("/api/webhooks/new/", {"facility": world.hospital_a.pk, "url": url}, **headers)


def test_a_url_leading_inside_is_refused_on_the_directors_page(world: Any, login: Any, monkeypatch: Any) -> None:
    director = login(world.director)
    resolving_to(monkeypatch, "10.20.30.40")
    response = subscribe(director, world, "https://his.hospital-a.example/hooks")
    assert response.status_code == 400
    page = response.content.decode()
    assert "a webhook goes to a public address only" in page and "10.20.30.40" in page
    assert not WebhookSubscription.objects.exists()
    chinese = subscribe(director, world, "https://his.hospital-a.example/hooks", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 400 and "公网地址" in chinese.content.decode()
    # Every address the host resolves to is checked: one inside among public ones is enough to refuse.
    resolving_to(monkeypatch, "93.184.216.34", "127.0.0.1")
    assert subscribe(director, world, "https://his.hospital-a.example/hooks").status_code == 400
    assert not WebhookSubscription.objects.exists()
    # A public host is subscribed; so is one that does not resolve yet (each delivery checks it again).
    resolving_to(monkeypatch, "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert subscribe(director, world, "https://his.hospital-a.example/hooks").status_code == 200
    resolving_to(monkeypatch)
    assert subscribe(director, world, "https://later.hospital-a.example/hooks").status_code == 200
    assert WebhookSubscription.objects.count() == 2


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://[::1]/hook", "http://169.254.169.254/latest"])
def test_an_address_written_as_a_number_is_refused_by_the_service(world: Any, url: str) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        webhook_create(actor=world.director, facility=world.hospital_a, url=url)
    assert "public address only" in str(refused.value.message_dict["url"])
    assert not WebhookSubscription.objects.exists()


def test_a_delivery_to_an_address_now_inside_is_given_up_unsent(
    world: Any, system: Any, settings: Any, monkeypatch: Any
) -> None:
    """Subscribed while the host was public; its DNS now points inside: nothing is sent, the log says why."""
    receiver = Receiver()  # a real listener on 127.0.0.1: it would hear a delivery that slipped through
    try:
        resolving_to(monkeypatch, "93.184.216.34")
        subscription, _secret = webhook_create(
            actor=world.director, facility=world.hospital_a, url=receiver.url.replace("127.0.0.1", "his.example")
        )
        assert post(system, filing()).status_code == 201
        deliveries = WebhookDelivery.objects.filter(subscription=subscription)
        count = deliveries.count()
        assert count >= 1
        resolving_to(monkeypatch, "127.0.0.1")
        webhook_deliveries_send()
        for delivery in deliveries:
            assert delivery.status == WebhookDelivery.Status.FAILED and delivery.attempts == 1
            assert delivery.last_error.startswith("refused:") and "127.0.0.1" in delivery.last_error
        assert receiver.received == []
        # With private addresses allowed (a receiver on this machine), the same deliveries go through.
        settings.API_WEBHOOK_ALLOW_PRIVATE = True
        deliveries.update(status="pending", attempts=0)
        webhook_deliveries_send()
        assert set(deliveries.values_list("status", flat=True)) == {WebhookDelivery.Status.DELIVERED}
        assert len(receiver.received) == count
    finally:
        receiver.close()
