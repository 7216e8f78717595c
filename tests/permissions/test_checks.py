"""The system checks that keep procedures scoped pass today and catch the mistakes they name."""

from __future__ import annotations

from typing import Any

from viewflow.workflow.flow.viewset import FlowAppViewset

from workflows import checks
from workflows.termination.flows import TerminationFlow


def test_the_project_passes_its_scoping_checks() -> None:
    assert checks.mounted_flow_viewsets(), "the check must see the mounted procedures"
    assert checks.check_flow_viewsets_are_scoped(None) == []
    assert checks.check_human_steps_use_the_shared_nodes(None) == []


def test_an_unscoped_flow_viewset_is_an_error(monkeypatch: Any) -> None:
    raw = FlowAppViewset(TerminationFlow)
    monkeypatch.setattr(checks, "mounted_flow_viewsets", lambda: [raw])
    [error] = checks.check_flow_viewsets_are_scoped(None)
    assert error.id == "workflows.E001"
