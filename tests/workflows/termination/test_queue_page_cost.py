"""The queue page and the menu's queue counter read the same takeable tasks: the condition is built once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from workflows import viewsets
from workflows.termination.flows import TerminationFlow as F

from .test_task_pages import queue_counter

pytestmark = pytest.mark.django_db


def test_the_queue_page_builds_the_takeability_condition_once_for_its_rows_and_its_counter(
    driver: Any, world: Any, monkeypatch: Any
) -> None:
    driver.submit(pathway="fetal_defect")  # three panel seats an expert may take
    client = driver.client(world.expert2)
    client.get(F.instance.reverse("queue"))  # warm the session
    built: list[Any] = []
    real = viewsets.takeable_tasks

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(viewsets, "takeable_tasks", counting)
    page = client.get(F.instance.reverse("queue")).content.decode()
    rows = len(re.findall(r'name="tasks"', page))
    assert rows > 0 and queue_counter(page) == rows
    assert len(built) == 1
    # Another procedure page builds it once too, for the counter alone.
    built.clear()
    page = client.get(F.instance.reverse("inbox")).content.decode()
    assert queue_counter(page) == rows and len(built) == 1
