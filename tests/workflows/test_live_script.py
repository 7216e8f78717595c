"""The notification script's reconnect policy (static/regflow/live.js), tested under node with a fake clock."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.node
def test_live_script_backs_off_against_a_server_that_closes_at_once() -> None:
    node = shutil.which("node")
    assert node is not None  # the marker skips this test without node (and CI refuses the skip)
    result = subprocess.run(
        [node, "--test", str(ROOT / "tests" / "js" / "live_backoff.test.js")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
