"""Notifications carry no personal data: every push, e-mail and list entry a case's life sends (issue #17).

The case runs its whole course through the real URLs and timers; the channel layer's group_send and
the e-mail outbox record what actually left, and every payload is searched for every personal value.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from channels.layers import get_channel_layer
from django.core import mail

from tests.privacy import shows
from workflows.models import Notification
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.services import termination_deadline_reminders_send

from .conftest import resident_id
from .test_guarantees import amend_data, record_data

pytestmark = pytest.mark.django_db

NAME = "王芳 Wangfang"


def personal_values(case: Any) -> list[str]:
    values = [
        case.patient_name,
        "王芳",
        "Wangfang",
        case.resident_id,
        case.resident_id_masked,
        case.resident_id[-4:] + "",
        case.resident_id_digest,
        case.lmp_date.isoformat(),
        case.certificate_token or "",
        "Mifepristone",
        "B20261101",
    ]
    return [v for v in values if v]


def test_every_notification_push_email_and_list_is_free_of_personal_data(
    driver: Any, world: Any, settings: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.NOTIFICATION_EMAILS = True
    for user in world.users.values():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    layer = get_channel_layer()
    pushed: list[tuple[str, dict]] = []
    real_group_send = layer.group_send

    async def recording_group_send(group: str, message: dict) -> None:
        pushed.append((group, message))
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", recording_group_send)

    def step(action: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    case = step(lambda: driver.submit(pathway="divorced", patient_name=NAME))
    step(lambda: driver.act(world.director, case, F.review, {"decision": "forward"}))
    step(lambda: driver.act(world.officer, case, F.decide, {"decision": "return", "reason": "A page is missing"}))
    step(lambda: driver.act(world.clerk, case, F.amend, amend_data(patient_name=NAME), sign=False))
    step(lambda: driver.act(world.director, case, F.review, {"decision": "forward"}))
    case = driver.refresh(case)
    with time_machine.travel(case.decision_due_at - dt.timedelta(hours=1)):
        assert step(termination_deadline_reminders_send) == 1
    step(lambda: driver.act(world.officer, case, F.decide, {"decision": "approve"}))
    step(lambda: driver.act(world.clerk, case, F.record_procedure, record_data()))
    case = driver.refresh(case)
    assert case.patient_name == NAME and case.resident_id == resident_id() and case.stage == "completed"

    kinds = set(Notification.objects.values_list("kind", flat=True))
    expected = {"task.available", "task.assigned", "task.taken", "process.returned", "process.approved"}
    assert expected | {"deadline.approaching"} <= kinds, kinds
    pushes = [message for _, message in pushed if message["type"] == "notification.push"]
    assert {m["notification"]["kind"] for m in pushes} == kinds  # every kind was pushed, not only stored
    assert len(mail.outbox) == Notification.objects.count()
    lists = [driver.client(user).get("/notifications/").content.decode() for user in world.users.values()]
    payloads = [
        *(json.dumps(message, ensure_ascii=False) for _, message in pushed),
        *(f"{m.subject}\n{m.body}" for m in mail.outbox),
        *lists,
    ]
    for value in personal_values(case):
        leaks = [p[:200] for p in payloads if shows(p, value)]
        assert not leaks, (value, leaks)
