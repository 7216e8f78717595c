"""Who hears about what in a termination case, beyond the kit's notices (workflows.cases.notifications)."""

from __future__ import annotations

from workflows.cases.notifications import notify_deadline_approaching as _decision_deadline_approaching

from .models import TerminationCase


def notify_deadline_approaching(*, case: TerminationCase) -> None:
    """The officer holding the bureau decision, or every officer who could take it."""
    from .flows import TerminationFlow

    _decision_deadline_approaching(case=case, node=TerminationFlow.decide)
