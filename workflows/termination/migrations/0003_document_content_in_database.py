"""Scans move from UPLOADS_DIR into the database (documents.Blob), so that pg_dump backs them up.

Each file is read, checked against the SHA-256 recorded at upload, and stored
once per content. A file that is missing or no longer matches its hash is not
moved: the migration names it and goes on, and the document keeps no content
(its page says so; ``manage.py verify_storage`` lists it). Files are left on
disk; remove UPLOADS_DIR once ``verify_storage`` passes. Reversing keeps the
content in the database and does not write files back.
"""

import hashlib
import sys
from pathlib import Path

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import workflows.termination.models


def move_scans_into_database(apps, schema_editor):
    Blob = apps.get_model("documents", "Blob")
    TerminationDocument = apps.get_model("termination", "TerminationDocument")
    uploads = Path(settings.UPLOADS_DIR)
    moved, problems = 0, []
    documents = TerminationDocument.objects.using(schema_editor.connection.alias).order_by("pk")
    for pk, name, recorded in documents.values_list("pk", "file", "sha256"):
        path = uploads / name if name else None
        try:
            content = path.read_bytes() if path is not None else None
        except OSError:
            content = None
        if content is None:
            problems.append(f"termination document {pk}: file {name or '(none)'} missing in {uploads}")
            continue
        digest = hashlib.sha256(content).hexdigest()
        if digest != recorded:
            problems.append(f"termination document {pk}: file {name} does not match its recorded SHA-256; left on disk")
            continue
        Blob.objects.using(schema_editor.connection.alias).bulk_create(
            [Blob(sha256=digest, size=len(content), content=content)], ignore_conflicts=True
        )
        documents.filter(pk=pk).update(blob_id=digest)
        moved += 1
    if moved or problems:
        sys.stdout.write(f"\n  moved {moved} scan(s) from {uploads} into the database\n")
    for problem in problems:
        sys.stdout.write(f"  NOT MOVED: {problem}\n")


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0001_stored_content'),
        ('termination', '0002_decision_deadline_reminder'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='terminationdocument',
            name='blob',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='documents.blob', verbose_name='content'),
        ),
        migrations.RunPython(move_scans_into_database, migrations.RunPython.noop),
        # A default, so that reversing can add the column back on existing rows (empty: no file is written back).
        migrations.AlterField(
            model_name='terminationdocument',
            name='file',
            field=models.FileField(blank=True, default='', upload_to=workflows.termination.models.document_upload_to, verbose_name='scan'),
        ),
        migrations.RemoveField(
            model_name='terminationdocument',
            name='file',
        ),
        migrations.AddConstraint(
            model_name='terminationdocument',
            constraint=models.CheckConstraint(condition=models.Q(('blob__isnull', True), ('blob', models.F('sha256')), _connector='OR'), name='termination_terminationdocument_blob_matches_sha256'),
        ),
    ]
