"""`make bench` stays runnable as the models change: a tiny province generated, its audit chain verified, every
page of the load driver opened (docs/performance.md).

The scripts run as `make bench` runs them, in processes of their own, on a throwaway database of their own
(dropped afterwards); at BENCH_SCALE=0.001 they take about half a minute, most of it the migrations.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]


def bench_environment() -> dict[str, str]:
    """The environment every benchmark process runs with (benchmarks/benchenv.py), read from its own file."""
    spec = importlib.util.spec_from_file_location("benchenv", ROOT / "benchmarks" / "benchenv.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.ENV)


pytestmark = pytest.mark.postgres


@pytest.fixture
def bench_database() -> Iterator[str]:
    """A database name no test database uses, per xdist worker; dropped however the test ends."""
    url = os.environ["DATABASE_URL"]
    name = f"regflow_bench_ci_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    bench_url = url.rsplit("/", 1)[0] + "/" + name
    yield bench_url
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(script: list[str], bench_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **bench_environment(), "BENCH_SCALE": "0.001"}
    env["BENCH_DATABASE_URL"] = env["DATABASE_URL"] = bench_url  # never the test database
    return subprocess.run(
        [sys.executable, *script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_the_benchmark_generates_a_valid_province_and_every_measured_page_answers(bench_database: str) -> None:
    generated = run(["benchmarks/generate.py"], bench_database)
    assert generated.returncode == 0, generated.stderr[-3000:]
    for procedure in ("termination", "ultrasound", "retired practitioners", "births", "bulletins"):
        line = next(line for line in generated.stdout.splitlines() if line.strip().startswith(f"{procedure}:"))
        cases, tasks = (int(part.split()[0].replace(",", "")) for part in line.split(":", 1)[1].split(", ")[:2])
        assert cases > 0 and tasks >= cases, line  # every procedure has cases, each with its tasks

    verified = run(["manage.py", "verify_audit"], bench_database)
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
    assert "intact" in verified.stdout

    # inprocess.py opens every page of the load driver and stops at the first that does not answer 200.
    measured = run(["benchmarks/inprocess.py", "--requests", "1"], bench_database)
    assert measured.returncode == 0, measured.stdout[-2000:] + measured.stderr[-3000:]
    for page in ("queue", "ultrasound: case page", "births register", "bulletins: case page", "bulletins analysis"):
        assert f"| {page} |" in measured.stdout
