"""A pytest plugin for the mutmut runs of .ci/mutate.py: the test database is set up once per run, not per mutant.

mutmut 3 runs pytest several times in one process (the stats run, the clean run, the forced-fail run) and then
once per mutant in a process forked from it. pytest-django's `django_db_setup` calls Django's
`setup_databases` in every one of those sessions; with `--reuse-db` on PostgreSQL that still runs `migrate`
(the migration graph, the checks, every post_migrate handler) and serialises the database, several seconds per
mutant on this project. Here the first session sets the test database up as usual and every later session, the
forked ones included, points the connections at it and skips the rest: the database already has the schema,
and every test leaves it as it found it (a rolled-back transaction, or a flush for transactional tests).
Except a test killed half-way (a mutant that timed out, in a transactional test, never flushes): then the
next mutants would fail on the leftover rows and count as killed. So each session first compares every
table's row count with the counts of the freshly flushed database (one query), and flushes again if they
differ or if the session before it never ended (it marks the database in use while it runs). The first
session of a run always flushes.

Connections, and psycopg's connection pool (project.settings), are closed at the end of each session, so that
a forked mutant never shares the parent's sockets to PostgreSQL and has a pool of its own: a pool inherited
by the fork has lost its worker threads, and a test that needs a second connection (the race tests) waits
five seconds and fails ("couldn't get a connection"), a kill that says nothing about the mutant.

A forked mutant also inherits asgiref's single thread executor (the thread `sync_to_async` and
`database_sync_to_async` run database code on) without its thread: the first async test would wait for it
forever and the mutant would count as a timeout. The fork gets a fresh executor.

Only PostgreSQL: an in-memory SQLite test database lives and dies with its connection, so on SQLite the plugin
leaves pytest-django alone (each mutant then migrates a fresh database, which is slow).

Every failing test is logged, with the mutant and the last line of its error, to `kills.log` beside the
mutants directory: a kill is only evidence if the test failed for the mutant's sake (read it for any kill that
looks too cheap).

.ci/mutate.py copies this file to the top of the run's tree and passes `-p mutmut_django` to pytest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Present while a session runs; left behind by a session that was killed (in the mutants directory, the cwd).
IN_USE = Path(".mutmut_django_in_use")
KILLS = Path("..") / "kills.log"
_ready: list[tuple[str, str]] = []  # (alias, test database name) once the first session has set them up
_clean_counts: dict[tuple[str, str], int] = {}  # (alias, table): rows, in the freshly flushed database


def pytest_configure(config: Any) -> None:
    import django.test.utils
    from django.db import connections

    if any(connections[alias].vendor != "postgresql" for alias in connections):
        return
    real_setup = django.test.utils.setup_databases
    if getattr(real_setup, "mutmut_once", False):
        return

    def setup_databases_once(*args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("keepdb"):
            return real_setup(*args, **kwargs)  # without --reuse-db: pytest-django's own behaviour
        if not _ready:
            real_setup(*args, **kwargs)
            _ready.extend((alias, connections[alias].settings_dict["NAME"]) for alias in connections)
            _flush()  # whatever an earlier, interrupted run left
            _clean_counts.update(_row_counts())
        else:
            for alias, name in _ready:
                connections[alias].settings_dict["NAME"] = name
            if IN_USE.exists() or _row_counts() != _clean_counts:
                _flush()
            _forget_cached_rows()
        IN_USE.touch()
        return []  # nothing for teardown_databases to undo (with keepdb pytest-django does not call it)

    setup_databases_once.mutmut_once = True  # type: ignore[attr-defined]
    django.test.utils.setup_databases = setup_databases_once


def _fresh_executor_after_fork() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync

    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)


os.register_at_fork(after_in_child=_fresh_executor_after_fork)


def _row_counts() -> dict[tuple[str, str], int]:
    from django.db import connections

    counts = {}
    for alias in connections:
        connection = connections[alias]
        tables = connection.introspection.table_names(include_views=False)
        # Table names from the database's own catalogue, quoted: nothing here comes from outside.
        query = " UNION ALL ".join(f"SELECT %s, count(*) FROM {connection.ops.quote_name(t)}" for t in tables)  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(query, tables)
            counts.update({(alias, table): rows for table, rows in cursor.fetchall()})
    return counts


def _forget_cached_rows() -> None:
    """Drop the content types this process cached from an earlier session.

    A flush (any transactional test's teardown) recreates the content types and permissions under new ids.
    A mutant's process is forked from the parent, whose ContentType cache still holds the ids of the
    parent's last session: without this, every mutant after the first flush fails in its first fixture
    (no permission matches the stale content type) and counts as killed.
    """
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def _flush() -> None:
    """Empty every table as a transactional test's teardown does (post_migrate refills the groups and permissions)."""
    from django.core.management import call_command
    from django.db import connections

    for alias in connections:
        call_command("flush", interactive=False, verbosity=0, database=alias)


def pytest_unconfigure(config: Any) -> None:
    from django.db import connections

    connections.close_all()
    for alias in connections:
        close_pool = getattr(connections[alias], "close_pool", None)
        if close_pool is not None:
            close_pool()
    IN_USE.unlink(missing_ok=True)


def pytest_runtest_logreport(report: Any) -> None:
    if report.failed:
        lines = str(report.longrepr).strip().splitlines() or [""]
        with KILLS.open("a") as log:
            log.write(f"{os.environ.get('MUTANT_UNDER_TEST', '')}\t{report.nodeid}\t{report.when}\t{lines[-1][:300]}\n")
