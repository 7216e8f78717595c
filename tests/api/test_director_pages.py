"""The facility director creates, rotates and revokes the facility's API clients on pages, audited."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.models import ServiceAccount
from audit.models import AuditEvent

from .conftest import token_for

pytestmark = pytest.mark.django_db


def test_a_director_creates_a_client_sees_its_secret_once_and_the_trail_names_both(world: Any, login: Any) -> None:
    director = login(world.director)
    response = director.post(
        "/api/clients/new/",
        {"facility": world.hospital_a.pk, "name": "Hospital A HIS", "scopes": ["termination:read", "termination:file"]},
    )
    assert response.status_code == 200
    account = ServiceAccount.objects.get(name="Hospital A HIS")
    secret = re.search(r"<dt>[^<]*secret[^<]*</dt><dd><code>([^<]+)</code>", response.content.decode(), re.IGNORECASE)
    assert secret is not None
    assert token_for(account.application.client_id, secret.group(1))[0] == 200
    listing = director.get("/api/clients/").content.decode()
    assert account.application.client_id in listing and secret.group(1) not in listing  # shown once
    event = AuditEvent.objects.get(action="api.client_create")
    assert event.actor_id == world.director.pk and account.application.client_id in str(event.changes)


def test_rotation_replaces_the_secret_and_ends_the_old_one(world: Any, login: Any, system: Any) -> None:
    director = login(world.director)
    response = director.post(f"/api/clients/{system.account.pk}/rotate/")
    assert response.status_code == 200
    new = re.search(r"<dt>[^<]*secret[^<]*</dt><dd><code>([^<]+)</code>", response.content.decode(), re.IGNORECASE)
    assert new is not None and new.group(1) != system.secret
    client_id = system.account.application.client_id
    assert token_for(client_id, system.secret)[0] == 401
    assert token_for(client_id, new.group(1))[0] == 200
    assert system.http.get("/api/v1/termination/requests/").status_code == 401  # its old tokens ended too
    assert AuditEvent.objects.filter(action="api.client_rotate", actor_id=world.director.pk).exists()


def test_revocation_needs_a_reason_and_is_audited(world: Any, login: Any, system: Any) -> None:
    director = login(world.director)
    director.post(f"/api/clients/{system.account.pk}/revoke/", {"reason": ""})
    system.account.refresh_from_db()
    assert system.account.revoked_at is None
    director.post(f"/api/clients/{system.account.pk}/revoke/", {"reason": "system retired"})
    system.account.refresh_from_db()
    assert system.account.revoked_at is not None
    assert token_for(system.account.application.client_id, system.secret)[0] == 401
    event = AuditEvent.objects.get(action="api.client_revoke")
    assert event.reason == "system retired" and event.actor_id == world.director.pk


def test_only_the_facilitys_director_manages_its_clients(world: Any, login: Any, system: Any) -> None:
    for persona in (world.clerk, world.officer, world.clerk_b):
        client = login(persona)
        assert client.get("/api/clients/").status_code == 404
        assert client.post(f"/api/clients/{system.account.pk}/rotate/").status_code == 404
        client.logout()


def test_a_client_cannot_ask_for_scopes_it_was_not_granted(world: Any) -> None:
    from .conftest import make_system

    reader = make_system(world, scopes=["termination:read"])
    status, body = token_for(reader.account.application.client_id, reader.secret, "termination:file")
    assert status == 400 and body["error"] == "invalid_scope"


def test_clients_are_throttled_per_client(world: Any, system: Any, settings: Any) -> None:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    from .conftest import make_system

    other = make_system(world, scopes=["termination:read"])
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "client": "3/minute"}
    SimpleRateThrottle.THROTTLE_RATES, before = rates, SimpleRateThrottle.THROTTLE_RATES
    try:
        answers = [system.http.get("/api/v1/termination/requests/").status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        response = system.http.get("/api/v1/termination/requests/")
        assert response.json()["type"] == "/api/problems/throttled" and "Retry-After" in response
        assert other.http.get("/api/v1/termination/requests/").status_code == 200  # its own budget
    finally:
        SimpleRateThrottle.THROTTLE_RATES = before
