"""The flow lock every procedure uses: viewflow's row lock, safe inside a transaction of ours.

viewflow's ``select_for_update_lock`` tries ``SELECT … FOR UPDATE NOWAIT`` and
catches the refusal inside its own ``atomic`` block. As the outermost
transaction that is harmless. Nested in a transaction of ours (a service such
as ``termination_withdraw``, the bulk claim's per-task transaction), the
refused statement aborts our whole transaction on PostgreSQL: the block then
fails to release its savepoint ("current transaction is aborted") and the
request answers 500 instead of "busy, try again".

Here each attempt runs in a savepoint of its own that is rolled back when
PostgreSQL refuses, so the caller's transaction stays usable; after the last
attempt ``FlowLockFailed`` is raised, which the viewsets answer with
``BUSY_MESSAGE`` while the caller's transaction rolls back. A granted row lock
belongs to the enclosing transaction (PostgreSQL keeps the locks of a released
savepoint), which this lock opens when the caller has none.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, transaction
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.lock import SelectForUpdateLock


class SavepointSelectForUpdateLock(SelectForUpdateLock):
    """``SELECT … FOR UPDATE NOWAIT`` on the process row, each attempt in its own savepoint."""

    def pause(self, attempt: int) -> None:
        """Back off before the next attempt (viewflow's schedule: about 6-10 s over five attempts)."""
        time.sleep(((attempt + 1) * random.random() + 2**attempt) / 2.5)  # noqa: S311 - jitter, not a secret

    @contextmanager
    def __call__(self, flow_class: Any, process_pk: Any) -> Iterator[None]:
        rows = flow_class.process_class._default_manager.filter(pk=process_pk)
        with transaction.atomic():
            for attempt in range(self.attempts):
                try:
                    with transaction.atomic():  # a savepoint: a refusal rolls back only this statement
                        rows.select_for_update(nowait=self.nowait).exists()
                except DatabaseError:
                    if attempt == self.attempts - 1:
                        raise FlowLockFailed(f"Lock failed for {flow_class}") from None
                    self.pause(attempt)
                else:
                    break
            yield


flow_lock = SavepointSelectForUpdateLock()
