"""Monthly birth reports for the permission tests, driven through the procedure's own services.

Reports are opened and moved on exactly as the flow views do it (an activation, then the service),
so the tasks, owner permissions and signatures are the real ones. Each has entries whose late
reasons are distinctive, so that the matrix can look for them in response bodies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import get_resolver
from django.utils import timezone

from core.validators import resident_id_compose
from permissions.models import Facility
from tests.scenes import fake_request, task_run
from workflows.births import services
from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import Decision, MonthlyBirthReport, month_of, previous_month

_serial = [0]


def months_back(count: int) -> dt.date:
    month = month_of(timezone.localdate())
    for _i in range(count):
        month = previous_month(month)
    return month


def resident_id(serial: int) -> str:
    return resident_id_compose(
        region="920101", born=f"1990{(serial % 12) + 1:02d}{(serial % 27) + 1:02d}", serial=serial
    )


def entry_add(*, user: Any, facility: Facility, month: dt.date, sex: str = "male", reason: str = "") -> Any:
    """A birth in ``month`` (late, with a reason, when the month is over)."""
    _serial[0] += 1
    occurred = timezone.make_aware(dt.datetime.combine(month + dt.timedelta(days=_serial[0] % 20), dt.time(8)))
    occurred = min(occurred, timezone.now() - dt.timedelta(minutes=5))
    data = {
        "kind": "birth",
        "occurred_at": occurred,
        "sex": sex,
        "birth_weight_grams": 3200,
        "plurality": 1,
        "birth_order": 1,
        "outcome": "live_birth",
        "gestation_weeks": None,
        "cause": "",
        "mother_township": facility.township,
        "mother_resident_id": resident_id(_serial[0]),
        "late_reason": reason or f"SCENE-LATE-{_serial[0]:04d}",
    }
    return services.births_entry_create(user=user, facility=facility, data=data)


def report_open(*, user: Any, facility: Facility, month: dt.date) -> MonthlyBirthReport:
    get_resolver().url_patterns  # noqa: B018 - task notifications carry links
    activation = F.prepare.activation_class.create(F.prepare, None, None)
    activation.start(fake_request(user))
    return services.births_report_prepare(activation=activation, user=user, facility=facility, month=month)


def decide(report: MonthlyBirthReport, node: Any, user: Any, decision: str, reason: str = "") -> None:
    service = {F.sign_register: services.births_sign, F.township_check: services.births_township_check,
               F.accept: services.births_accept}[node]  # fmt: skip
    task_run(
        report,
        node,
        user,
        lambda activation, request: service(
            activation=activation, user=user, decision=decision, reason=reason, request=request
        ),
    )


def centre_director(world: Any) -> Any:
    from permissions.roles import Role
    from tests.conftest import make_person

    existing = world.users.get("centre_director")
    if existing is None:
        existing = make_person("centre_director", Role.FACILITY_DIRECTOR, facility=world.centre_a)
        world.users["centre_director"] = existing
    return existing


def build_scene(scene: Any) -> None:
    """Reports of hospital A at each step (its township's centre, Centre A, checks them), one of hospital B.

    br_a_sign    hospital A, last month: waiting for the director's signature
    br_a_check   hospital A, two months ago: signed, waiting for Centre A's director
    br_a_accept  hospital A, three months ago: checked, waiting for the bureau
    br_b_sign    hospital B, last month
    """
    from tests.permissions.matrix import Record

    world = scene.world
    checker = centre_director(world)
    plan = [
        ("br_a_sign", world.clerk, world.hospital_a, 1, []),
        ("br_a_check", world.clerk, world.hospital_a, 2, [(F.sign_register, world.director, Decision.FORWARD)]),
        (
            "br_a_accept",
            world.clerk,
            world.hospital_a,
            3,
            [(F.sign_register, world.director, Decision.FORWARD), (F.township_check, checker, Decision.FORWARD)],
        ),
        ("br_b_sign", world.clerk_b, world.hospital_b, 1, []),
    ]
    for label, clerk, facility, back, steps in plan:
        month = months_back(back)
        entries = [entry_add(user=clerk, facility=facility, month=month, sex=sex) for sex in ("male", "female")]
        report = report_open(user=clerk, facility=facility, month=month)
        for node, user, decision in steps:
            decide(report, node, user, decision)
        facility_key = "hospital_a" if facility.pk == world.hospital_a.pk else "hospital_b"
        scene.add(
            Record(
                label=label,
                obj=report,
                facility=facility_key,
                county="county_a" if facility_key == "hospital_a" else "county_b",
                secrets=[e.late_reason for e in entries],
            )
        )


# Human steps that sign nothing (tests/permissions/test_four_eyes_engine_wide.py).
NON_SIGNING_STEPS = {
    "amend": "the facility corrects the returned register; the director's signature signs the new revision",
}


def open_case(world: Any) -> MonthlyBirthReport:
    """A report opened by world.clerk at world.hospital_a (the engine-wide four-eyes test)."""
    return report_open(user=world.clerk, facility=world.hospital_a, month=months_back(1))
