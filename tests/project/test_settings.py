"""Settings read the environment strictly, and production values pass the deploy checks."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "project" / "settings.py"

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "production-like-secret-key-with-enough-entropy-0123456789",
    "DATABASE_URL": "postgres://regflow@127.0.0.1:5432/regflow",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "regflow.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://regflow.example.org",
    "SECURE_PROXY_SSL_HEADER": "true",
    "FIELD_ENCRYPTION_KEYS": "hKFV8O4JT37BN25kTsmrBj8IgOGqKr12q7uNRkg72Ts=",
    "FIELD_HASH_KEY": "production-like-hmac-key-for-resident-id-comparison",
    "AUDIT_CHAIN_KEYS": "production-like-audit-seal-key-kept-outside-the-database",
}


def load_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for key in ["DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"]:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(SETTINGS))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/regflow"),
        ("DATABASE_URL", "nonsense"),
        ("REDIS_URL", "http://localhost:6379"),
        ("CSRF_TRUSTED_ORIGINS", "regflow.example.org"),
        ("UPLOAD_MAX_BYTES", "ten megabytes"),
        ("DISPLAY_TIME_ZONE", "Mars/Olympus_Mons"),
        ("SECURE_HSTS_SECONDS", "-1"),
    ],
)
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    env = {"DEBUG": "true", variable: value}
    with pytest.raises(ImproperlyConfigured, match=variable):
        load_settings(monkeypatch, **env)


def test_secret_key_is_required_when_debug_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings(monkeypatch, DEBUG="false")


def test_embedded_defaults_are_sqlite_immediate_and_in_memory_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(monkeypatch, DEBUG="true")
    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert settings["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"


def test_services_are_switched_by_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(monkeypatch, **PRODUCTION_ENV)
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]


def test_postgresql_goes_through_a_bounded_pool_sized_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(monkeypatch, **PRODUCTION_ENV, DATABASE_POOL_MIN="1", DATABASE_POOL_MAX="7")
    database = settings["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 0  # Django's persistent connections are what leaked (issue #16)
    assert database["OPTIONS"]["pool"]["min_size"] == 1
    assert database["OPTIONS"]["pool"]["max_size"] == 7


@pytest.mark.postgres
def test_postgresql_connections_run_without_jit(db: Any) -> None:
    """JIT compiling cost the queue's queries more than running them, at a million tasks (docs/performance.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DATABASE_POOL_MAX", "0"), ("DATABASE_POOL_MAX", "many"), ("DATABASE_POOL_MIN", "11")],
)
def test_a_bad_pool_size_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=variable):
        load_settings(monkeypatch, **PRODUCTION_ENV, **{variable: value})


def run_check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "SECURE_SSL_REDIRECT"}
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_values() -> None:
    result = run_check(PRODUCTION_ENV, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_fails_with_debug_on() -> None:
    result = run_check({**PRODUCTION_ENV, "DEBUG": "true"}, "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


def test_in_memory_channel_layer_is_refused_when_debug_is_off() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = run_check(env)
    assert result.returncode != 0
    assert "project.E001" in result.stderr + result.stdout


def test_development_field_keys_are_refused_by_the_deploy_check() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("FIELD_")}
    result = run_check(env, "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "core.E001" in result.stderr + result.stdout


def test_sqlite_is_refused_when_debug_is_off() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DATABASE_URL"}
    result = run_check(env)
    assert result.returncode != 0
    assert "project.E002" in result.stderr + result.stdout


def test_the_release_step_alone_connects_as_the_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    """DATABASE_URL is the application's role; MIGRATE_DATABASE_URL is used only with DATABASE_AS_OWNER=true."""
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": "postgres://regflow_app:pw@db:5432/regflow",
        "MIGRATE_DATABASE_URL": "postgres://regflow_owner:pw2@db:5432/regflow",
    }
    app = load_settings(monkeypatch, **env)
    assert (app["DATABASES"]["default"]["USER"], app["APP_DATABASE_USER"]) == ("regflow_app", "regflow_app")
    owner = load_settings(monkeypatch, **env, DATABASE_AS_OWNER="true")
    assert (owner["DATABASES"]["default"]["USER"], owner["APP_DATABASE_USER"]) == ("regflow_owner", "regflow_app")


def test_development_audit_seal_key_is_refused_by_the_deploy_check() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_CHAIN_KEYS"}
    result = run_check(env, "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "audit.E002" in result.stderr + result.stdout


def test_a_short_audit_seal_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="AUDIT_CHAIN_KEYS"):
        load_settings(monkeypatch, DEBUG="true", AUDIT_CHAIN_KEYS="short")
