"""Migration termination/0003 moves scans from UPLOADS_DIR into the database and names those it cannot move."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from documents.models import Blob
from workflows.termination.models import TerminationDocument

from .conftest import PDF

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("termination", "0002_decision_deadline_reminder")]
AFTER = [("termination", "0003_document_content_in_database")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def test_scans_on_disk_move_into_the_database_and_lost_ones_are_reported(
    driver: Any, world: Any, settings: Any, tmp_path: Path, capsys: Any
) -> None:
    case = driver.submit(pathway="sex_linked")  # three documents
    kept, lost, altered = case.documents.order_by("pk").values_list("pk", flat=True)
    settings.UPLOADS_DIR = tmp_path
    try:
        executor = migrate(BEFORE)
        OldDocument = executor.loader.project_state(BEFORE).apps.get_model("termination", "TerminationDocument")
        with connection.cursor() as cursor:  # as an older version left it: scans only on disk
            cursor.execute("DELETE FROM documents_blob")
        (tmp_path / "termination").mkdir()
        for pk in (kept, lost, altered):
            OldDocument.objects.filter(pk=pk).update(file=f"termination/{pk:032x}")
        (tmp_path / "termination" / f"{kept:032x}").write_bytes(PDF)
        (tmp_path / "termination" / f"{altered:032x}").write_bytes(PDF + b"% edited on disk\n")
        capsys.readouterr()

        migrate(AFTER)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    digest = hashlib.sha256(PDF).hexdigest()
    assert dict(TerminationDocument.objects.values_list("pk", "blob_id")) == {kept: digest, lost: None, altered: None}
    assert bytes(Blob.objects.get(pk=digest).content) == PDF
    output = capsys.readouterr().out
    assert f"moved 1 scan(s) from {tmp_path} into the database" in output
    assert f"NOT MOVED: termination document {lost}: file termination/{lost:032x} missing" in output
    assert f"NOT MOVED: termination document {altered}: file termination/{altered:032x} does not match" in output
