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
