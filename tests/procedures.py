"""The procedures the generic tests cover: how to open a case of each, and how to add its records to the
authorization matrix's scene.

A test-side stand-in for the kit's procedure registry: when each procedure declares its `test_scene`
there, PROCEDURES becomes a loop over that registry and nothing else changes. The engine-wide four-eyes
test and the matrix loop over this list; a flow without an entry fails the four-eyes test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProcedureUnderTest:
    code: str
    flow_path: str  # "<module>.<Flow class>", as the four-eyes test names flows
    open_case: Callable[[Any], Any]  # world -> a case submitted by world.clerk at world.hospital_a
    build_scene: Callable[[Any], None]  # adds its cases (and their tasks) to the matrix's scene


def _termination_case(world: Any) -> Any:
    from tests.permissions.termination_scene import case_start

    return case_start(
        user=world.clerk, facility=world.hospital_a, pathway="fetal_defect", name="Patient-Four-Eyes", serial=301
    )


def _termination_scene(scene: Any) -> None:
    from tests.permissions.termination_scene import build_termination_scene

    build_termination_scene(scene)


PROCEDURES: list[ProcedureUnderTest] = [
    ProcedureUnderTest(
        code="termination",
        flow_path="workflows.termination.flows.TerminationFlow",
        open_case=_termination_case,
        build_scene=_termination_scene,
    ),
]
