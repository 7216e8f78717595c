from __future__ import annotations

import io
from typing import Any

from django.apps import apps
from django.core.management import call_command


def snapshot() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_seed_demo_is_idempotent(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = snapshot()
    assert "demo-password-for-tests" in out.getvalue()
    assert first["auth.User"] == 11
    assert first["permissions.Facility"] == 4
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == first
    assert "nothing to do" in out.getvalue()


def test_demo_users_can_log_in(db: Any, client: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    response = client.post("/accounts/login/", {"username": "officer", "password": "demo-password-for-tests"})
    assert response.status_code == 302
