"""Four-eyes holds engine-wide: every flow of the project, including the procedures added later.

Every flow is found through the app registry (each app's flows module), so a
new procedure is covered the moment it exists. For each, every human step must
be a SigningView (the shared node that applies the rule) unless it is listed
below as a step that signs nothing; and each signing step is then checked on a
real case: nobody who signed another step of the case may take it, a one-off
step refuses whoever already signed it, approval steps refuse whoever entered
the case, and bureau steps refuse every staff member of the submitting facility.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from viewflow.workflow import flow
from viewflow.workflow.status import STATUS

from audit.models import Signature
from audit.services import object_ref
from permissions.models import Profile
from workflows.locks import flow_lock
from workflows.nodes import RegflowView, SigningView, task_candidates

from ..factories import ProfileFactory, UserFactory
from ..procedures import PROCEDURES, PROCEDURES_WITHOUT_SCENE

# Human steps that record data but sign nothing, each with the reason, as each procedure's test scene lists
# them. Anything else a person completes must be a SigningView.
NON_SIGNING_STEPS = {
    f"{procedure.flow_path}.{name}": reason
    for procedure in PROCEDURES
    for name, reason in procedure.non_signing_steps.items()
}


def project_flows() -> list[type[flow.Flow]]:
    """Every Flow subclass defined in one of the project's own apps."""
    autodiscover_modules("flows")
    base = Path(settings.BASE_DIR).resolve()
    own_modules = {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base) and ".venv" not in Path(config.path).parts
    }
    found: list[type[flow.Flow]] = []
    stack = list(flow.Flow.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if any(cls.__module__ == f"{name}.flows" for name in own_modules):
            found.append(cls)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def human_nodes(flow_class: type[flow.Flow]) -> list[Any]:
    return [node for node in flow_class.instance.nodes() if isinstance(node, flow.View)]


def node_path(flow_class: type[flow.Flow], node: Any) -> str:
    return f"{flow_class.__module__}.{flow_class.__qualname__}.{node.name}"


FLOWS = project_flows()


def test_the_registry_finds_the_project_flows() -> None:
    from workflows.termination.flows import TerminationFlow

    assert TerminationFlow in FLOWS


@pytest.mark.parametrize("flow_class", FLOWS, ids=lambda cls: cls.__qualname__)
def test_every_human_step_is_a_signing_view_or_declared_as_signing_nothing(flow_class: type[flow.Flow]) -> None:
    wrong = []
    for node in human_nodes(flow_class):
        path = node_path(flow_class, node)
        if not isinstance(node, RegflowView):
            wrong.append(f"{path}: a plain {type(node).__name__}; use workflows.nodes.SigningView")
        elif not isinstance(node, SigningView) and path not in NON_SIGNING_STEPS:
            wrong.append(f"{path}: not a SigningView, and not listed in NON_SIGNING_STEPS with a reason")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("flow_class", FLOWS, ids=lambda cls: cls.__qualname__)
def test_every_flow_locks_its_processes(flow_class: type[flow.Flow]) -> None:
    # viewflow's select_for_update_lock, with each attempt in a savepoint (workflows/locks.py).
    assert flow_class.lock_impl is flow_lock


def test_non_signing_steps_still_exist() -> None:
    """A stale exemption would silently exempt a future step of the same name."""
    paths = {node_path(cls, node) for cls in FLOWS for node in human_nodes(cls)}
    assert set(NON_SIGNING_STEPS) <= paths


# --- Behaviour, on a real case of each flow ---------------------------------------


# How to open a case of each flow, submitted by world.clerk at world.hospital_a: from the procedures
# the generic tests cover (tests/procedures.py). A flow missing there fails test_every_flow_has_a_case_factory.
CASE_FACTORIES: dict[str, Callable[[Any], Any]] = {procedure.flow_path: procedure.open_case for procedure in PROCEDURES}


def flow_path(flow_class: type[flow.Flow]) -> str:
    return f"{flow_class.__module__}.{flow_class.__qualname__}"


def test_every_registered_procedure_has_a_test_scene() -> None:
    assert not PROCEDURES_WITHOUT_SCENE, (
        f"give these procedures a test_scene in their registration: {PROCEDURES_WITHOUT_SCENE}"
    )


def test_every_flow_has_a_case_factory() -> None:
    missing = [flow_path(cls) for cls in FLOWS if flow_path(cls) not in CASE_FACTORIES]
    assert not missing, f"register the procedure with a test_scene so that four-eyes is checked for: {missing}"


SIGNING_NODES = [(cls, node) for cls in FLOWS for node in human_nodes(cls) if isinstance(node, SigningView)]


def open_seat(case: Any, node: Any) -> Any:
    """A fresh task of ``node`` on the case, open to anyone, so that only four-eyes can refuse."""
    return node.flow_class.task_class._default_manager.create(
        process=case, flow_task=node, flow_task_type="HUMAN", status=STATUS.NEW
    )


def sign(user: Any, case: Any, step: str) -> None:
    object_type, object_id = object_ref(case.coerced if hasattr(case, "coerced") else case)
    Signature.objects.create(
        signer=user,
        printed_name=user.profile.printed_name,
        signed_at=timezone.now(),
        meaning=Signature.Meaning.REVIEWED,
        object_type=object_type,
        object_id=object_id,
        step=step,
        content_hash="0" * 64,
    )


def newcomer_user() -> Any:
    """Someone with no role and no history on the case: only four-eyes could refuse them."""
    user = UserFactory(username="newcomer")
    ProfileFactory(user=user, printed_name="Newcomer Printed", rank=Profile.Rank.CHIEF)
    return user


def refused(node: Any, user: Any, task: Any) -> bool:
    task.owner = None
    can_assign = node.can_assign(user, task)
    task.owner = user
    can_execute = node.can_execute(user, task)
    task.owner = None
    return not can_assign and not can_execute


@pytest.mark.parametrize(
    ("flow_class", "node"), SIGNING_NODES, ids=[f"{c.__qualname__}.{n.name}" for c, n in SIGNING_NODES]
)
def test_a_signing_step_refuses_whoever_signed_elsewhere_on_the_case(world: Any, flow_class: Any, node: Any) -> None:
    case = CASE_FACTORIES[flow_path(flow_class)](world)
    task = open_seat(case, node)
    newcomer = newcomer_user()
    assert not refused(node, newcomer, task), "baseline: with no signature yet, the newcomer may take the step"
    sign(newcomer, case, step=f"not_{node.signing_step}")
    assert refused(node, newcomer, task)


@pytest.mark.parametrize(
    ("flow_class", "node"), SIGNING_NODES, ids=[f"{c.__qualname__}.{n.name}" for c, n in SIGNING_NODES]
)
def test_a_one_off_signing_step_refuses_a_second_signature(world: Any, flow_class: Any, node: Any) -> None:
    case = CASE_FACTORIES[flow_path(flow_class)](world)
    task = open_seat(case, node)
    newcomer = newcomer_user()
    sign(newcomer, case, step=node.signing_step)
    assert refused(node, newcomer, task) is (not node.repeatable)


@pytest.mark.parametrize(
    ("flow_class", "node"), SIGNING_NODES, ids=[f"{c.__qualname__}.{n.name}" for c, n in SIGNING_NODES]
)
def test_approval_steps_refuse_the_submitter(world: Any, flow_class: Any, node: Any) -> None:
    case = CASE_FACTORIES[flow_path(flow_class)](world)
    task = open_seat(case, node)
    if node.approval:
        assert refused(node, world.clerk, task)
    else:  # e.g. recording the procedure: the facility's own work, the submitter may do it
        assert not refused(node, world.clerk, task)


@pytest.mark.parametrize(
    ("flow_class", "node"), SIGNING_NODES, ids=[f"{c.__qualname__}.{n.name}" for c, n in SIGNING_NODES]
)
def test_bureau_steps_refuse_every_staff_member_of_the_submitting_facility(
    world: Any, flow_class: Any, node: Any
) -> None:
    case = CASE_FACTORIES[flow_path(flow_class)](world)
    task = open_seat(case, node)
    # world.director works at the submitting facility and never touched this case.
    if node.bureau:
        assert refused(node, world.director, task)
    else:
        assert not refused(node, world.director, task)


def test_every_bureau_decision_of_a_flow_is_a_bureau_step() -> None:
    """Steps held by the bureau's permissions must carry bureau=True, or facility staff could sign them."""
    from permissions.roles import ACT_FOR_BUREAU, DIRECT_BUREAU

    wrong = []
    for flow_class, node in SIGNING_NODES:
        permission = getattr(node, "_owner_permission", None)
        if permission in {ACT_FOR_BUREAU, DIRECT_BUREAU} and not node.bureau:
            wrong.append(node_path(flow_class, node))
    assert not wrong, f"bureau-held signing steps without bureau=True: {wrong}"


def test_a_seat_without_a_permission_or_without_a_scope_is_announced_to_nobody(world: Any) -> None:
    # task_announce never broadcasts: the candidates come from the seat's permission within its scope, and a
    # seat lacking either has none (rather than failing the step that created it).
    flow_class, node = SIGNING_NODES[0]
    task = open_seat(CASE_FACTORIES[flow_path(flow_class)](world), node)
    assert task_candidates(task) == []
    task.owner_permission = "permissions.work_at"
    assert task.owner_permission_obj is None
    assert task_candidates(task) == []
    task.owner_permission, task.owner_permission_obj = "", world.hospital_a
    assert task_candidates(task) == []


def test_nobody_signed_in_may_take_or_sign_a_step(world: Any) -> None:
    flow_class, node = SIGNING_NODES[0]
    task = open_seat(CASE_FACTORIES[flow_path(flow_class)](world), node)
    assert node.four_eyes_refusal(None, task) == "anonymous"
    assert node.four_eyes_refusal(AnonymousUser(), task) == "anonymous"
    assert not refused(node, newcomer_user(), task), "baseline: someone signed in may"


def test_a_signature_on_another_kind_of_record_with_the_same_id_does_not_refuse(world: Any) -> None:
    """Signatures are kept by object type and id: a facility or a case of another procedure may share the id."""
    flow_class, node = SIGNING_NODES[0]
    case = CASE_FACTORIES[flow_path(flow_class)](world)
    task = open_seat(case, node)
    newcomer = newcomer_user()
    object_type, object_id = object_ref(case.coerced if hasattr(case, "coerced") else case)
    Signature.objects.create(
        signer=newcomer,
        printed_name=newcomer.profile.printed_name,
        signed_at=timezone.now(),
        meaning=Signature.Meaning.REVIEWED,
        object_type="permissions.facility" if object_type != "permissions.facility" else "permissions.jurisdiction",
        object_id=object_id,
        step=f"not_{node.signing_step}",
        content_hash="0" * 64,
    )
    assert not refused(node, newcomer, task)
    sign(newcomer, case, step=f"not_{node.signing_step}")
    assert refused(node, newcomer, task)


def test_a_seat_held_at_another_step_does_not_refuse_but_one_held_at_this_step_does(world: Any) -> None:
    """holds_another_seat is about the seats of one step (a panel's): holding, unsigned, a task of another step
    of the case is no reason (signing it will be)."""
    flow_class = SIGNING_NODES[0][0]
    first, second = [node for cls, node in SIGNING_NODES if cls is flow_class][:2]
    case = CASE_FACTORIES[flow_path(flow_class)](world)
    newcomer = newcomer_user()
    task = open_seat(case, second)
    for node in (first, second):
        held = open_seat(case, node)
        held.owner, held.status = newcomer, STATUS.ASSIGNED
        held.save()
        assert refused(second, newcomer, task) is (node is second), node.name
