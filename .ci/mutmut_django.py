"""A pytest plugin for the mutmut runs of .ci/mutate.py: the test database is set up once per run, not per mutant.

mutmut 3 runs pytest several times in one process (the stats run, the clean run, the forced-fail run) and then
once per mutant in a process forked from it. pytest-django's `django_db_setup` calls Django's
`setup_databases` in every one of those sessions; with `--reuse-db` on PostgreSQL that still runs `migrate`
(the migration graph, the checks, every post_migrate handler) and serialises the database, several seconds per
mutant on this project. Here the first session sets the test database up as usual and every later session, the
forked ones included, points the connections at it and skips the rest: the database already has the schema,
and every test leaves it as it found it (a rolled-back transaction, or a flush for transactional tests).
Except a test killed half-way (a mutant that timed out, in a transactional test): a session marks the database
in use while it runs and clears the mark when it ends, and a session that finds the mark left behind flushes
the database first, as the first session of a run always does. Without that, the next mutants fail on the
leftover rows and count as killed.

Connections are closed at the end of each session, so that a forked mutant never shares the parent's socket to
PostgreSQL: it opens its own and closes it when its session ends.

A forked mutant also inherits asgiref's single thread executor (the thread `sync_to_async` and
`database_sync_to_async` run database code on) without its thread: the first async test would wait for it
forever and the mutant would count as a timeout. The fork gets a fresh executor.

Only PostgreSQL: an in-memory SQLite test database lives and dies with its connection, so on SQLite the plugin
leaves pytest-django alone (each mutant then migrates a fresh database, which is slow).

.ci/mutate.py copies this file to the top of the run's tree and passes `-p mutmut_django` to pytest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Present while a session runs; left behind by a session that was killed (in the mutants directory, the cwd).
IN_USE = Path(".mutmut_django_in_use")
_ready: list[tuple[str, str]] = []  # (alias, test database name) once the first session has set them up


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
        else:
            for alias, name in _ready:
                connections[alias].settings_dict["NAME"] = name
            if IN_USE.exists():
                _flush()
        IN_USE.touch()
        return []  # nothing for teardown_databases to undo (with keepdb pytest-django does not call it)

    setup_databases_once.mutmut_once = True  # type: ignore[attr-defined]
    django.test.utils.setup_databases = setup_databases_once


def _fresh_executor_after_fork() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync

    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)


os.register_at_fork(after_in_child=_fresh_executor_after_fork)


def _flush() -> None:
    """Empty every table as a transactional test's teardown does (post_migrate refills the groups and permissions)."""
    from django.core.management import call_command
    from django.db import connections

    for alias in connections:
        call_command("flush", interactive=False, verbosity=0, database=alias)


def pytest_unconfigure(config: Any) -> None:
    from django.db import connections

    connections.close_all()
    IN_USE.unlink(missing_ok=True)
