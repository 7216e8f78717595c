"""The restore drill of docs/operations.md: dump, restore into a new database, and carry on there.

It runs on PostgreSQL with the same client tools an operator uses (pg_dump,
createdb, pg_restore): the case, its scans, signatures and trail survive a dump
and restore, both checks pass on the copy, a new approval appends to the chain,
and every document downloads with the hash the case recorded.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEvent, Signature
from documents.models import Blob
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import Stage, TerminationCase, TerminationDocument

from .conftest import scan
from .test_documents import on_disk

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def client_tool(name: str) -> str:
    """The server's own major version of a client tool (Debian keeps several side by side), else PATH's."""
    major = connection.cursor().connection.info.server_version // 10000
    for candidate in (Path(f"/usr/lib/postgresql/{major}/bin/{name}"), shutil.which(name)):
        if candidate and Path(candidate).exists():
            return str(candidate)
    pytest.fail(f"{name} not found in /usr/lib/postgresql/{major}/bin or PATH")


def run(tool: str, *args: str) -> None:
    settings = connection.settings_dict
    env = {
        **os.environ,
        "PGHOST": settings["HOST"] or "",
        "PGPORT": str(settings["PORT"] or ""),
        "PGUSER": settings["USER"] or "",
        "PGPASSWORD": settings["PASSWORD"] or "",
    }
    completed = subprocess.run([client_tool(tool), *args], env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, f"{tool} failed: {completed.stderr}"


def counts() -> dict[str, int]:
    return {
        "cases": TerminationCase.objects.count(),
        "documents": TerminationDocument.objects.count(),
        "blobs": Blob.objects.count(),
        "events": AuditEvent.objects.count(),
        "signatures": Signature.objects.count(),
    }


def use_database(name: str) -> None:
    connection.close()
    if connection.vendor == "postgresql":
        connection.close_pool()  # the pool keeps connections to the old database: the next one opens anew
    connection.settings_dict["NAME"] = name


def test_a_dump_restores_into_a_new_database_that_verifies_and_carries_on(
    driver: Any, world: Any, tmp_path: Path, settings: Any
) -> None:
    on_disk(settings, tmp_path / "uploads")  # where older versions kept scans: nothing may depend on it
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    # A second case with its own scans, one of them a copy of the first case's (stored once).
    other = driver.submit(
        pathway="widowed",
        **{"documents-1-file": scan(content=b"%PDF-1.4\n% death certificate\n%%EOF\n")},
    )
    assert driver.refresh(case).stage == Stage.BUREAU_REVIEW
    before = counts()
    assert before["blobs"] == 2 and before["documents"] == 4 and before["signatures"] == 1
    recorded = dict(TerminationDocument.objects.values_list("pk", "sha256"))

    original = connection.settings_dict["NAME"]
    restored = f"{original}_restore_{uuid.uuid4().hex[:12]}"
    dump = tmp_path / "regflow.dump"
    run("pg_dump", "--format=custom", f"--file={dump}", original)
    shutil.rmtree(tmp_path / "uploads", ignore_errors=True)  # a new host: the dump is all there is
    run("createdb", restored)
    try:
        run("pg_restore", "--exit-on-error", f"--dbname={restored}", str(dump))
        use_database(restored)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            assert cursor.fetchone()[0] == restored

        assert counts() == before
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
        call_command("verify_storage", stdout=io.StringIO(), stderr=io.StringIO())

        for pk, sha256 in recorded.items():
            document = TerminationDocument.objects.get(pk=pk)
            response = driver.client(world.officer).get(F.instance.reverse("document", args=[document.case_id, pk]))
            assert response.status_code == 200, pk
            assert hashlib.sha256(response.content).hexdigest() == sha256

        head = AuditEvent.objects.order_by("-sequence").first()
        response = driver.act(world.officer, case, F.decide, {"decision": "approve"})
        assert response.status_code == 302
        assert driver.refresh(case).stage == Stage.APPROVED and driver.refresh(case).certificate_number
        appended = list(AuditEvent.objects.filter(sequence__gt=head.sequence).order_by("sequence"))
        assert appended and appended[0].prev_hash == head.hash
        assert "termination.decide" in [event.action for event in appended]
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
        assert other.pk in TerminationCase.objects.values_list("pk", flat=True)
    finally:
        use_database(original)
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [restored])
        assert cursor.fetchone()[0] == 0
