"""The environment every benchmark process shares: production settings on loopback, a throwaway database."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/regflow_bench")
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - every generated user's password, on a throwaway database

ENV = {
    "DJANGO_SETTINGS_MODULE": "project.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-" + "k" * 40,
    "DATABASE_URL": BENCH_DATABASE,
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",  # loopback HTTP; everything else as in production
    "FIELD_ENCRYPTION_KEYS": "hKFV8O4JT37BN25kTsmrBj8IgOGqKr12q7uNRkg72Ts=",
    "FIELD_HASH_KEY": "bench-only-hmac-key-for-resident-id-comparison",
    "AUDIT_CHAIN_KEYS": "bench-only-audit-seal-key-kept-outside-the-database",
    "LOG_LEVEL": "WARNING",
    "REGFLOW_BENCH_ANCHORS": "true",  # the two anchor pages (project/bench.py), superusers only
}


def setup() -> None:
    """Set the environment and start Django in this process."""
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    # Always the benchmark's database (BENCH_DATABASE_URL), never one a DATABASE_URL of the shell names: the
    # daphne that load.py starts gets ENV's, and the two must read the same data.
    os.environ["DATABASE_URL"] = BENCH_DATABASE
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
