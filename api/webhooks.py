"""Webhooks: a facility's systems hear of status changes of its own records, from the notification outbox.

Every ``workflows.events.notify`` about a record calls ``webhook_events_record`` in the same transaction
(the outbox pattern: the event commits with the change, or not at all), which queues one delivery per live
subscription of the record's facility. The timer dispatcher's sweep (``manage.py run_timers``, the process
that already runs every sweep) sends what is due; nothing is sent from a request thread.

A payload carries ids and statuses only, never personal data. It is signed with HMAC-SHA256 over
``<timestamp>.<body>`` with the subscription's secret: header ``Regflow-Signature: t=<unix time>,v1=<hex>``.
A delivery that fails (no answer, or not a 2xx) is retried with exponential back-off (30 s, 1 min, 2 min,
... capped at 6 h) until WEBHOOK_MAX_ATTEMPTS, then given up; the director's delivery log shows each.

A webhook goes to a public address only (no request forgery towards the server's own network): a URL whose host
resolves to a loopback, private, link-local, multicast, reserved, unspecified or otherwise non-public address is
refused when it is subscribed (``webhook_url_refusal``), and again at every delivery, since DNS can change: the
connection itself resolves the host, checks every address and connects only to a checked one, so nothing can
slip between the check and the connection. Such a delivery is given up at once with the reason, never sent. No
proxy from the environment and no redirect is followed (a 3xx is a failed attempt).
``API_WEBHOOK_ALLOW_PRIVATE`` lifts the rule (tests with a receiver on 127.0.0.1).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from .models import WebhookDelivery, WebhookSubscription

log = logging.getLogger("regflow.webhooks")

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
# While one sweep sends a delivery, another sweep leaves it alone this long.
LEASE = timedelta(minutes=2)
BATCH = 50
SIGNATURE_HEADER = "Regflow-Signature"


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, 4 min ... at most 6 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def payload_of(*, kind: str, obj: Any, event_id: str) -> dict[str, Any]:
    """Ids and statuses only: what changed, which record, its stage now. Never a name or an ID number."""
    return {
        "id": event_id,
        "type": kind,
        "object_type": f"{obj._meta.app_label}.{obj._meta.model_name}",
        "object_id": str(obj.pk),
        "facility": getattr(obj, "facility_id", None),
        "stage": str(getattr(obj, "stage", "") or getattr(obj, "status", "")),
        "occurred_at": timezone.now().isoformat(),
    }


# --- Which facilities have subscriptions: no query for an event of a facility without any ----------------------
#
# Most events are of facilities that subscribed nothing. The set of facilities with a live subscription is kept in
# a cache every process shares (API_WEBHOOK_FLAGS_CACHE: Redis), under a version that any change of a subscription
# replaces (at once, and again once the change commits): a process then reads the set afresh, once. A set too
# large only costs the usual query; one too small would lose events, hence the version and a short lifetime.
# Without a shared cache, or while it does not answer, the database is asked at every event, as before.

FLAGS_VERSION_KEY = "api:webhooks:version"
FLAGS_TTL = 600  # seconds: a bound on a change whose new version could not be written (the cache was down)
FLAGS_RETRY = 30.0  # seconds without the cache after it failed
_flags_state = {"down_until": 0.0, "stale": False}


def _flags_cache() -> Any:
    alias = settings.API_WEBHOOK_FLAGS_CACHE
    if not alias or time.monotonic() < _flags_state["down_until"]:
        return None
    return caches[alias]


def _flags_failed(error: Exception) -> None:
    if not _flags_state["stale"]:
        log.warning("webhook flags cache unavailable (%s): asking the database", type(error).__name__)
    _flags_state.update(down_until=time.monotonic() + FLAGS_RETRY, stale=True)


def subscriptions_changed() -> None:
    """A subscription was created, changed or removed: every process reads the set afresh, now and on commit."""
    _flags_version_replace()
    transaction.on_commit(_flags_version_replace)


def _flags_version_replace() -> None:
    cache = caches[settings.API_WEBHOOK_FLAGS_CACHE] if settings.API_WEBHOOK_FLAGS_CACHE else None
    if cache is None:
        return
    try:
        cache.set(FLAGS_VERSION_KEY, uuid.uuid4().hex, None)
    except Exception as error:  # the cache is down: this process stops trusting it, and replaces it when back
        _flags_failed(error)


def subscribed_facility_ids() -> set[int] | None:
    """The facilities with a live subscription, from the shared cache; None when the database must be asked."""
    cache = _flags_cache()
    if cache is None:
        return None
    try:
        if _flags_state["stale"]:  # back after an outage: a change may have gone unannounced meanwhile
            cache.set(FLAGS_VERSION_KEY, uuid.uuid4().hex, None)
            _flags_state["stale"] = False
        cache.add(FLAGS_VERSION_KEY, uuid.uuid4().hex, None)
        key = f"api:webhooks:facilities:{cache.get(FLAGS_VERSION_KEY)}"
        cached = cache.get(key)
    except Exception as error:
        _flags_failed(error)
        return None
    if cached is not None:
        return set(cached)
    ids = sorted(
        WebhookSubscription.objects.filter(revoked_at__isnull=True)
        .order_by()
        .values_list("facility_id", flat=True)
        .distinct()
    )
    try:
        cache.set(key, ids, FLAGS_TTL)
    except Exception as error:
        _flags_failed(error)
    return set(ids)


def webhook_events_record(*, kind: str, obj: Any) -> int:
    """Queue the event for every live subscription of the record's facility (inside the caller's transaction)."""
    facility_id = getattr(obj, "facility_id", None)
    if facility_id is None:
        return 0
    subscribed = subscribed_facility_ids()
    if subscribed is not None and facility_id not in subscribed:
        return 0  # no query: the facility subscribed nothing
    subscriptions = list(WebhookSubscription.objects.filter(facility_id=facility_id, revoked_at__isnull=True))
    if not subscriptions:
        return 0
    event_id = uuid.uuid4().hex
    payload = payload_of(kind=kind, obj=obj, event_id=event_id)
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscription=s, event_id=event_id, payload=payload, next_attempt_at=now)
            for s in subscriptions
        ]
    )
    return len(subscriptions)


# --- Public addresses only ---------------------------------------------------------------------------------

NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeAddress(Exception):
    """The webhook's host resolves to an address that is not public: nothing is sent there."""

    def __init__(self, *, host: str, address: str, kind: str) -> None:
        super().__init__(f"{host} resolves to {address} ({kind})")
        self.host, self.address, self.kind = host, address, kind


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (socket.gaierror when it resolves to none)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def address_kind(address: str) -> str:
    """Why ``address`` is not public ("loopback", "private", ...); "" when it is."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 is judged as the IPv4 address it reaches.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            ip = embedded
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("not public", not ip.is_global),  # shared (100.64/10: cloud metadata services), documentation ...
    )
    return next((kind for kind, refused in checks if refused), "")


def checked_addresses(host: str, port: int) -> list[str]:
    """The host's addresses, every one of them public; UnsafeAddress names the first that is not."""
    addresses = resolve(host, port)
    if not settings.API_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            kind = address_kind(address)
            if kind:
                raise UnsafeAddress(host=host, address=address, kind=kind)
    return addresses


