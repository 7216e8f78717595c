"""A client's service user holds the facility clerk's role for its scope, yet it is no person: it never
shows up in a task's pool of candidates and never receives a notification (its system hears by webhook)."""

from __future__ import annotations

from typing import Any

import pytest
from viewflow.workflow.models import Task

from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import Decision
from workflows.events import notify
from workflows.models import Notification
from workflows.nodes import task_candidates

pytestmark = pytest.mark.django_db


def test_a_service_user_receives_no_notification(world: Any, system: Any) -> None:
    service_user = system.account.user
    assert service_user.profile.is_service_account
    created = notify(recipients=[service_user, world.clerk], kind="process.returned", url="/")
    assert [n.recipient_id for n in created] == [world.clerk.pk]
    assert not Notification.objects.filter(recipient=service_user).exists()


def test_a_service_user_is_no_candidate_for_the_facility_staff_task(world: Any, system: Any) -> None:
    from tests.workflows.births.scene import decide, entry_add, months_back, report_open

    month = months_back(1)
    entry_add(user=world.clerk, facility=world.hospital_a, month=month)
    report = report_open(user=world.clerk, facility=world.hospital_a, month=month)
    decide(report, F.sign_register, world.director, Decision.RETURN, reason="the count is wrong")
    amend = Task.objects.get(process_id=report.pk, flow_task=F.amend, status="NEW")
    candidates = {user.pk for user in task_candidates(amend)}
    assert world.clerk.pk in candidates  # the pool is the facility's staff...
    assert system.account.user.pk not in candidates  # ...and the client, a clerk there, is not in it
    announced = Notification.objects.filter(kind="task.available", object_id=str(report.pk))
    assert world.clerk.pk in set(announced.values_list("recipient_id", flat=True))
    assert not announced.filter(recipient=system.account.user).exists()
