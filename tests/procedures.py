"""The procedures the generic tests cover, read from the kit's registry (workflows.cases.registry).

Each registered procedure names its test-scene module (``Procedure.test_scene``), which provides
``open_case(world)`` (a case submitted by world.clerk at world.hospital_a), ``build_scene(scene)`` (its
records in the authorization matrix's scene), ``matrix_entries()`` (what every persona should get from each
of its routes: tests/permissions/procedure_rules.py has the helpers) and ``CLAIM_RULES`` (who may take each
human step, restated from the rules for tests/permissions/oracle.py), and may list ``NON_SIGNING_STEPS``
(human steps that record data but sign nothing, each with its reason), ``ENTERING_ACTIONS`` (audit actions
that make someone an author of the record), ``ADMIN_MODELS`` (its models in the Django admin) and
``certificate_verify_targets(scene)`` (its certificates for the public check). The engine-wide four-eyes
test, the queue's oracle and the matrix loop over PROCEDURES: a procedure added to the registry is covered
by them without editing them. One without a test scene fails
test_every_registered_procedure_has_a_test_scene (tests/permissions/test_four_eyes_engine_wide.py), one
whose scene has no matrix entries test_every_registered_procedure_has_matrix_entries
(tests/permissions/test_authorization_matrix.py), a human step without a claim rule
test_every_human_step_has_a_claim_rule (tests/permissions/test_queue_property.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from workflows.cases.registry import procedures


@dataclass(frozen=True)
class ProcedureUnderTest:
    code: str
    flow_path: str  # "<module>.<Flow class>", as the four-eyes test names flows
    open_case: Callable[[Any], Any]  # world -> a case submitted by world.clerk at world.hospital_a
    build_scene: Callable[[Any], None]  # adds its cases (and their tasks) to the matrix's scene
    matrix_entries: Callable[[], dict[str, Any]] | None  # route key -> tests.permissions.matrix.Entry
    non_signing_steps: dict[str, str] = field(default_factory=dict)
    admin_models: tuple[str, ...] = ()  # "app_label.model_name" of its models in the Django admin
    certificate_verify_targets: Callable[[Any], list[Any]] = lambda scene: []
    claim_rules: dict[str, Any] = field(default_factory=dict)  # step -> tests.permissions.oracle.StepRule
    entering_actions: tuple[str, ...] = ()


def _under_test(procedure: Any) -> ProcedureUnderTest | None:
    if not procedure.test_scene:
        return None
    scene = import_module(procedure.test_scene)
    flow_class = procedure.flow_class
    return ProcedureUnderTest(
        code=procedure.code,
        flow_path=f"{flow_class.__module__}.{flow_class.__qualname__}",
        open_case=scene.open_case,
        build_scene=scene.build_scene,
        matrix_entries=getattr(scene, "matrix_entries", None),
        non_signing_steps=dict(getattr(scene, "NON_SIGNING_STEPS", {})),
        admin_models=tuple(sorted(getattr(scene, "ADMIN_MODELS", ()))),
        certificate_verify_targets=getattr(scene, "certificate_verify_targets", lambda scene: []),
        claim_rules=dict(getattr(scene, "CLAIM_RULES", {})),
        entering_actions=tuple(getattr(scene, "ENTERING_ACTIONS", ())),
    )


PROCEDURES_WITHOUT_SCENE: list[str] = [p.code for p in procedures() if not p.test_scene]
PROCEDURES: list[ProcedureUnderTest] = [u for u in map(_under_test, procedures()) if u is not None]
