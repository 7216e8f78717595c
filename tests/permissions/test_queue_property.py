"""Each user's queue is exactly the set of tasks the rules say they may take (hypothesis).

Random facilities in two counties, random people holding random roles at
random scopes, and random cases moved on through the procedure's services.
For every person, the queue the queue page shows (DeadlineQueueView.rows, the
code the page runs) must equal the oracle's answer, task for task: nothing
missing, nothing extra, whatever the mix of roles.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import RequestFactory
from django.urls import resolve
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_timers

from permissions.models import Facility, Profile
from permissions.roles import Role
from permissions.services import role_grant
from tests.workflows.termination.scene import case_amend, case_decide, case_opinion, case_review, case_start
from workflows.termination.flows import TerminationFlow
from workflows.termination.models import Decision, TerminationCase

from ..factories import FacilityFactory, ProfileFactory, UserFactory
from .oracle import may_claim

FACILITY_ROLES = [Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR]
COUNTY_ROLES = [Role.EXPERT, Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR, Role.INSPECTOR]

grants = st.one_of(
    st.tuples(st.sampled_from(FACILITY_ROLES), st.integers(0, 2)),  # facility index
    st.tuples(st.sampled_from(COUNTY_ROLES), st.integers(0, 1)),  # county index
)
people = st.lists(st.lists(grants, min_size=1, max_size=3), min_size=1, max_size=5)
# (facility index, medical?, how far). A medical case: 0 submitted, 1 one panel opinion. A personal case:
# 0 submitted, 1 forwarded to the bureau, 2 returned by the director (amend), 3 returned and amended (review
# again, not by the amender), 4 returned by the bureau (amend), 5 its decision deadline passed (escalate).
cases = st.lists(st.tuples(st.integers(0, 2), st.booleans(), st.integers(0, 5)), min_size=1, max_size=3)
# Who submits each case: a random person if they are clerk there, else the facility's own clerk.
submitters = st.lists(st.integers(0, 4), min_size=3, max_size=3)
# Who answers a return: a random person if they work there, 5 the facility's director, else its clerk.
amenders = st.lists(st.integers(0, 5), min_size=3, max_size=3)


def queue_page_rows(user: Any) -> set[int]:
    """The task ids the queue page lists for the user, through the page's own code."""
    match = resolve(TerminationFlow.instance.reverse("queue"))
    view = match.func.view_class(**match.func.view_initkwargs)
    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(pk=user.pk)  # fresh, as each request loads it
    view.setup(request)
    return {row["task"].pk for row in view.rows()}


def oracle_queue(user: Any) -> set[int]:
    open_tasks = Task.objects.filter(
        process__flow_class=TerminationFlow, status=STATUS.NEW, flow_task_type="HUMAN"
    ).select_related("process")
    fresh = get_user_model().objects.get(pk=user.pk)
    return {task.pk for task in open_tasks if may_claim(fresh, task)}


