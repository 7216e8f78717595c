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
from permissions.roles import Role
from tests.permissions.matrix import Entry, Scene, Target, rule
from tests.permissions.oracle import FACILITY_STAFF_ROLES, StepRule
from tests.permissions.procedure_rules import GET_ONLY, LOGIN, node_entries, node_targets
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


# Who may take each human step, restated from the rules (tests/permissions/oracle.py).
CLAIM_RULES = {
    # The director signs the facility's own register (no approval rule: it is the facility's statement).
    "sign_register": StepRule(
        "facility", frozenset({Role.FACILITY_DIRECTOR}), "sign_register", repeatable=True, approval=False
    ),
    "amend": StepRule("facility", FACILITY_STAFF_ROLES, None, approval=False),
    # The director of the township health centre that checks the reporting facility's reports.
    "township_check": StepRule(
        "checking_centre", frozenset({Role.FACILITY_DIRECTOR}), "township_check", repeatable=True
    ),
    "accept": StepRule(
        "county", frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}), "accept", repeatable=True, bureau=True
    ),
}


# Human steps that sign nothing (tests/permissions/test_four_eyes_engine_wide.py).
NON_SIGNING_STEPS = {
    "amend": "the facility corrects the returned register; the director's signature signs the new revision",
}


def open_case(world: Any) -> MonthlyBirthReport:
    """A report opened by world.clerk at world.hospital_a (the engine-wide four-eyes test)."""
    return report_open(user=world.clerk, facility=world.hospital_a, month=months_back(1))


# --- The authorization matrix ----------------------------------------------------------------
# Reports br_a_sign, br_a_check, br_a_accept (hospital A, checked by Centre A's director) and br_b_sign
# (hospital B), built above. Entries are the facility's own: no route names one.

BR = "procedures:monthlybirthreport"


def _br_reports(scene: Scene) -> list[tuple[str, Any]]:
    return [(label, r.obj) for label, r in scene.records.items() if label.startswith("br_")]


def _br_report_targets(scene: Scene) -> list[Target]:
    return [Target(kwargs={"process_pk": report.pk}, record=label, label=label) for label, report in _br_reports(scene)]


_br_node_targets = node_targets(_br_reports, host="br_a_sign", hosts={"sign_register": "br_a_check"})


def matrix_entries() -> dict[str, Entry]:
    from workflows.births.flows import MonthlyBirthReportFlow

    everyone_in_scope_reads = rule(200, anonymous=LOGIN)
    # Staff of a delivering facility (Centre A delivers too): their own entries, entry form and upload.
    facility_staff = {"clerk": 200, "director": 200, "clerk_other": 200, "clerk_b": 200}
    entries: dict[str, Entry] = {
        f"{BR}:{name}": Entry(get=everyone_in_scope_reads, post=GET_ONLY)
        for name in ("index", "process_list", "task_list", "inbox", "queue", "archive", "chart")
    }
    entries.update(
        {
            # Facility-month counts of the reports the persona may see (the leak check's business): everyone.
            f"{BR}:register": Entry(get=everyone_in_scope_reads, post=rule(405, anonymous=LOGIN)),
            # Individual entries: the facility's own staff only; everyone else, the superuser included, 403.
            f"{BR}:entries": Entry(get=rule(403, anonymous=LOGIN, **facility_staff), post=rule(405, anonymous=LOGIN)),
            # An empty form answers with its errors.
            f"{BR}:entry_new": Entry(
                get=rule(403, anonymous=LOGIN, **facility_staff), post=rule(403, anonymous=LOGIN, **facility_staff)
            ),
            f"{BR}:upload": Entry(
                get=rule(403, anonymous=LOGIN, **facility_staff), post=rule(403, anonymous=LOGIN, **facility_staff)
            ),
            f"{BR}:tasks_assign": Entry(
                get=rule(405, anonymous=LOGIN), post=rule({302, 403}, inspector=403, anonymous=LOGIN)
            ),
            f"{BR}:prepare:execute": Entry(
                get=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
                post=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
            ),
            # A correction names its accepted report in the query (tests/workflows/births/test_corrections.py):
            # with none, the facility's staff find no such report; the others may not start one at all.
            f"{BR}:correct:execute": Entry(
                get=rule(403, superuser=404, anonymous=LOGIN, **dict.fromkeys(facility_staff, 404)),
                post=rule(403, superuser=404, anonymous=LOGIN, **dict.fromkeys(facility_staff, 404)),
            ),
            f"{BR}:process_detail": Entry(get=rule(200), post=rule(405), targets=_br_report_targets),
            f"{BR}:process_chart": Entry(get=rule(200), post=rule(405), targets=_br_report_targets),
            # A report is never withdrawn: the facility's staff get the form's refusal, the others 403.
            f"{BR}:withdraw": Entry(
                get=rule(405),
                post=rule(403, clerk=400, director=400, clerk_b=400, inspector=404),
                targets=_br_report_targets,
            ),
        }
    )
    entries.update(node_entries(BR, MonthlyBirthReportFlow, _br_node_targets, skip=set(entries)))
    return entries
