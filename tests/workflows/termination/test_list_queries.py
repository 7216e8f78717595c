"""Every list page costs the same number of queries with one row as with fifty (no per-row query).

The queue, the inbox, the archive, the all-tasks list, the case list, the notifications and the audit
search: each is rendered through the real URL for a person with one row, then with about fifty, and the
query counts must be equal. A per-row query (a permission check, a lazy relation in a template, a
four-eyes lookup) makes the second count larger and fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from tests.workflows.termination.scene import case_start
from workflows.termination.flows import TerminationFlow as F

pytestmark = pytest.mark.django_db

ROWS = 50


def measure(client: Any, url: str, rows: str = "object_list") -> tuple[int, int]:
    """(queries, rows) of one GET of ``url``; the first GET warms the session and per-process caches."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), len(response.context[rows])


def test_every_list_costs_the_same_queries_at_one_row_and_at_fifty(driver: Any, world: Any) -> None:
    officer, director = driver.client(world.officer), driver.client(world.director)
    pages = {
        "queue": (director, F.instance.reverse("queue"), "rows"),
        "case list": (officer, F.instance.reverse("index")),
        "all tasks": (officer, F.instance.reverse("task_list")),
        "notifications": (director, reverse("notifications:index"), "notifications"),
        "audit search": (officer, reverse("audit:search") + "?procedure=termination.terminationcase", "events"),
        "inbox": (director, F.instance.reverse("inbox")),
        "archive": (director, F.instance.reverse("archive")),
    }
    counts: dict[str, list[tuple[int, int]]] = {name: [] for name in pages}
    made = 0
    for wanted in (1, ROWS):
        for serial in range(made, wanted):
            case_start(
                user=world.clerk, facility=world.hospital_a, pathway="divorced", name=f"P{serial}", serial=serial
            )
        made = wanted
        for name in ("queue", "case list", "all tasks", "notifications", "audit search"):
            counts[name].append(measure(*pages[name]))
        waiting = Task.objects.filter(flow_task=F.review, status="NEW")
        waiting.update(owner=world.director, status="ASSIGNED", assigned=timezone.now())
        counts["inbox"].append(measure(*pages["inbox"]))
        Task.objects.filter(flow_task=F.review, status="ASSIGNED").update(status="DONE", finished=timezone.now())
        counts["archive"].append(measure(*pages["archive"]))

    for name, ((few_queries, few_rows), (many_queries, many_rows)) in counts.items():
        assert few_rows >= 1 and many_rows >= ROWS - 1, (name, few_rows, many_rows)
        assert few_queries == many_queries, (
            f"{name}: {few_queries} queries with {few_rows} rows, {many_queries} with {many_rows}"
        )
