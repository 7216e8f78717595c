from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.permissions.expectations import build_scene
from tests.permissions.matrix import Scene


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Scans uploaded by the scene and by fuzzed forms go to a throw-away directory."""
    storages = dict(settings.STORAGES)
    storages["default"] = {**storages["default"], "OPTIONS": {"location": tmp_path, "base_url": None}}
    settings.STORAGES = storages


@pytest.fixture
def scene(world: Any) -> Scene:
    return build_scene(world)
