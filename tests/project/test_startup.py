"""What the ASGI entry point does once, at startup, for every request after it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_asgi_entry_point_hides_the_startup_heap_from_the_cyclic_collector() -> None:
    """project.asgi freezes what startup built (gc.freeze): a full collection no longer walks it on each request.

    Run in a fresh interpreter, as daphne loads it: the modules, the app registry and the URL resolver are
    frozen, and what is left for the collector to walk is a small part of the heap.
    """
    code = (
        "import gc, project.asgi; from django.urls import get_resolver; "
        "print(gc.get_freeze_count(), len(gc.get_objects()), get_resolver()._populated)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    frozen, tracked, populated = result.stdout.split()
    assert int(frozen) > 50_000
    assert int(tracked) < int(frozen) / 10
    assert populated == "True"
