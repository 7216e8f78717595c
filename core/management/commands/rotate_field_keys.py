"""Re-encrypt every encrypted patient field under the first key of FIELD_ENCRYPTION_KEYS.

Key rotation (docs/operations.md): put the new key first, keep the old ones, deploy, run this
command, then drop the old keys. Values are rewritten in batches, each in its own transaction, and
only if the row still holds the ciphertext that was read (a value the application changed meanwhile
is already under the new key). A value no key can read is never touched: it is listed, and the
command exits non-zero, because dropping the old keys would then lose nothing more but hide a problem.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from core.fields import EncryptedTextField, ciphertext_rotate


def encrypted_columns() -> list[tuple[str, str, list[str]]]:
    """(table, primary-key column, encrypted columns) of every model that declares encrypted fields itself."""
    found = []
    for model in apps.get_models():
        columns = [f.column for f in model._meta.local_concrete_fields if isinstance(f, EncryptedTextField)]
        if columns:
            found.append((model._meta.db_table, model._meta.pk.column, columns))
    return found


class Command(BaseCommand):
    help = "Re-encrypt every encrypted patient field under the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--dry-run", action="store_true", help="count what would be rewritten, write nothing")

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **options: Any) -> None:
        q = connection.ops.quote_name
        rewritten, unreadable = 0, []
        for table, pk, columns in encrypted_columns():
            last = None
            while True:
                select = f"SELECT {q(pk)}, {', '.join(q(c) for c in columns)} FROM {q(table)}"  # noqa: S608
                params: list[Any] = []
                if last is not None:
                    select += f" WHERE {q(pk)} > %s"
                    params.append(last)
                select += f" ORDER BY {q(pk)} LIMIT %s"
                params.append(batch_size)
                with connection.cursor() as cursor:
                    cursor.execute(select, params)
                    rows = cursor.fetchall()
                if not rows:
                    break
                with transaction.atomic(), connection.cursor() as cursor:
                    for row in rows:
                        for column, value in zip(columns, row[1:], strict=True):
                            if not value:
                                continue
                            try:
                                fresh = ciphertext_rotate(value)
                            except InvalidToken:
                                unreadable.append(f"{table}.{column} {pk}={row[0]}")
                                continue
                            rewritten += 1
                            if not dry_run:
                                cursor.execute(
                                    f"UPDATE {q(table)} SET {q(column)} = %s WHERE {q(pk)} = %s AND {q(column)} = %s",  # noqa: S608
                                    [fresh, row[0], value],
                                )
                last = rows[-1][0]
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(f"{verb} {rewritten} value(s) under the first key of FIELD_ENCRYPTION_KEYS")
        if unreadable:
            for where in unreadable:
                self.stderr.write(f"unreadable with every configured key, left as it is: {where}")
            raise CommandError(
                f"{len(unreadable)} value(s) could not be read with any key in FIELD_ENCRYPTION_KEYS: "
                "restore the key they were written with before dropping any old key",
                returncode=1,
            )
