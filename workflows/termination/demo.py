"""Demo termination cases in every state, made by driving the real services.

Idempotent: the demo patients are recognised by their resident ID digests, so
a second run creates nothing. Names and ID numbers are invented (the ID
numbers use the demo division code 990101 and are valid only in shape).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from workflows.cases.services import case_step_run

from . import services
from .fields import identifier_digest
from .flows import TerminationFlow
from .models import Decision, TerminationCase, required_documents
from .validators import resident_id_check_character

PDF = b"%PDF-1.4\n% Regflow demo scan\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# key, county, patient, pathway, weeks, emergency, how far the case goes. The serial (the row's
# position, from 1) makes the patient's resident ID: append new rows, never reorder.
SCENARIOS = [
    ("review", "a", "演示一 Demo One", "divorced", 16, False, "submitted"),
    ("panel", "a", "演示二 Demo Two", "sex_linked", 20, False, "panel_partial"),
    ("returned", "a", "演示三 Demo Three", "widowed", 17, False, "returned"),
    ("bureau", "a", "演示四 Demo Four", "fetal_defect", 22, False, "bureau"),
    ("emergency", "a", "演示五 Demo Five", "maternal", 24, True, "submitted"),
    ("approved", "a", "演示六 Demo Six", "unmarried", 15, False, "approved"),
    ("completed", "a", "演示七 Demo Seven", "divorced", 18, False, "completed"),
    ("rejected", "a", "演示八 Demo Eight", "widowed", 19, False, "rejected"),
    ("expired", "a", "演示九 Demo Nine", "divorced", 16, False, "expired"),
    ("withdrawn", "a", "演示十 Demo Ten", "unmarried", 15, False, "withdrawn"),
    # Xiping County (B): no expert panel there, so personal pathways only.
    ("review", "b", "演示十一 Demo Eleven", "divorced", 17, False, "submitted"),
    ("bureau", "b", "演示十二 Demo Twelve", "widowed", 19, False, "bureau"),
    ("returned", "b", "演示十三 Demo Thirteen", "unmarried", 16, False, "returned"),
    ("approved", "b", "演示十四 Demo Fourteen", "divorced", 20, False, "approved"),
    ("completed", "b", "演示十五 Demo Fifteen", "widowed", 18, False, "completed"),
    ("rejected", "b", "演示十六 Demo Sixteen", "unmarried", 15, False, "rejected"),
]

# Who acts in each county's cases: demo usernames by part.
STAFF = {
    "a": {"clerk": "clerk", "director": "director", "officer": "officer", "facility": "hospital_a"},
    "b": {"clerk": "clerk_b", "director": "director_b", "officer": "officer_b", "facility": "hospital_b"},
}
ISSUERS = {"a": "东安县人民医院 Dong'an County People's Hospital", "b": "西平县妇幼保健院 Xiping County MCH Hospital"}


def demo_resident_id(serial: int) -> str:
    first17 = f"990101199{serial % 10}0612{serial:03d}"
    return first17 + resident_id_check_character(first17)


def _run(case: TerminationCase, node: Any, user: Any, service: Any, **kwargs: Any) -> None:
    case_step_run(case=case, node=node, user=user, service=service, **kwargs)


def _submit(
    *, world: Any, county: str, serial: int, patient: str, pathway: str, weeks: int, emergency: bool
) -> TerminationCase:
    staff = STAFF[county]
    clerk = world.users[staff["clerk"]]
    node = TerminationFlow.submit
    activation = node.activation_class.create(node, None, None)
    activation.start(SimpleNamespace(user=clerk))  # the start step records its "request" user
    today = timezone.localdate()
    documents = [
        {
            "doc_type": doc_type,
            "number": f"DEMO-{serial:03d}-{index}",
            "issuer": ISSUERS[county],
            "issued_on": today - dt.timedelta(days=2),
            "is_original": index == 0,
            "file": SimpleUploadedFile("demo.pdf", PDF, content_type="application/pdf"),
        }
        for index, doc_type in enumerate(required_documents(pathway=pathway, emergency=emergency))
    ]
    return services.termination_submit(
        activation=activation,
        user=clerk,
        facility=world.facilities[staff["facility"]],
        data={
            "patient_name": patient,
            "resident_id": demo_resident_id(serial),
            "marital_status": {"divorced": "divorced", "widowed": "widowed", "unmarried": "unmarried"}.get(
                pathway, "married"
            ),
            "gestational_weeks": weeks,
            "gestational_days": 1,
            "lmp_date": today - dt.timedelta(days=weeks * 7 + 1),
            "pathway": pathway,
            "emergency": emergency,
            "emergency_justification": "大出血，先行手术 Severe haemorrhage: operated first." if emergency else "",
        },
        documents=documents,
    )


def _expire_now(case: TerminationCase) -> None:
    """Bring the certificate's validity timer due now, as if the validity had run out, and fire it."""
    timer = case.task_set.filter(flow_task_type="TIMER", status="SCHEDULED").get()
    timer.scheduled = timezone.now() - dt.timedelta(seconds=1)
    timer.save(update_fields=["scheduled"])
    fire_due_timers()


