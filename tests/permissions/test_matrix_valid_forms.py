"""The matrix's valid forms are valid: from the right persona they do what they say.

The matrix sends them from every persona a route refuses and expects a refusal; without this check a form that
failed validation for everyone would pass that test for the wrong reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.workflows.termination.scene import _valid_submission, _valid_task_form
from workflows.termination.flows import TerminationFlow
from workflows.termination.models import Stage, TerminationCase

from .matrix import Scene, Target

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_valid_submission_is_accepted_from_a_clerk(scene: Scene) -> None:
    before = TerminationCase.objects.count()
    response = client_for(scene.world.clerk).post(
        TerminationFlow.submit.reverse("execute"), _valid_submission(scene, None)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TerminationCase.objects.count() == before + 1


def test_the_valid_decision_is_accepted_from_the_task_holder(scene: Scene) -> None:
    case = scene.records["case_a_decide"].obj
    task = case.task_set.get(flow_task=TerminationFlow.decide, status="NEW")
    officer = client_for(scene.world.officer)
    assert officer.post(TerminationFlow.decide.reverse("assign", args=[case.pk, task.pk]), {}).status_code == 302
    target = Target(kwargs={"process_pk": case.pk, "task_pk": task.pk}, record="case_a_decide")
    url = TerminationFlow.decide.reverse("execute", args=[case.pk, task.pk])
    response = officer.post(url, _valid_task_form("decide")(scene, target))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TerminationCase.objects.get(pk=case.pk).stage == Stage.REJECTED


def test_the_valid_withdrawal_is_accepted_from_the_submitting_clerk(scene: Scene) -> None:
    case = scene.records["case_a_review"].obj
    url = TerminationFlow.instance.reverse("withdraw", args=[case.pk])
    response = client_for(scene.world.clerk).post(url, {"reason": "The patient changed her mind"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TerminationCase.objects.get(pk=case.pk).stage == Stage.WITHDRAWN
