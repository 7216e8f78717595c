from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from viewflow.workflow.models import Task

from permissions.access import cases_for_user
from workflows.termination import demo as termination_demo
from workflows.termination.flows import TerminationFlow
from workflows.termination.models import Stage, TerminationCase

BASE_DIR = Path(__file__).resolve().parents[2]


def snapshot() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_seed_demo_is_idempotent(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = snapshot()
    assert "demo-password-for-tests" in out.getvalue()
    assert first["auth.User"] == 14  # with a health supervision officer per county
    assert first["permissions.Facility"] == 4
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == first
    assert "nothing to do" in out.getvalue()


def test_demo_users_can_log_in(db: Any, client: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    response = client.post("/accounts/login/", {"username": "officer", "password": "demo-password-for-tests"})
    assert response.status_code == 302


def _seed(monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())


def test_county_b_has_cases_in_several_states_for_its_clerk_and_officer(db: Any, monkeypatch: Any) -> None:
    _seed(monkeypatch)
    users = get_user_model().objects.in_bulk(["clerk_b", "officer_b"], field_name="username")
    expected = {Stage.FACILITY_REVIEW, Stage.RETURNED, Stage.BUREAU_REVIEW, Stage.APPROVED, Stage.COMPLETED}
    for username in ("clerk_b", "officer_b"):
        stages = set(cases_for_user(users[username], model=TerminationCase).values_list("stage", flat=True))
        assert expected | {Stage.REJECTED} <= stages, username
    county_b = TerminationCase.objects.filter(facility__name__contains="Xiping")
    assert county_b.count() == 6
    # The officer of county B has a decision waiting, and the clerk a returned case to amend.
    assert Task.objects.filter(
        process__in=county_b, flow_task=TerminationFlow.decide, status="NEW", owner_permission__isnull=False
    ).exists()
    assert Task.objects.filter(process__in=county_b, flow_task=TerminationFlow.amend, status="NEW").exists()


def test_an_older_demo_gains_the_new_scenarios_without_duplicates(db: Any, monkeypatch: Any) -> None:
    scenarios = termination_demo.SCENARIOS
    monkeypatch.setattr(termination_demo, "SCENARIOS", scenarios[:10])
    _seed(monkeypatch)
    assert TerminationCase.objects.count() == 10
    monkeypatch.setattr(termination_demo, "SCENARIOS", scenarios)
    _seed(monkeypatch)
    assert TerminationCase.objects.count() == len(scenarios)
    _seed(monkeypatch)
    assert TerminationCase.objects.count() == len(scenarios)


@pytest.mark.parametrize("variable", ["DATABASE_URL", "UPLOADS_DIR"])
def test_demo_reset_refuses_to_touch_a_configured_database(variable: str, tmp_path: Path) -> None:
    marker = tmp_path / "keep.sqlite3"
    marker.write_text("real data")
    env = {**os.environ, variable: f"sqlite:///{marker}" if variable == "DATABASE_URL" else str(tmp_path)}
    result = subprocess.run(
        ["make", "--no-print-directory", "demo-reset"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "deletes only the embedded demo" in result.stdout
    assert marker.read_text() == "real data"


def test_demo_reset_deletes_the_embedded_database_then_seeds_afresh() -> None:
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo-reset"],
        cwd=BASE_DIR,
        env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "UPLOADS_DIR"}},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "rm -f db.sqlite3" in dry_run and "rm -rf var/uploads" in dry_run
    assert dry_run.index("rm -f db.sqlite3") < dry_run.index("manage.py migrate") < dry_run.index("seed_demo")
