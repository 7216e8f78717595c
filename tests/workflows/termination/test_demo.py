"""seed_demo adds a termination case in every state, once."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command

from workflows.termination.models import Stage, TerminationCase


def test_seed_demo_adds_cases_in_every_state_and_is_idempotent(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    stages = set(TerminationCase.objects.values_list("stage", flat=True))
    assert stages == set(Stage.values)
    assert TerminationCase.objects.filter(emergency=True, flagged_for_inspection=True).exists()
    count = TerminationCase.objects.count()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert TerminationCase.objects.count() == count
    assert "already present" in out.getvalue()