def person(username: str, rank: str = Profile.Rank.CHIEF) -> Any:
    user = UserFactory(username=username)
    ProfileFactory(user=user, printed_name=f"{username} printed", rank=rank)
    return user


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan_people=people, plan_cases=cases, plan_submitters=submitters, plan_amenders=amenders)
# Always tried, whatever hypothesis draws: a director who amended and must not review again, a bureau
# director who also directs the facility (escalation refused as its staff), a bureau return answered.
@example(
    plan_people=[[(Role.FACILITY_DIRECTOR, 0), (Role.BUREAU_DIRECTOR, 0)]],
    plan_cases=[(0, False, 3), (0, False, 5), (1, False, 4)],
    plan_submitters=[0, 0, 0],
    plan_amenders=[5, 0, 0],
)
@example(
    plan_people=[[(Role.FACILITY_CLERK, 0), (Role.FACILITY_DIRECTOR, 0)], [(Role.BUREAU_DIRECTOR, 1)]],
    plan_cases=[(0, False, 3), (0, False, 2), (1, False, 5)],
    plan_submitters=[0, 0, 0],
    plan_amenders=[0, 0, 0],
)
def test_each_users_queue_is_exactly_the_tasks_the_rules_let_them_take(
    world: Any, plan_people: list[Any], plan_cases: list[Any], plan_submitters: list[int], plan_amenders: list[int]
) -> None:
    with transaction.atomic():
        counties = [world.county_a, world.county_b]
        facilities: list[Facility] = [
            world.hospital_a,
            world.hospital_b,
            FacilityFactory(name="Hospital A2", county=world.county_a, township=world.town_a),
        ]
        # Helpers who move the cases on; they are people like any other and their queues are checked too.
        drivers: dict[str, Any] = {}
        for index, facility in enumerate(facilities):
            drivers[f"clerk{index}"] = person(f"drv_clerk{index}")
            role_grant(actor=None, user=drivers[f"clerk{index}"], role=Role.FACILITY_CLERK, facility=facility)
            drivers[f"director{index}"] = person(f"drv_director{index}")
            role_grant(actor=None, user=drivers[f"director{index}"], role=Role.FACILITY_DIRECTOR, facility=facility)
        for index, county in enumerate(counties):
            drivers[f"expert{index}"] = person(f"drv_expert{index}")
            role_grant(actor=None, user=drivers[f"expert{index}"], role=Role.EXPERT, jurisdiction=county)
            drivers[f"officer{index}"] = person(f"drv_officer{index}")
            role_grant(actor=None, user=drivers[f"officer{index}"], role=Role.BUREAU_OFFICER, jurisdiction=county)

        users = []
        for number, held in enumerate(plan_people):
            user = person(f"p{number}")
            for role, index in held:
                scope = facilities[index] if role in FACILITY_ROLES else counties[index]
                kwargs = {"facility": scope} if role in FACILITY_ROLES else {"jurisdiction": scope}
                if not user.role_assignments.filter(role=role, revoked_at__isnull=True, **kwargs).exists():
                    role_grant(actor=None, user=user, role=role, **kwargs)
            users.append(user)

        def works_at(user: Any, facility: Facility) -> bool:
            return user.role_assignments.filter(
                role__in=FACILITY_ROLES, facility=facility, revoked_at__isnull=True
            ).exists()

        for serial, ((facility_index, medical, progress), pick, amend_pick) in enumerate(
            zip(plan_cases, plan_submitters, plan_amenders, strict=False), start=500
        ):
            facility = facilities[facility_index]
            county_index = 0 if facility.county_id == world.county_a.pk else 1
            submitter = drivers[f"clerk{facility_index}"]
            if (
                pick < len(users)
                and users[pick]
                .role_assignments.filter(role=Role.FACILITY_CLERK, facility=facility, revoked_at__isnull=True)
                .exists()
            ):
                submitter = users[pick]
            if amend_pick == 5:
                amender = drivers[f"director{facility_index}"]
            elif amend_pick < len(users) and works_at(users[amend_pick], facility):
                amender = users[amend_pick]
            else:
                amender = drivers[f"clerk{facility_index}"]
            case = case_start(
                user=submitter,
                facility=facility,
                pathway="fetal_defect" if medical else "divorced",
                name=f"Patient {serial}",
                serial=serial,
            )
            director, officer = drivers[f"director{facility_index}"], drivers[f"officer{county_index}"]
            if medical:
                if progress:
                    case_opinion(case, drivers[f"expert{county_index}"])
            elif progress in (1, 4, 5):
                case_review(case, director)
                if progress == 4:
                    case_decide(case, officer, Decision.RETURN)
                elif progress == 5:
                    due = TerminationCase.objects.get(pk=case.pk).decision_due_at
                    with time_machine.travel(due + dt.timedelta(minutes=1)):
                        assert fire_due_timers() >= 1  # every decision now past its deadline escalates
            elif progress in (2, 3):
                case_review(case, director, Decision.RETURN)
                if progress == 3:
                    case_amend(case, amender)
        everyone = [*users, *drivers.values(), *world.users.values()]
        mismatches = []
        for user in everyone:
            shown, allowed = queue_page_rows(user), oracle_queue(user)
            if shown != allowed:
                mismatches.append(
                    f"{user.username}: extra {sorted(shown - allowed)}, missing {sorted(allowed - shown)}"
                )
        transaction.set_rollback(True)
    assert not mismatches, "\n".join(mismatches)


def test_the_oracle_is_not_trivially_empty(world: Any) -> None:
    """The comparison above would pass with two empty queues; make sure real tasks reach real people."""
    case_start(user=world.clerk, facility=world.hospital_a, pathway="divorced", name="Patient Probe", serial=600)
    assert oracle_queue(world.director) == queue_page_rows(world.director) != set()
    assert oracle_queue(world.clerk) == set()


def test_every_human_step_has_a_claim_rule() -> None:
    """The oracle knows every procedure's human steps (each scene's CLAIM_RULES), and nothing stale."""
    from importlib import import_module

    from tests.procedures import PROCEDURES

    from .oracle import StepRule

    for procedure in PROCEDURES:
        module, name = procedure.flow_path.rsplit(".", 1)
        flow_class = getattr(import_module(module), name)
        human = {node.name for node in flow_class.instance.nodes() if getattr(node, "task_type", "") == "HUMAN"}
        assert human, procedure.code
        assert set(procedure.claim_rules) == human, (procedure.code, sorted(human ^ set(procedure.claim_rules)))
        assert all(isinstance(rule, StepRule) for rule in procedure.claim_rules.values())
