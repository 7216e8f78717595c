"""The bulk decisions (workflows.takeability) against viewflow's per-task ``can_assign``, over a varied scene.

The queue, its menu counter and the candidates told of a new task decide for a whole list at once; every
one of those decisions must be the one ``SigningView.can_assign`` takes for that user and that task. The
scene holds every four-eyes refusal (checked below, so that the comparison is not trivially about empty
sets), people with several roles, a superuser and a deactivated officer.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from permissions.models import Profile
from permissions.roles import Role
from permissions.services import role_grant
from tests.conftest import make_person
from tests.factories import PASSWORD, UserFactory
from workflows.takeability import assignable_users, takeable_tasks
from workflows.termination.flows import TerminationFlow as F

from .test_amendments import AGREE, CHANGES, amend_data, panel_then_return

pytestmark = pytest.mark.django_db


def build_scene(driver: Any, world: Any) -> None:
    # The submitter also directs the facility: never reviews what they entered.
    role_grant(actor=None, user=world.clerk, role=Role.FACILITY_DIRECTOR, facility=world.hospital_a)
    # The director also acts for the bureau: signed the review, so never the decision.
    role_grant(actor=None, user=world.director, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    # An officer who also works at the submitting facility.
    dual = make_person("dual", Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    role_grant(actor=None, user=dual, role=Role.FACILITY_CLERK, facility=world.hospital_a)
    # A second clerk who amends a case and sits on the panel.
    amender = make_person("amender", Role.FACILITY_CLERK, facility=world.hospital_a, rank=Profile.Rank.CHIEF)
    role_grant(actor=None, user=amender, role=Role.EXPERT, jurisdiction=world.county_a)
    make_person("junior", Role.EXPERT, jurisdiction=world.county_a, rank=Profile.Rank.RESIDENT)
    make_person("fresh", Role.EXPERT, jurisdiction=world.county_a, rank=Profile.Rank.CHIEF)
    gone = make_person("gone", Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    gone.is_active = False
    gone.save()
    UserFactory(username="root", is_superuser=True)

    driver.submit(pathway="divorced")  # waiting for the review
    medical = driver.submit(pathway="fetal_defect")  # one seat held, one signed, one free
    assert driver.claim(world.expert1, driver.open_task(medical, F.give_opinion)).status_code == 302
    seat = Task.objects.filter(process_id=medical.pk, flow_task=F.give_opinion, status="NEW").order_by("pk").first()
    assert driver.claim(world.expert2, seat).status_code == 302
    assert driver.execute(world.expert2, seat, {"password": PASSWORD, **AGREE}).status_code == 302
    forwarded = driver.submit(pathway="widowed")
    driver.act(world.director, forwarded, F.review, {"decision": "forward"})
    approved = driver.submit(pathway="divorced")
    driver.act(world.director, approved, F.review, {"decision": "forward"})
    driver.act(world.officer, approved, F.decide, {"decision": "approve"})
    returned = panel_then_return(driver, world)  # amended: a fresh panel the old one may not sit on
    response = driver.act(amender, returned, F.amend, amend_data(**CHANGES["gestational_days"]), sign=False)
    assert response.status_code == 302
    driver.submit(user=world.clerk_b, pathway="maternal", facility=str(world.hospital_b.pk))


def per_task(user: Any, task: Any) -> bool:
    fresh = get_user_model().objects.get(pk=user.pk)
    return bool(task.flow_task.can_assign(fresh, task))


def test_bulk_decisions_equal_can_assign_for_every_user_and_task(driver: Any, world: Any) -> None:
    build_scene(driver, world)
    users = list(get_user_model().objects.order_by("pk"))
    tasks = list(Task.objects.filter(process__flow_class=F, flow_task_type="HUMAN", status="NEW").order_by("pk"))
    assert len(tasks) >= 10

    reasons = set()
    for task in tasks:
        for user in users:
            if task.flow_task.is_signing_step:
                reasons.add(task.flow_task.four_eyes_refusal(get_user_model().objects.get(pk=user.pk), task))
    assert reasons >= {
        "not_eligible",
        "signed_another_step",
        "signed_this_step",
        "holds_another_seat",
        "entered_the_case",
        "staff_of_submitting_facility",
    }, reasons

    for user in users:
        fresh = get_user_model().objects.get(pk=user.pk)
        bulk = set(takeable_tasks(F, fresh).values_list("pk", flat=True))
        expected = {task.pk for task in tasks if per_task(user, task)}
        assert bulk == expected, (user.username, sorted(bulk - expected), sorted(expected - bulk))

    for task in tasks:
        fresh_users = list(get_user_model().objects.select_related("profile").order_by("pk"))
        bulk_users = {user.pk for user in assignable_users(task, fresh_users)}
        expected_users = {user.pk for user in users if per_task(user, task)}
        assert bulk_users == expected_users, (task.flow_task.name, task.pk)


def test_candidates_of_a_task_cost_the_same_for_one_user_and_for_many(driver: Any, world: Any) -> None:
    build_scene(driver, world)
    seat_pk = Task.objects.filter(flow_task=F.give_opinion, status="NEW").order_by("pk").values_list("pk", flat=True)[0]
    everyone = list(get_user_model().objects.select_related("profile").order_by("pk"))
    counts = []
    for users in ([world.expert3], everyone):
        seat = Task.objects.get(pk=seat_pk)
        with CaptureQueriesContext(connection) as captured:
            chosen = assignable_users(seat, users)
        assert world.expert3.pk in {user.pk for user in chosen}
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
