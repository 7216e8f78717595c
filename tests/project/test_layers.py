"""`make lint` enforces the layers: the real tree passes, and an import that breaks them fails the check.

Each deliberate violation is written into a copy of the source tree (never into the checkout), and the same
commands `make lint` runs are pointed at the copy: lint-imports with the contracts of pyproject.toml, and
.ci/check_private_imports.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("project", "api", "workflows", "audit", "permissions", "documents", "core")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.slow


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The Python source of every app and the contracts, in a scratch directory."""
    skip = shutil.ignore_patterns("templates", "static", "locale", "__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / ".ci", tmp_path / ".ci", ignore=skip)
    return tmp_path


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def private_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / ".ci" / "check_private_imports.py"), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def add_import(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")


def test_the_tree_keeps_its_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert private_imports(ROOT).returncode == 0


def test_the_copy_keeps_its_layers_before_anything_is_broken(tree: Path) -> None:
    """Guard against a copy that fails for another reason (so the failures below are the violations')."""
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr


UPWARD_IMPORTS = {
    "the core importing a procedure": (
        "core/fields.py",
        "import workflows.termination.models",
        "core is not allowed to import workflows",
    ),
    "permissions importing the workflow glue": (
        "permissions/roles.py",
        "from workflows import events",
        "permissions is not allowed to import workflows",
    ),
    "the engine glue importing a procedure": (
        "workflows/sweeps.py",
        "from workflows.termination import services",
        "workflows.sweeps is not allowed to import workflows.termination",
    ),
}


@pytest.mark.parametrize("case", UPWARD_IMPORTS)
def test_an_upward_import_breaks_the_layers(tree: Path, case: str) -> None:
    module, line, complaint = UPWARD_IMPORTS[case]
    add_import(tree / module, line)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert complaint in result.stdout


def test_one_procedure_importing_another_breaks_the_layers(tree: Path) -> None:
    add_import(
        tree / "workflows" / "ultrasound" / "models.py", "from workflows.termination.models import TerminationCase"
    )
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "workflows.ultrasound is not allowed to import workflows.termination" in result.stdout


def test_a_new_workflows_module_must_be_placed_in_a_layer(tree: Path) -> None:
    (tree / "workflows" / "unplaced.py").write_text("")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "workflows.unplaced" in result.stdout


def test_a_private_name_taken_from_another_app_fails_the_check(tree: Path) -> None:
    add_import(tree / "workflows" / "sweeps.py", "from audit.services import _reason_required")
    result = private_imports(tree)
    assert result.returncode != 0
    assert "workflows.sweeps takes audit.services._reason_required from audit" in result.stdout


def test_a_private_name_used_inside_its_own_app_is_fine(tree: Path) -> None:
    add_import(tree / "audit" / "views.py", "from .services import _reason_required")
    assert private_imports(tree).returncode == 0