def _advance(case: TerminationCase, *, world: Any, county: str, goal: str) -> None:
    staff = STAFF[county]
    users = {**world.users, **{role: world.users[name] for role, name in staff.items() if role != "facility"}}
    flow = TerminationFlow
    if goal == "panel_partial":
        _run(
            case,
            flow.give_opinion,
            users["expert1"],
            services.termination_opinion,
            agrees=True,
            reason="符合 Confirmed",
        )
        return
    if goal == "withdrawn":
        services.termination_withdraw(
            case=case, user=users["clerk"], reason="患者改变主意 The patient changed her mind"
        )
        return
    if goal == "submitted":
        return
    if case.is_medical:
        for expert in ("expert1", "expert2", "expert3"):
            _run(
                case,
                flow.give_opinion,
                users[expert],
                services.termination_opinion,
                agrees=True,
                reason="符合 Confirmed",
            )
    if goal == "returned":
        _run(
            case,
            flow.review,
            users["director"],
            services.termination_review,
            decision=Decision.RETURN,
            reason="请补充死亡证明原件 Please bring the original death certificate",
        )
        return
    _run(case, flow.review, users["director"], services.termination_review, decision=Decision.FORWARD, reason="")
    if goal == "bureau":
        return
    if goal == "rejected":
        _run(
            case,
            flow.decide,
            users["officer"],
            services.termination_decide,
            decision=Decision.REJECT,
            reason="材料不符合规定 The documents do not meet the rules",
        )
        return
    _run(case, flow.decide, users["officer"], services.termination_decide, decision=Decision.APPROVE, reason="")
    case = TerminationCase.objects.get(pk=case.pk)
    if goal == "completed":
        _run(
            case,
            flow.record_procedure,
            users["clerk"],
            services.termination_record_procedure,
            data={
                "resident_id": case.resident_id,
                "procedure_date": timezone.localdate(),
                "procedure_method": "medical_induction",
                "physician_name": "李建国 Li Jianguo",
                "physician_licence": "110990101000101",
                "drugs": [{"name": "米非司酮 Mifepristone", "batch": "H20261101"}],
                "fetal_sex": "female",
                "complications": "",
            },
        )
    elif goal == "expired":
        _expire_now(case)


def seed(*, world: Any, log: Any) -> int:
    """Create each scenario's case unless its patient is already there (a demo seeded earlier gains new rows)."""
    digests = {identifier_digest(demo_resident_id(n)): n for n in range(1, len(SCENARIOS) + 1)}
    present = {
        digests[digest]
        for digest in TerminationCase.objects.filter(resident_id_digest__in=digests).values_list(
            "resident_id_digest", flat=True
        )
    }
    if len(present) == len(SCENARIOS):
        log("termination cases: already present")
        return 0
    created = 0
    for serial, (key, county, patient, pathway, weeks, emergency, goal) in enumerate(SCENARIOS, start=1):
        if serial in present:
            continue
        with transaction.atomic():
            case = _submit(
                world=world,
                county=county,
                serial=serial,
                patient=patient,
                pathway=pathway,
                weeks=weeks,
                emergency=emergency,
            )
            _advance(case, world=world, county=county, goal=goal)
        created += 1
        stage = TerminationCase.objects.get(pk=case.pk).get_stage_display()
        log(f"termination case #{case.pk}: county {county.upper()}, {key} ({stage})")
    return created
