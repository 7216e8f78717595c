"""Document content in the database, once per distinct content, addressed by its SHA-256."""

from django.db import migrations, models


def store_content_uncompressed(apps, schema_editor):
    # Scans are PDFs, JPEGs and PNGs, already compressed: PostgreSQL need not try again (EXTERNAL = out of line,
    # uncompressed), and it can then read slices of a large value without decompressing all of it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE documents_blob ALTER COLUMN content SET STORAGE EXTERNAL")


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
        migrations.RunPython(store_content_uncompressed, migrations.RunPython.noop),
    ]
