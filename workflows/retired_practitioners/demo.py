"""Demo practitioners in every state in both demo counties, made by driving the real services.

Idempotent: each scenario is recognised by its licence number (RP-DEMO-<county>-<position>), so a
second run creates nothing. Names, identifiers and telephone numbers are invented.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from core.validators import resident_id_compose
from workflows.cases.demo import demo_cases_seed, demo_scan, demo_start
from workflows.cases.services import case_step_run

from . import services
from .flows import RetiredPractitionerFlow as Flow
from .models import Activity, CaseKind, Decision, PractitionerCase, RetiredPractitioner

# How far each scenario goes: append rows, never reorder (the position is in the licence number).
GOALS = [
    "signing",
    "verification",
    "returned",
    "on_file",
    "late_on_file",
    "follow_up_due",
    "followed_up",
    "reemployed",
    "moved",
    "deceased",
    "withdrawn",
]
STAFF = {
    "a": {"clerk": "clerk", "director": "director", "officer": "officer"},
    "b": {"clerk": "clerk_b", "director": "director_b", "officer": "officer_b"},
}
FACILITY = {"a": "hospital_a", "b": "hospital_b"}
TOWN = {"a": "town_a1", "b": "town_b1"}
NAMES = ["林秀英 Lin Xiuying", "马国华 Ma Guohua", "何桂兰 He Guilan", "高志明 Gao Zhiming"]


def _resident_id(county: str, index: int) -> str:
    region = "990101" if county == "a" else "990102"
    return resident_id_compose(region=region, born=f"1958{(index % 12) + 1:02d}15", serial=index)


def _file(*, world: Any, county: str, index: int, late: bool) -> PractitionerCase:
    clerk, today = world.users[STAFF[county]["clerk"]], timezone.localdate()
    return services.practitioner_file(
        activation=demo_start(Flow.file, clerk),
        user=clerk,
        facility=world.facilities[FACILITY[county]],
        data={
            "name": NAMES[index % len(NAMES)],
            "resident_id": _resident_id(county, index),
            "former_department": "妇产科 Obstetrics and gynaecology",
            "title": "deputy_chief",
            "physician_licence_number": f"RP-DEMO-{county.upper()}-{index:03d}",
            "mch_certificate_number": f"MCH-{county.upper()}-{index:03d}",
            "retirement_date": today - dt.timedelta(days=120 if late else 10),
            "home_township": world.jurisdictions[TOWN[county]],
            "address": f"演示路 {index} 号 No. {index} Demo Road",
            "contact": f"0990-5550{index:03d}",
            "activity": Activity.NONE,
            "employer": None,
            "activity_note": "",
            "pledge_signed_on": today - dt.timedelta(days=5),
            "late_explanation": "人事档案移交延误 The personnel file was handed over late" if late else "",
        },
        pledge=demo_scan("pledge.pdf"),
    )


def _scenario(*, world: Any, county: str, index: int, goal: str) -> PractitionerCase:
    staff = {role: world.users[name] for role, name in STAFF[county].items()}
    case = _file(world=world, county=county, index=index, late=goal == "late_on_file")
    if goal == "signing":
        return case
    if goal == "withdrawn":
        return services.practitioner_withdraw(case=case, user=staff["clerk"], reason="重复填报 Filed twice by mistake")
    if goal == "returned":
        case_step_run(case=case, node=Flow.sign_filing, user=staff["director"],
                      service=services.practitioner_sign_filing, decision=Decision.RETURN,
                      reason="请补充执业证书号 Please check the licence number")  # fmt: skip
        return case
    case_step_run(case=case, node=Flow.sign_filing, user=staff["director"], service=services.practitioner_sign_filing,
                  decision=Decision.FORWARD, reason="")  # fmt: skip
    if goal == "verification":
        return case
    case_step_run(case=case, node=Flow.verify, user=staff["officer"], service=services.practitioner_verify,
                  decision=Decision.APPROVE, reason="")  # fmt: skip
    entry = RetiredPractitioner.objects.get(pk=case.practitioner_id)
    if goal in {"follow_up_due", "followed_up"}:
        RetiredPractitioner.objects.filter(pk=entry.pk).update(follow_up_due_on=timezone.localdate())
        services.practitioner_follow_ups_open()
        follow_up = entry.cases.get(kind=CaseKind.FOLLOW_UP, ended_at__isnull=True)
        if goal == "followed_up":
            case_step_run(
                case=follow_up, node=Flow.follow_up, user=staff["officer"], service=services.practitioner_follow_up,
                data={"home_township": entry.home_township, "address": entry.address, "contact": entry.contact,
                      "activity": Activity.NONE, "employer": None, "activity_note": "",
                      "pledge_signed_on": timezone.localdate()},
                pledge=demo_scan("pledge.pdf"),
            )  # fmt: skip
        return follow_up
    if goal in {"reemployed", "moved", "deceased"}:
        kind = {"reemployed": CaseKind.REEMPLOYMENT, "moved": CaseKind.MOVE, "deceased": CaseKind.DEATH}[goal]
        other = "b" if county == "a" else "a"
        return services.practitioner_event_record(
            activation=demo_start(Flow.record_event, staff["officer"]),
            user=staff["officer"],
            entry=entry,
            kind=kind,
            data={
                "event_date": timezone.localdate() - dt.timedelta(days=2),
                # Kangning Clinic holds no MCH licence: the re-employment is flagged to the officer.
                "employer": world.facilities["clinic_a"],
                "home_township": world.jurisdictions[TOWN[other]],
                "explanation": "演示事件 Demo event",
            },
        )
    return case


def seed(*, world: Any, log: Any) -> int:
    """Create each scenario's practitioner unless its licence number is already on file."""
    scenarios: dict[str, dict[str, Any]] = {
        f"RP-DEMO-{county.upper()}-{index:03d}": {"county": county, "index": index, "goal": goal}
        for county in ("a", "b")
        for index, goal in enumerate(GOALS, start=1)
    }
    return demo_cases_seed(
        scenarios=[(licence, row["county"], row["goal"]) for licence, row in scenarios.items()],
        present=set(
            RetiredPractitioner.objects.filter(physician_licence_number__startswith="RP-DEMO-").values_list(
                "physician_licence_number", flat=True
            )
        ),
        create=lambda licence: _scenario(world=world, **scenarios[licence]),
        name="retired practitioner case",
        nothing="retired practitioners: already present",
        log=log,
    )
