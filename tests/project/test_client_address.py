"""Client addresses come from our own proxies, counted from the right; a client cannot choose its own.

One function (audit.services.client_address_of) serves login throttling (django-axes,
through AXES_CLIENT_IP_CALLABLE) and the audit trail.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from audit.models import AuditEvent
from audit.services import audit_read, client_address_of
from tests.conftest import World

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROXY = "10.0.0.2"  # the proxy daphne sees
CLIENT = "198.51.100.7"  # the address our proxy saw the client connect from


def request_with(*, forwarded: str | None, remote: str = PROXY) -> Any:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # No proxy: daphne faces the clients; any header is the client's own writing.
        (0, None, PROXY),
        (0, "203.0.113.66", PROXY),
        # One proxy appends the peer it saw; whatever the client sent sits to the left.
        (1, CLIENT, CLIENT),
        (1, f"203.0.113.66, {CLIENT}", CLIENT),
        (1, f"203.0.113.66,203.0.113.67 , {CLIENT}", CLIENT),
        (1, f"not-an-address, {CLIENT}", CLIENT),
        # Two proxies: the outer one appends the client, the inner one the outer proxy.
        (2, f"{CLIENT}, 10.0.0.1", CLIENT),
        (2, f"203.0.113.66, {CLIENT}, 10.0.0.1", CLIENT),
        # Not the configured path (header missing or short, or garbage where our proxy writes):
        # the nearest peer, never a value the client chose.
        (1, None, PROXY),
        (1, "", PROXY),
        (2, CLIENT, PROXY),
        (1, "203.0.113.66, garbage", PROXY),
        # Spellings: ports, IPv6, IPv4-mapped IPv6.
        (1, "198.51.100.7:51234", CLIENT),
        (1, "[2001:DB8::1]:443", "2001:db8::1"),
        (1, "::ffff:198.51.100.7", CLIENT),
    ],
)
def test_client_address_is_counted_from_the_right(
    settings: Any, proxies: int, forwarded: str | None, expected: str
) -> None:
    settings.PROXY_COUNT = proxies
    assert client_address_of(request_with(forwarded=forwarded)) == expected


def test_a_repeated_header_cannot_hide_the_proxys_entry(settings: Any, client: Any, world: World) -> None:
    """Django joins repeated headers with commas; the entry our proxy appended is still the last."""
    settings.PROXY_COUNT = 1
    request = request_with(forwarded=f"203.0.113.66,{CLIENT}")
    assert client_address_of(request) == CLIENT


def attempt(client: Any, password: str, forwarded: str) -> Any:
    return client.post(
        LOGIN, {"username": "clerk", "password": password}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
    )


def test_a_spoofed_header_does_not_bypass_the_login_lockout(
    settings: Any, client: Any, world: World, password: str
) -> None:
    settings.PROXY_COUNT = 1
    for attempt_number in range(5):
        # A new made-up address in front of the real one on every try.
        attempt(client, "wrong", f"203.0.113.{attempt_number}, {CLIENT}")
    response = attempt(client, password, f"203.0.113.99, {CLIENT}")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_real_client_behind_the_proxy(
    settings: Any, client: Any, world: World, password: str
) -> None:
    settings.PROXY_COUNT = 1
    for _ in range(5):
        attempt(client, "wrong", CLIENT)
    assert attempt(client, password, CLIENT).status_code == 429
    assert attempt(client, password, "198.51.100.8").status_code == 302  # a colleague elsewhere is not locked out


def test_the_trail_records_the_address_our_proxy_saw(settings: Any, world: World) -> None:
    settings.PROXY_COUNT = 1
    request = request_with(forwarded=f"203.0.113.66, {CLIENT}")
    request.user = world.officer
    event = audit_read(user=world.officer, obj=world.hospital_a, request=request)
    assert event is not None
    assert AuditEvent.objects.get(pk=event.pk).client_address == CLIENT


def test_daphne_is_not_asked_to_rewrite_the_client_address() -> None:
    """daphne --proxy-headers puts the LEFTMOST X-Forwarded-For entry, the client's own writing, into
    REMOTE_ADDR; with it, the lockout above held only for clients that did not lie. Our function reads
    the header itself, so daphne must pass the proxy's address through untouched."""
    from django.conf import settings

    procfile = (settings.BASE_DIR / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert "daphne" in web
    assert "--proxy-headers" not in web and "--proxy-headers-host" not in web
