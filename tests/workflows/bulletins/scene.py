"""Bulletins for the permission tests, compiled and moved on through the procedure's own services.

A bulletin is the county's: compiled by the sweep (the flow's StartHandle), reviewed by an officer, signed
by the director. The matrix's scene has one at the review and one waiting for the signature in county A,
and one at the review in county B. A published bulletin, which county A's facility directors (but not its
clerks) may read, is not in the scene: the scope oracle speaks of facilities, and tests/workflows/bulletins
covers who reads a published bulletin.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import get_resolver

from permissions.roles import Role
from tests.permissions.matrix import Entry, Scene, Target, rule
from tests.permissions.oracle import StepRule
from tests.permissions.procedure_rules import GET_ONLY, LOGIN, node_entries, node_targets
from tests.scenes import task_run
from workflows.bulletins import services
from workflows.bulletins.flows import BulletinFlow as F
from workflows.bulletins.models import Bulletin, Decision, Kind


def bulletin_compile(*, county: Any, month: dt.date) -> Bulletin:
    """Compile the county's monthly bulletin for ``month`` as the sweep does."""
    get_resolver().url_patterns  # noqa: B018 - task notifications carry links
    end = services.month_add(month, 1)
    return F.compile.run(county=county, kind=Kind.MONTHLY, start=month, end=end, due_on=end.replace(day=11))


def bulletin_forward(bulletin: Bulletin, officer: Any) -> None:
    task_run(
        bulletin,
        F.review,
        officer,
        lambda activation, request: services.bulletin_review(
            activation=activation, user=officer, decision=Decision.FORWARD, request=request
        ),
    )


def bulletin_secrets(bulletin: Bulletin) -> list[str]:
    return [str(F.instance.reverse("process_detail", args=[bulletin.pk]))]


def build_scene(scene: Any) -> None:
    """bl_a_review (county A, at the review), bl_a_sign (county A, sent to sign), bl_b_review (county B)."""
    from tests.permissions.matrix import Record

    world = scene.world
    plan = [
        ("bl_a_review", world.county_a, dt.date(2025, 1, 1), []),
        ("bl_a_sign", world.county_a, dt.date(2025, 2, 1), [lambda b: bulletin_forward(b, world.officer)]),
        ("bl_b_review", world.county_b, dt.date(2025, 1, 1), []),
    ]
    for label, county, month, steps in plan:
        bulletin = bulletin_compile(county=county, month=month)
        for step in steps:
            step(bulletin)
        scene.add(
            Record(
                label=label,
                obj=bulletin,
                facility=None,
                county="county_a" if county.pk == world.county_a.pk else "county_b",
                secrets=bulletin_secrets(bulletin),
            )
        )


# The county's bulletin: an officer (or the director) reviews, the director signs; whoever reviewed or
# compiled it again never signs it (four-eyes).
CLAIM_RULES = {
    "review": StepRule("county", frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}), None, approval=False),
    "sign": StepRule("county", frozenset({Role.BUREAU_DIRECTOR}), "sign", repeatable=True, bureau=True),
}

# Reviewing the compiled bulletin makes the officer one of its authors: they never sign it.
ENTERING_ACTIONS = ("bulletins.review",)


# Human steps that sign nothing (tests/permissions/test_four_eyes_engine_wide.py).
NON_SIGNING_STEPS = {
    "review": "the officer sends the bulletin to sign or compiles it again; the director's signature signs it, "
    "and whoever reviewed may not sign",
}


def open_case(world: Any) -> Bulletin:
    """A bulletin as the engine-wide four-eyes test needs a case: "submitted" by world.clerk at
    world.hospital_a. A real bulletin has no facility and is sent to sign by an officer; this one is given
    both, so that the kit's rules (the submitter, the submitting facility's staff) are checked on it too."""
    bulletin = bulletin_compile(county=world.county_a, month=dt.date(2024, 12, 1))
    Bulletin.objects.filter(pk=bulletin.pk).update(facility=world.hospital_a, submitted_by=world.clerk)
    return Bulletin.objects.get(pk=bulletin.pk)


# --- The authorization matrix ----------------------------------------------------------------
# Bulletins bl_a_review, bl_a_sign (county A) and bl_b_review (county B), built above.
# A bulletin has no facility: its county's bureau and inspector read it (experts and facility staff do not;
# a published one reaches the county's facility directors, tested in tests/workflows/bulletins).

BL = "procedures:bulletin"


def _bl_cases(scene: Scene) -> list[tuple[str, Any]]:
    return [(label, r.obj) for label, r in scene.records.items() if label.startswith("bl_")]


def _bl_case_targets(scene: Scene) -> list[Target]:
    return [Target(kwargs={"process_pk": case.pk}, record=label, label=label) for label, case in _bl_cases(scene)]


def _bl_export_targets(scene: Scene) -> list[Target]:
    return [
        Target(kwargs={"process_pk": case.pk, "fmt": fmt}, record=label, label=f"{label} {fmt}")
        for label, case in _bl_cases(scene)
        for fmt in ("pdf", "xlsx")
    ]


_bl_node_targets = node_targets(_bl_cases, host="bl_a_review", hosts={"review": "bl_a_sign"})


def matrix_entries() -> dict[str, Entry]:
    from workflows.bulletins.flows import BulletinFlow

    everyone_in_scope_reads = rule(200, anonymous=LOGIN)
    entries: dict[str, Entry] = {
        f"{BL}:{name}": Entry(get=everyone_in_scope_reads, post=GET_ONLY)
        for name in ("index", "process_list", "task_list", "inbox", "queue", "archive", "chart")
    }
    entries.update(
        {
            # The analysis: a county's bureau and inspectors, and a facility director for the own facility;
            # anyone else (clerks, experts, the superuser, who holds no jurisdiction) is refused.
            f"{BL}:analysis": Entry(
                get=rule(
                    403,
                    anonymous=LOGIN,
                    officer=200,
                    officer2=200,
                    chief=200,
                    officer_b=200,
                    inspector=200,
                    director=200,
                ),
                post=GET_ONLY,
            ),
            f"{BL}:tasks_assign": Entry(
                get=rule(405, anonymous=LOGIN), post=rule({302, 403}, inspector=403, anonymous=LOGIN)
            ),
            f"{BL}:process_detail": Entry(get=rule(200), post=rule(405), targets=_bl_case_targets),
            f"{BL}:process_chart": Entry(get=rule(200), post=rule(405), targets=_bl_case_targets),
            f"{BL}:export": Entry(get=rule(200), post=rule(405), targets=_bl_export_targets, get_only=True),
            # Nobody withdraws the county's bulletin: its bureau is refused (403), the inspector reads only (404).
            f"{BL}:withdraw": Entry(get=rule(405), post=rule(403, inspector=404), targets=_bl_case_targets),
        }
    )
    entries.update(node_entries(BL, BulletinFlow, _bl_node_targets, skip=set(entries)))
    return entries
