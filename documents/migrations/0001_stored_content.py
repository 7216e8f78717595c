"""Document content in the database, once per distinct content, addressed by its SHA-256."""

from django.db import migrations, models


IMMUTABLE = r"""
CREATE OR REPLACE FUNCTION regflow_blob_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'regflow: UPDATE on % refused: stored content never changes', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER documents_blob_immutable BEFORE UPDATE ON documents_blob
    FOR EACH ROW EXECUTE FUNCTION regflow_blob_immutable();
"""


def postgresql_storage_rules(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # no parameters: the driver leaves % alone
        # Scans are PDFs, JPEGs and PNGs, already compressed: EXTERNAL keeps them out of line without a second try.
        cursor.execute("ALTER TABLE documents_blob ALTER COLUMN content SET STORAGE EXTERNAL")
        # A row is addressed by the hash of its content, so it is never updated; only a superuser who disables
        # the trigger can, and verify_storage then names the row. (Unreferenced rows may still be deleted.)
        cursor.execute(IMMUTABLE)


def postgresql_storage_rules_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS documents_blob_immutable ON documents_blob")
        cursor.execute("DROP FUNCTION IF EXISTS regflow_blob_immutable()")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='Blob',
            fields=[
                ('sha256', models.CharField(max_length=64, primary_key=True, serialize=False, verbose_name='SHA-256')),
                ('size', models.PositiveBigIntegerField(verbose_name='size (bytes)')),
                ('content', models.BinaryField(verbose_name='content')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='stored at')),
            ],
            options={
                'verbose_name': 'stored content',
                'verbose_name_plural': 'stored contents',
            },
        ),
        migrations.RunPython(postgresql_storage_rules, postgresql_storage_rules_drop),
    ]
