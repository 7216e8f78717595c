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

from permissions.models import Profile, RoleAssignment
from permissions.roles import Role
from permissions.services import role_grant, role_revoke
from tests.conftest import make_person
from tests.factories import PASSWORD, UserFactory
from workflows.nodes import task_candidates
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


def test_the_candidates_told_of_a_task_are_exactly_those_who_may_take_it_in_user_order(driver: Any, world: Any) -> None:
    """task_candidates (who is told of a new task, and of its being taken): every role holder in the task's
    scope whom can_assign lets take it, none other; not a superuser (who holds no role), not a revoked holder."""
    build_scene(driver, world)
    revoked = make_person("revoked", Role.EXPERT, jurisdiction=world.county_a, rank=Profile.Rank.CHIEF)
    role_revoke(actor=None, assignment=RoleAssignment.objects.get(user=revoked), reason="moved away")
    users = list(get_user_model().objects.order_by("pk"))
    tasks = list(Task.objects.filter(process__flow_class=F, flow_task_type="HUMAN", status="NEW").order_by("pk"))
    told: set[str] = set()
    for task in tasks:
        expected = [user.pk for user in users if not user.is_superuser and per_task(user, task)]
        candidates = [user.pk for user in task_candidates(task)]
        assert candidates == expected, (task.flow_task.name, task.pk)
        told |= {user.username for user in users if user.pk in candidates}
    # Facility seats and county seats, several people each: the comparison is about real lists.
    assert {"clerk", "director", "officer", "fresh"} <= told, told
    assert not told & {"root", "revoked", "gone"}


def test_a_superuser_is_told_only_of_the_steps_of_the_roles_they_hold_where_they_hold_them(
    driver: Any, world: Any
) -> None:
    """can_assign lets a superuser take anything; being told of a task still needs the step's role in its scope."""
    root = make_person("root", Role.EXPERT, jurisdiction=world.county_a, rank=Profile.Rank.CHIEF)
    root.is_superuser = True
    root.save()
    role_grant(actor=None, user=root, role=Role.BUREAU_OFFICER, jurisdiction=world.county_b)
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    decide = driver.open_task(case, F.decide)
    told = [user.pk for user in task_candidates(decide)]
    assert world.officer.pk in told and root.pk not in told
    role_grant(actor=None, user=root, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    assert root.pk in [user.pk for user in task_candidates(decide)]


def test_the_candidates_of_a_task_cost_the_same_however_many_hold_its_role(driver: Any, world: Any) -> None:
    medical = driver.submit(pathway="fetal_defect")
    seat = driver.open_task(medical, F.give_opinion)
    counts, told = [], []
    for n in range(2):
        with CaptureQueriesContext(connection) as captured:
            told.append(len(task_candidates(Task.objects.get(pk=seat.pk))))
        counts.append(len(captured))
        for i in range(3):
            make_person(f"expert_{n}_{i}", Role.EXPERT, jurisdiction=world.county_a, rank=Profile.Rank.CHIEF)
    assert told[1] == told[0] + 3
    assert counts[0] == counts[1], counts


def test_can_assign_while_a_request_is_served_equals_guardians_answer(driver: Any, world: Any) -> None:
    """In a request, a step's permission is read from the user's object permissions loaded once for the request
    (workflows.nodes.owner_permission_held); outside one, guardian answers. Both say the same for everyone."""
    from permissions.access import RequestAccessState, current_request_access

    build_scene(driver, world)
    users = list(get_user_model().objects.order_by("pk"))
    tasks = list(Task.objects.filter(process__flow_class=F, flow_task_type="HUMAN", status="NEW").order_by("pk"))
    expected = {(user.pk, task.pk): per_task(user, task) for user in users for task in tasks}
    assert any(expected.values()) and not all(expected.values())
    token = current_request_access.set(RequestAccessState())
    try:
        for user in users:
            fresh = get_user_model().objects.get(pk=user.pk)  # one user object per request, as the middleware loads
            with CaptureQueriesContext(connection) as captured:
                answers = {(user.pk, task.pk): bool(task.flow_task.can_assign(fresh, task)) for task in tasks}
            assert answers == {key: expected[key] for key in answers}, user.username
            guardian = [q["sql"] for q in captured if "guardian_" in q["sql"]]
            assert len(guardian) <= 1, (user.username, guardian)  # the user's object permissions, read once
    finally:
        current_request_access.reset(token)
