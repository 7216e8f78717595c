from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

# Rows that must never change once written: the application role may read and append, nothing else.
APPEND_ONLY_MODELS = ("audit.AuditEvent", "audit.Signature")


class Command(BaseCommand):
    help = (
        "Give ROLE (the role of DATABASE_URL, which owns nothing) exactly what the application needs on every table "
        "of the current schema: SELECT, INSERT, UPDATE, DELETE; on the audit trail and the signature register "
        "SELECT and INSERT only; on django_migrations SELECT only. Run it as the owner after every migration (the "
        "release step does, with DATABASE_AS_OWNER=true). PostgreSQL only. See docs/operations.md, 'Database roles'."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", metavar="ROLE", nargs="?", help="default: the user of DATABASE_URL")

    def handle(self, *args: Any, role: str | None, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("SQLite has no roles: nothing to grant.")
            return
        if role is None:
            role = settings.APP_DATABASE_USER
            if not role or role == connection.settings_dict.get("USER"):
                self.stdout.write(
                    self.style.WARNING(
                        "DATABASE_URL connects as the owner of the tables: nothing to grant. Give the application a "
                        "role that owns nothing and the owner to MIGRATE_DATABASE_URL (docs/operations.md)."
                    )
                )
                return
        from psycopg import sql

        append_only = [apps.get_model(label)._meta.db_table for label in APPEND_ONLY_MODELS]
        role_id = sql.Identifier(role)
        statements = [
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}"),
            sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}"),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}"),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}"),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}"),
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"role {role!r} does not exist: create it first (docs/operations.md)")
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tableowner = %s", [schema, role])
            if cursor.fetchone()[0]:
                raise CommandError(f"role {role!r} owns tables: the application role must own nothing")
            schema_id = sql.Identifier(schema)
            for statement in statements:
                cursor.execute(statement.format(schema_id, role_id))
            for table in [*append_only, "django_migrations"]:
                cursor.execute(
                    sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(table), role_id)
                )
            cursor.execute(sql.SQL("REVOKE INSERT ON django_migrations FROM {}").format(role_id))
        self.stdout.write(
            self.style.SUCCESS(
                f"Granted {role}: read and write on the tables of {schema}, append only on {', '.join(append_only)}."
            )
        )
