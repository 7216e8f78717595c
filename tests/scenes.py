"""What every procedure's test scene needs to drive its cases as the flow views do: a request to sign
with, and a task completed by a person (claimed, started, performed under the flow lock)."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from workflows.services import task_complete


def fake_request(user: Any) -> Any:
    request = RequestFactory().post("/")
    request.user = user
    request.session = {}
    request.request_id = ""
    return request


def task_run(case: Any, node: Any, user: Any, perform: Any) -> None:
    """Claim the node's open task as ``user`` and complete it with ``perform(activation, request)``."""
    request = fake_request(user)
    task_complete(
        process=case, node=node, user=user, perform=lambda activation: perform(activation, request), request=request
    )


def procedure_sweeps_run(code: str) -> int:
    """Run one procedure's sweeps, as the dispatcher would, and count what they acted on.

    The dispatcher runs every registered sweep (workflows.sweeps.sweeps_run); a test that counts one
    procedure's reminders runs only that procedure's, since the others' (births' monthly deadline notices,
    say) act on the same world's facilities."""
    from workflows.cases.registry import procedure

    return sum(sweep() for sweep in procedure(code).sweeps)
