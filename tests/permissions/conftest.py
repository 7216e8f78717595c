from __future__ import annotations

from typing import Any

import pytest

from .expectations import build_scene
from .matrix import Scene


@pytest.fixture
def scene(world: Any) -> Scene:
    """The world's personas plus records inside and outside each persona's scope."""
    return build_scene(world)
