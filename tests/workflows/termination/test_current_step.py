"""The case page's "Current step" lists what people act on; chart and step labels are in sentence case."""

from __future__ import annotations

import re
from typing import Any

import pytest
from viewflow.workflow.models import Task

from workflows.termination.flows import TerminationFlow as F

pytestmark = pytest.mark.django_db


def current_steps(page: str) -> list[str]:
    section = re.search(r'id="case-tasks".*?</table>', page, re.S)
    assert section is not None
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<tr><td>(.*?)</td>", section.group(0))]


def test_current_step_leaves_out_the_panels_join(driver: Any, world: Any, login: Any) -> None:
    case = driver.submit(pathway="maternal")
    driver.act(world.expert1, case, F.give_opinion, {"agrees": "yes", "reason": "Confirmed"})
    assert Task.objects.filter(process_id=case.pk, flow_task=F.join_panel).exclude(status="DONE").exists()
    page = login(world.clerk).get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    assert current_steps(page) == ["Give an expert opinion", "Give an expert opinion"]
    assert "Panel complete" not in current_steps(page)


def test_flow_chart_labels_keep_their_sentence_case(driver: Any, world: Any, login: Any) -> None:
    case = driver.submit(pathway="maternal")
    svg = login(world.clerk).get(F.instance.reverse("process_chart", args=[case.pk])).content.decode()
    assert ">Give an expert opinion<" in svg or ">Give an expert<" in svg
    assert "Give An Expert" not in svg and "Submit A Request" not in svg
    labels = re.findall(r'<text class="[^"]*"[^>]*>([^<]+)</text>', svg)
    assert labels
    for label in labels:
        words = label.split()
        assert all(not word[:1].isupper() for word in words[1:]), label


def test_every_node_title_is_in_sentence_case() -> None:
    for node in F.instance.nodes():
        words = str(node.task_title).split()
        assert words and words[0][:1].isupper(), node.name
        assert all(not word[:1].isupper() for word in words[1:]), (node.name, node.task_title)
