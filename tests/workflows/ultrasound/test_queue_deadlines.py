"""The bureau's ultrasound decisions come in the queue by their decision deadline, as termination's do.

The procedure declares the step's deadline once (``UltrasoundViewset.task_deadlines``); the kit's queue walks
the cases at the decision in deadline order and shows each row's deadline.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from tests.scenes import task_run
from workflows.ultrasound import services
from workflows.ultrasound.flows import UltrasoundRegistrationFlow as F
from workflows.ultrasound.models import OnsiteCheck, UltrasoundCase

from .scene import case_review, case_sign, case_start

pytestmark = pytest.mark.django_db


def to_decision(world: Any, serial: str) -> UltrasoundCase:
    """A filing signed, reviewed and checked on site: its decision waits at the bureau."""
    case = case_start(user=world.clerk, facility=world.hospital_a, serial=serial)
    case_sign(case, world.director)
    case_review(case, world.officer, world.supervisor)
    task_run(
        case,
        F.onsite_check,
        world.supervisor,
        lambda activation, request: services.ultrasound_onsite_check(
            activation=activation, user=world.supervisor, checklist=dict.fromkeys(OnsiteCheck.CHECKLIST, True),
            findings="", photos=[], request=request,
        ),
    )  # fmt: skip
    return UltrasoundCase.objects.get(pk=case.pk)


def test_the_queue_lists_the_decisions_by_their_deadline_and_shows_it(driver: Any, us_world: Any) -> None:
    world = us_world
    first, second = to_decision(world, "SN-Q1"), to_decision(world, "SN-Q2")
    soon = timezone.now() + dt.timedelta(days=1)
    UltrasoundCase.objects.filter(pk=second.pk).update(decision_due_at=soon)  # the later filing is due first
    UltrasoundCase.objects.filter(pk=first.pk).update(decision_due_at=soon + dt.timedelta(days=2))
    page = driver.client(world.officer2).get(F.instance.reverse("queue")).content.decode()
    rows = re.findall(r'name="tasks" value="\d+".*?#(\d+)</a>.*?<td>(.*?)</td>', page, re.S)
    assert [int(case) for case, _due in rows] == [second.pk, first.pk]
    shown = [timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") for moment in (soon, soon + dt.timedelta(days=2))]
    assert [due[:16] for _case, due in rows] == shown
