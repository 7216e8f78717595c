"""Time `verify_audit` over N audit events (default 100,000).

    .venv/bin/python benchmarks/audit_verify.py                      # SQLite, a throwaway file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/regflow_bench \\
        .venv/bin/python benchmarks/audit_verify.py                  # PostgreSQL: an empty, throwaway database

The database is migrated, filled with a valid chain of realistic events (bulk
inserts, hashes computed as audit_record computes them) and then verified. For
comparison, the same run times reading the rows without hashing, and a plain
SHA-256 over the same canonical bytes: the gap between those and the full
verification is the cost of canonicalisation and chaining.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database_url: str | None) -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["DEBUG"] = "false"  # no query log in memory
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    elif not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.mkdtemp(prefix="regflow-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return os.environ["DATABASE_URL"]


def fill(n: int) -> float:
    from audit.canonical import GENESIS_HASH
    from audit.models import AuditEvent
    from audit.services import event_hash, event_payload, event_seal_now

    if AuditEvent.objects.exists():
        sys.exit("the audit table is not empty: use a fresh, throwaway database")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    actions = ["task.claim", "signature.approved", "termination.submit", "record.read", "termination.amend"]
    prev = GENESIS_HASH
    batch: list[AuditEvent] = []
    began = time.perf_counter()
    for i in range(1, n + 1):
        event = AuditEvent(
            sequence=i,
            occurred_at=start + timedelta(seconds=i * 7, microseconds=i % 1_000_000),
            actor_id=1 + i % 40,
            actor_name=["王芳", "Li Wei", "张医生", "Officer Chen"][i % 4],
            action=actions[i % len(actions)],
            object_type="termination.terminationcase",
            object_id=str(1 + i // 12),
            county_id=1 + i % 5,
            facility_id=10 + i % 23,
            changes={"stage": ["submitted", "reviewed"], "task": i, "step": "approve", "revision": [1, 2]},
            reason="补充材料后重新提交" if i % 10 == 0 else "",
            request_id=f"{i:032x}",
            client_address=f"10.{i % 256}.{(i // 256) % 256}.{i % 200 + 1}",
            prev_hash=prev,
        )
        event.hash = prev = event_hash(prev_hash=prev, payload=event_payload(event))
        event.seal_key, event.seal = event_seal_now(hash=event.hash)
        batch.append(event)
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    if batch:
        AuditEvent.objects.bulk_create(batch)
    return time.perf_counter() - began


def timed(label: str, n: int, fn) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - began
    print(f"  {label:<46} {elapsed:7.2f} s  {n / elapsed:>10,.0f} events/s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else a temporary SQLite file")
    args = parser.parse_args()
    url = setup(args.database_url)

    from django.core.management import call_command
    from django.db import connection

    from audit.canonical import AUDIT_DOMAIN, canonical_json
    from audit.chain import PAYLOAD_FIELDS, event_rows, verify_chain

    n = args.events
    print(f"database: {connection.vendor} ({url.split('@')[-1]}), {n:,} events")
    print(f"  {'fill (build chain + bulk insert)':<46} {fill(n):7.2f} s")

    rows: list[tuple] = []
    timed("baseline: read the rows, no hashing", n, lambda: rows.extend(event_rows()))
    blobs = [
        row[len(PAYLOAD_FIELDS)].encode() + canonical_json(dict(zip(PAYLOAD_FIELDS, row, strict=False))).encode()
        for row in rows
    ]
    timed("baseline: plain SHA-256 over the same bytes", n, lambda: [hashlib.sha256(b).digest() for b in blobs])
    timed(
        "baseline: domain-separated SHA-256, same bytes", n, lambda: [hashlib.sha256(AUDIT_DOMAIN + b) for b in blobs]
    )
    result = None

    def verify() -> None:
        nonlocal result
        result = verify_chain()

    timed("verify_chain() (read + canonicalise + chain)", n, verify)
    assert result is not None and result.ok and result.checked == n, result
    timed("manage.py verify_audit (the command)", n, lambda: call_command("verify_audit", "--no-progress"))


if __name__ == "__main__":
    main()