def webhook_url_refusal(url: str) -> UnsafeAddress | None:
    """Whether ``url`` may be subscribed now: its host's addresses are checked as a delivery checks them.

    A host that does not resolve yet is not refused (the system may be being set up): each delivery checks again.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return UnsafeAddress(host=url, address="", kind="invalid")
    try:
        checked_addresses(host, port)
    except UnsafeAddress as refusal:
        return refusal
    except (OSError, UnicodeError):
        return None
    return None


def _guarded_socket(host: str, port: int, timeout: Any, source_address: Any) -> socket.socket:
    """A connection to one of the host's checked addresses: resolved, checked and connected in one go."""
    error: OSError | None = None
    for address in checked_addresses(host, port):
        try:
            return socket.create_connection((address, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"{host}: no address")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = _guarded_socket(self.host, self.port, self.timeout, getattr(self, "source_address", None))


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = _guarded_socket(self.host, self.port, self.timeout, getattr(self, "source_address", None))
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Any) -> Any:
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed (it could point anywhere): the 3xx is the attempt's answer."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    # No proxy from the environment: the connection goes to the checked address itself.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _NoRedirect, _GuardedHTTPHandler, _GuardedHTTPSHandler
    )


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) only
    try:
        with _opener().open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _attempt(delivery: WebhookDelivery, now: datetime) -> None:
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Regflow-Webhooks/1",
        "Regflow-Event-Id": delivery.event_id,
        SIGNATURE_HEADER: signature(secret=subscription.secret, timestamp=timestamp, body=body),
    }
    status, error, unsafe = None, "", False
    try:
        status = _post(subscription.url, body, headers)
    except UnsafeAddress as refusal:  # DNS changed since the subscription: given up, never sent
        error, unsafe = f"refused: {refusal}", True
        log.warning("webhook_refused delivery=%s %s", delivery.pk, refusal)
    except Exception as exc:  # an unreachable receiver is a failed attempt, never a failed sweep
        error = type(exc).__name__
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.last_error = error[:200]
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, now
    elif unsafe or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"]
    )


def webhook_deliveries_send() -> int:
    """A sweep: send every due delivery once. Safe from two dispatchers at once (rows are leased)."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .select_related("subscription")
            .order_by("next_attempt_at", "pk")[:BATCH]
        )
        for delivery in due:
            if delivery.subscription.revoked_at is not None:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.last_error = "subscription removed"
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=now + LEASE)
        WebhookDelivery.objects.bulk_update(
            [d for d in due if d.status == WebhookDelivery.Status.FAILED], ["status", "last_error"]
        )
    sent = 0
    for delivery in due:
        if delivery.status == WebhookDelivery.Status.PENDING:
            _attempt(delivery, now)
            sent += 1
    return sent
