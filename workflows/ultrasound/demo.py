"""Demo devices in every state in both demo counties, made by driving the real services.

Idempotent: each scenario's device is recognised by its serial number, so a
second run creates nothing. Operators and licence numbers are invented.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from workflows.cases.demo import demo_scan, demo_start, demo_step

from . import services
from .flows import UltrasoundRegistrationFlow as Flow
from .models import CaseKind, Decision, OnsiteCheck, UltrasoundCase, UltrasoundDevice

# How far each scenario goes; the serial number is DEMO-<county>-<position>: append rows, never reorder.
GOALS = [
    "filed",
    "review",
    "check",
    "decision",
    "returned",
    "registered",
    "refused",
    "withdrawn",
    "late_registered",
    "relocated",
    "operator_change_pending",
    "decommissioned",
    "scrapped",
    "renewal_due",
    "checked",
    "transfer_pending",
    "renewed",
]

STAFF = {
    "a": {"clerk": "clerk", "director": "director", "officer": "officer", "supervisor": "supervisor"},
    "b": {"clerk": "clerk_b", "director": "director_b", "officer": "officer_b", "supervisor": "supervisor_b"},
}
FACILITY = {"a": "hospital_a", "b": "hospital_b"}
OTHER = {"a": "b", "b": "a"}
MODELS = [
    ("迈瑞 Mindray", "DC-70", "colour_doppler"),
    ("开立 SonoScape", "S60", "3d_4d"),
    ("GE", "Vscan Air", "portable"),
]


def _operators(county: str, index: int, pledged: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "licence_number": f"1109901{'01' if county == 'a' else '02'}{index:03d}{n}",
            "mch_certificate_number": f"MCH-{county.upper()}-{index:03d}-{n}",
            "pledge_date": pledged,
        }
        for n, name in enumerate(["陈静 Chen Jing", "刘波 Liu Bo"][: 1 + index % 2], start=1)
    ]


def _file(*, world: Any, county: str, index: int, late: bool, pledged_days_ago: int = 10) -> UltrasoundCase:
    users, today = world.users, timezone.localdate()
    manufacturer, model, device_type = MODELS[index % len(MODELS)]
    purchased = today - dt.timedelta(days=90 if late else 5)
    return services.ultrasound_file(
        activation=demo_start(Flow.file, users[STAFF[county]["clerk"]]),
        user=users[STAFF[county]["clerk"]],
        facility=world.facilities[FACILITY[county]],
        data={
            "device_type": device_type,
            "manufacturer": manufacturer,
            "model": model,
            "serial_number": f"DEMO-{county.upper()}-{index:03d}",
            "purchase_date": purchased,
            "invoice_number": f"FP{county.upper()}{index:06d}",
            "seller": "清河医疗器械有限公司 Qinghe Medical Devices Ltd",
            "seller_licence": "JY-990100-0001",
            "room": f"B超室 Ultrasound room {index}",
            "responsible_person": "王主任 Director Wang",
            "late_explanation": "发票遗失补办 The invoice was lost and reissued" if late else "",
        },
        operators=_operators(county, index, today - dt.timedelta(days=pledged_days_ago)),
        documents=[("undertaking", demo_scan())],
    )


def _through(case: UltrasoundCase, *, users: dict[str, Any], goal: str) -> UltrasoundCase:
    """Drive a filed case (or change) as far as ``goal`` along the registration steps."""
    if goal == "filed":
        return case
    if goal == "returned":
        demo_step(case, Flow.sign_undertaking, users["director"], services.ultrasound_sign_undertaking,
             decision=Decision.RETURN, reason="请补充操作人员承诺书 Please add the operators' pledges")  # fmt: skip
        return case
    demo_step(case, Flow.sign_undertaking, users["director"], services.ultrasound_sign_undertaking,
         decision=Decision.FORWARD, reason="")  # fmt: skip
    if goal == "review":
        return case
    needs_check = case.kind in {CaseKind.REGISTRATION, CaseKind.RELOCATION, CaseKind.TRANSFER}
    demo_step(case, Flow.review, users["officer"], services.ultrasound_review,
         decision=Decision.CHECK if needs_check else Decision.NO_CHECK,
         supervisor=users["supervisor"] if needs_check else None, reason="")  # fmt: skip
    if goal == "check":
        return case
    if needs_check:
        demo_step(case, Flow.onsite_check, users["supervisor"], services.ultrasound_onsite_check,
             checklist=dict.fromkeys(OnsiteCheck.CHECKLIST, True), findings="", photos=[])  # fmt: skip
    if goal == "decision":
        return case
    if goal == "refused":
        demo_step(case, Flow.decide, users["officer"], services.ultrasound_decide,
             decision=Decision.REJECT, reason="发票与序列号不符 The invoice does not match the serial")  # fmt: skip
        return case
    demo_step(case, Flow.decide, users["officer"], services.ultrasound_decide, decision=Decision.APPROVE, reason="")
    return case


def _amend(*, world: Any, county: str, device: UltrasoundDevice, kind: str, **data: Any) -> UltrasoundCase:
    users = world.users
    clerk = users[STAFF[county]["clerk"]]
    return services.ultrasound_amendment_file(
        activation=demo_start(Flow.file_amendment, clerk),
        user=clerk,
        device=device,
        kind=kind,
        data={"explanation": "演示变更 Demo change", **data},
        operators=data.pop("operators", []),
        documents=[],
    )


def _scenario(*, world: Any, county: str, index: int, goal: str) -> UltrasoundCase:
    staff = {role: world.users[name] for role, name in STAFF[county].items()}
    if goal in {"filed", "review", "check", "decision", "returned", "refused"}:
        return _through(_file(world=world, county=county, index=index, late=False), users=staff, goal=goal)
    if goal == "withdrawn":
        case = _file(world=world, county=county, index=index, late=False)
        return services.ultrasound_withdraw(case=case, user=staff["clerk"], reason="订单取消 The order was cancelled")
    late = goal == "late_registered"
    case = _through(
        _file(
            world=world,
            county=county,
            index=index,
            late=late,
            pledged_days_ago=350 if goal in {"renewal_due", "renewed"} else 10,
        ),
        users=staff,
        goal="registered",
    )
    device = UltrasoundDevice.objects.get(pk=case.device_id)
    if goal == "relocated":
        change = _amend(world=world, county=county, device=device, kind=CaseKind.RELOCATION,
                        room="新门诊楼二层 New clinic, 2nd floor", responsible_person="李医生 Dr Li")  # fmt: skip
        return _through(change, users=staff, goal="registered")
    if goal == "operator_change_pending":
        today = timezone.localdate()
        return _amend(world=world, county=county, device=device, kind=CaseKind.OPERATOR_CHANGE,
                      operators=_operators(county, index + 1, today))  # fmt: skip
    if goal in {"decommissioned", "scrapped"}:
        kind = CaseKind.DECOMMISSION if goal == "decommissioned" else CaseKind.SCRAP
        return _through(_amend(world=world, county=county, device=device, kind=kind), users=staff, goal="registered")
    if goal in {"renewal_due", "renewed"}:
        services.ultrasound_renewals_open()
        renewal = device.cases.get(kind=CaseKind.PLEDGE_RENEWAL, ended_at__isnull=True)
        if goal == "renewed":
            demo_step(renewal, Flow.renew_pledges, staff["director"], services.ultrasound_renew_pledges,
                 renewed_on=timezone.localdate(), documents=[("pledge", demo_scan())])  # fmt: skip
        return renewal
    if goal == "checked":
        check = services.ultrasound_check_schedule(
            activation=demo_start(Flow.schedule_check, staff["officer"]),
            user=staff["officer"],
            device=device,
            supervisor=staff["supervisor"],
        )
        checklist = {
            "notice_displayed": True,
            "register_kept": False,
            "operators_qualified": True,
            "serial_matches": True,
        }
        demo_step(check, Flow.onsite_check, staff["supervisor"], services.ultrasound_onsite_check, checklist=checklist,
             findings="登记本缺少两周记录 Two weeks missing from the register", photos=[])  # fmt: skip
        return check
    if goal == "transfer_pending":
        target = world.facilities[FACILITY[OTHER[county]]]
        transfer = _amend(world=world, county=county, device=device, kind=CaseKind.TRANSFER, target_facility=target,
                          room="B超室 Ultrasound room", responsible_person="赵主任 Director Zhao",
                          operators=_operators(OTHER[county], index, timezone.localdate()))  # fmt: skip
        return _through(transfer, users=staff, goal="registered")  # waits for the receiving county
    return case


def seed(*, world: Any, log: Any) -> int:
    """Create each scenario's device unless its serial number is already filed."""
    created = 0
    for county in ("a", "b"):
        present = set(
            UltrasoundDevice.objects.filter(serial_number__startswith=f"DEMO-{county.upper()}-").values_list(
                "serial_number", flat=True
            )
        )
        for index, goal in enumerate(GOALS, start=1):
            if f"DEMO-{county.upper()}-{index:03d}" in present:
                continue
            with transaction.atomic():
                case = _scenario(world=world, county=county, index=index, goal=goal)
            created += 1
            log(f"ultrasound case #{case.pk}: county {county.upper()}, {goal} ({case.get_stage_display()})")
    if not created:
        log("ultrasound devices: already present")
    return created
