"""Make the audit trail and the signature register append-only on PostgreSQL.

A trigger refuses every UPDATE and DELETE (row level) and TRUNCATE (statement
level) on both tables. Only a superuser can get past it, by disabling the
trigger or setting session_replication_role = replica; the tamper tests do
exactly that to prove that verify_audit catches what then happens.

One relaxation: Django's test runner empties every table with a single
TRUNCATE between transactional tests, so TRUNCATE is let through in databases
named test_* (Django's naming for test databases), unless the session sets
regflow.audit_strict = on (as the test of this refusal does). The system check
audit.E001 refuses a production database with such a name.

SQLite has no equivalent worth having: the application simply never updates or
deletes these rows, and verify_audit finds it if anything else does.
"""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_signature")

FUNCTION = r"""
CREATE OR REPLACE FUNCTION regflow_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_database() LIKE 'test\_%'
            AND current_setting('regflow.audit_strict', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'regflow: % on % refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION regflow_audit_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION regflow_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
"""


def _run(schema_editor, sql):
    # No parameters, so the driver leaves the % in the RAISE format alone.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _run(schema_editor, FUNCTION)
    for table in TABLES:
        _run(schema_editor, TRIGGERS.format(table=table))


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        _run(schema_editor, DROP.format(table=table))
    _run(schema_editor, "DROP FUNCTION IF EXISTS regflow_audit_append_only();")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_event_scope_columns")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
